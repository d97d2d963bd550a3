"""Twenty submissions of one phone at the same moment on PostgreSQL keep exactly
one response: the unique (survey, phone digest) decides, the others are refused."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from firstline.surveys.models import Response
from firstline.surveys.services import responses
from firstline.surveys.tests.forms import survey_of
from firstline.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


@pytest.fixture
def wide_pool():
    options = connection.settings_dict["OPTIONS"]
    before = options.get("pool")
    if not before:
        yield
        return
    connection.close_pool()
    options["pool"] = {**(before if isinstance(before, dict) else {}), "max_size": THREADS + 5}
    try:
        yield
    finally:
        connection.close_pool()
        options["pool"] = before


def test_twenty_submissions_of_one_phone_keep_one(wide_pool):
    world = build_world()
    survey = survey_of(world, audience="owners")
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(i: int):
        try:
            barrier.wait()
            responses.response_submit(
                actor=None,
                survey=survey,
                raw={"closed": "no", "impact": ["low", "mid", "high"][i % 3]},
                phone="13900139000",
            )
            result = "ok"
        except ValidationError:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * (THREADS - 1)
    assert Response.all_tenants.filter(survey=survey).count() == 1
