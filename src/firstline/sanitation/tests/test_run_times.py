"""A device run's start time that is no time a run can have (a year-1 or year-9999 clock,
an impossible date) is refused naming `started_at`, single or in a batch; never a
server error (year 1 once overflowed the task window's arithmetic)."""

from __future__ import annotations

import json

import pytest

from firstline.sanitation.models import DeviceRun
from firstline.sanitation.tests.test_api_cleaner import RUNS, run_body

TIMES = [
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-08:00",
    "2100-01-01T00:00:00+08:00",
    "2020-02-30T08:00:00+08:00",
    "2020-02-14T08:00:00+25:00",
]


@pytest.fixture
def lamp(world):
    from firstline.sanitation.tests.test_device_runs import make_device

    _device, raw = make_device(world.a)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, body, auth):
    return client.post(RUNS, json.dumps(body), content_type="application/json", **auth)


@pytest.mark.parametrize("started_at", TIMES)
def test_a_run_at_an_impossible_time_is_refused_naming_started_at(client, world, lamp, started_at):
    response = post(client, {**run_body(), "started_at": started_at}, lamp)
    assert response.status_code == 422, response.content
    # (a body neither a run nor a batch: the union names both branches' fields)
    assert "started_at" in [e["loc"][-1] for e in response.json()["detail"]]
    batch = post(client, {"runs": [{**run_body(), "started_at": started_at}]}, lamp)
    assert batch.status_code == 200, batch.content
    assert [(e["index"], e["field"]) for e in batch.json()["errors"]] == [(0, "started_at")]
    assert not DeviceRun.all_tenants.exists()
