"""Learners of four companies register for the last seat of a live session at the
same moment (PostgreSQL, real connections): the session's row is locked while the
seats are counted, so exactly one gets it and the cap holds."""

from __future__ import annotations

import pytest
from django.db import connection

from firstline.testing.concurrency import race
from firstline.testing.world import build_world
from firstline.training.models import LiveSession, Registration
from firstline.training.services.sessions import session_register
from firstline.training.tests.furnish import furnish

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections"),
    pytest.mark.django_db(transaction=True),
]


def test_last_seat_raced_by_four_goes_to_exactly_one():
    world = furnish(build_world())
    session = world.training_session
    Registration.all_tenants.filter(session=session).delete()
    LiveSession.objects.filter(pk=session.pk).update(capacity=1)
    corners = (world.a, world.a.sibling, world.b, world.b.sibling)

    def register(corner):
        return lambda: session_register(
            actor=corner.users["guard"], session=session, enrolment=corner.enrolment
        )

    assert race(*(register(c) for c in corners)) == ["ok", "refused", "refused", "refused"]
    assert Registration.all_tenants.filter(session=session).count() == 1
