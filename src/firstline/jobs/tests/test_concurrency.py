"""Two employers' invitations of the same slot, and two graduates' picks of it, at
the same moment (PostgreSQL, real connections): one succeeds, the other is refused
with the slot's error; and concurrent applies cannot pass the daily limit."""

from __future__ import annotations

import pytest
from django.db import connection

from firstline.jobs.models import Application, Interview
from firstline.jobs.services import applications, fairs
from firstline.jobs.services.applications import APPLICATIONS_PER_DAY
from firstline.jobs.tests.furnish import furnish, make_graduate
from firstline.testing.concurrency import race
from firstline.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections"),
    pytest.mark.django_db(transaction=True),
]


def test_two_bookings_of_one_slot_at_once_one_wins():
    world = furnish(build_world())
    a = world.a
    rival = Application.all_tenants.create(
        company=a.company,
        fair=world.fair,
        position=a.job_position,
        graduate=make_graduate(world, "grad_rival", 9),
    )
    slot = a.job_slots[0]
    assert race(
        lambda: applications.application_invite(
            actor=None, application=a.job_application, slot=slot
        ),
        lambda: applications.application_invite(actor=None, application=rival, slot=slot),
    ) == ["ok", "refused"]
    assert Interview.all_tenants.filter(slot=slot).count() == 1


def test_concurrent_applies_stay_within_the_daily_limit():
    world = furnish(build_world())
    graduate = world.a.job_graduate  # one applied already
    positions = [
        fairs.position_save(
            actor=None,
            employer=world.b.job_employer,
            data={
                "title": f"岗{n}",
                "city": "武汉",
                "salary_min": 1,
                "salary_max": 2,
                "headcount": 1,
            },
        )
        for n in range(APPLICATIONS_PER_DAY + 2)
    ]
    results = race(
        *[
            (lambda p=p: applications.application_submit(actor=None, graduate=graduate, position=p))
            for p in positions
        ]
    )
    assert results.count("ok") == APPLICATIONS_PER_DAY - 1
    assert Application.all_tenants.filter(graduate=graduate).count() == APPLICATIONS_PER_DAY
