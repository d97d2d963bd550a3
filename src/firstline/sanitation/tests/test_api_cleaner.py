"""The sanitation API: the day's task list, the one-tap completion, and device runs
with a device's own token."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from firstline.access.models import Device
from firstline.sanitation.models import DeviceRun, Task
from firstline.sanitation.tests.rows import at, make_entry, make_task
from firstline.sanitation.tests.test_completion import furnish
from firstline.sanitation.tests.test_device_runs import make_device
from firstline.testing.world import PASSWORD

TASKS = "/api/v1/sanitation/tasks"
RUNS = "/api/v1/sanitation/device-runs"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def lift(world):
    return furnish(world.a)


def post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


# --- the task list ----------------------------------------------------------------------------


def test_list_is_today_by_default_and_scoped(client, world, lift):
    furnish(world.b)
    make_task(lift["entry"], day=timezone.localdate() - timedelta(days=1), slot=1, hour=9)
    login(client, world.a.users["cleaner"])
    page = client.get(TASKS).json()
    assert page["count"] == 3
    first = page["items"][0]
    assert (first["company_id"], first["area_name"], first["title"], first["state"]) == (
        world.a.company.pk,
        "1栋1号电梯",
        "电梯轿厢及按钮消毒",
        "pending",
    )
    assert first["concentration"] == "500 mg/L" and first["has_photo"] is False
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert client.get(TASKS, {"day": yesterday}).json()["count"] == 1
    assert client.get(TASKS, {"site_id": world.b.site.pk}).json()["count"] == 0


def test_list_query_count_is_fixed(client, world, lift, django_assert_num_queries):
    login(client, world.a.users["cleaner"])
    client.get(TASKS)
    area = lift["area"]
    for i in range(10):
        make_task(make_entry(area, code=f"c{i}"), slot=1, hour=9)
    with django_assert_num_queries(5):  # session, user, roles, count, page
        assert client.get(TASKS).json()["count"] == 13


def test_list_bad_day_names_the_field(client, world, lift):
    login(client, world.a.users["cleaner"])
    response = client.get(TASKS, {"day": "2020-02-31"})
    assert response.status_code == 422
    assert "day" in response.content.decode()


def test_guard_may_not_list(client, world, lift):
    login(client, world.a.users["guard"])
    assert client.get(TASKS).status_code == 403


# --- completing ---------------------------------------------------------------------------------


def test_complete_then_replay(client, world, lift):
    task = lift["tasks"][0]
    login(client, world.a.users["cleaner"])
    key = str(uuid.uuid4())
    url = f"{TASKS}/{task.pk}/complete"
    first = post(client, url, {"client_uuid": key, "batch": "B3"})
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["task"]["state"], body["task"]["batch"], body["duplicate"]) == (
        "done",
        "B3",
        False,
    )
    replay = post(client, url, {"client_uuid": key, "batch": "B4"}).json()
    assert replay["duplicate"] is True and replay["task"]["batch"] == "B3"
    other = post(client, url, {"client_uuid": str(uuid.uuid4())}).json()
    assert (other["already_done"], other["message"]) == (True, "已完成")


def test_complete_cancelled_is_422_naming_task(client, world, lift):
    task = lift["tasks"][0]
    Task.all_tenants.filter(pk=task.pk).update(state="cancelled")
    login(client, world.a.users["cleaner"])
    response = post(client, f"{TASKS}/{task.pk}/complete", {})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"][-1] == "task" and "已取消" in detail["msg"]


def test_complete_batch_too_long_is_422(client, world, lift):
    login(client, world.a.users["cleaner"])
    response = post(client, f"{TASKS}/{lift['tasks'][0].pk}/complete", {"batch": "x" * 65})
    assert response.status_code == 422 and "batch" in response.content.decode()
    assert Task.all_tenants.get(pk=lift["tasks"][0].pk).state == "pending"


def test_guard_may_not_complete(client, world, lift):
    login(client, world.a.users["guard"])
    assert post(client, f"{TASKS}/{lift['tasks'][0].pk}/complete", {}).status_code == 403


# --- device runs ---------------------------------------------------------------------------------


@pytest.fixture
def lamp(world, lift):
    device, raw = make_device(world.a)
    lift["area"].__class__.all_tenants.filter(pk=lift["area"].pk).update(device=device)
    return {"device": device, "auth": {"HTTP_AUTHORIZATION": f"Bearer {raw}"}}


def run_body(hour=7, minute=30, **extra):
    return {
        "client_uuid": str(uuid.uuid4()),
        "started_at": at(timezone.localdate(), hour, minute).isoformat(),
        "minutes": 20,
        **extra,
    }


def test_one_run_completes_and_replays(client, world, lift, lamp, time_machine):
    time_machine.move_to(at(timezone.localdate(), 22), tick=False)
    body = run_body()
    response = post(client, RUNS, body, **lamp["auth"])
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["tasks_completed"], out["task_ids"], out["duplicate"]) == (
        1,
        [lift["tasks"][0].pk],
        False,
    )
    again = post(client, RUNS, body, **lamp["auth"]).json()
    assert again["duplicate"] is True and again["run_id"] == out["run_id"]
    assert DeviceRun.all_tenants.count() == 1
    task = Task.all_tenants.get(pk=lift["tasks"][0].pk)
    assert (task.state, task.source, task.device_id) == ("done", "device", lamp["device"].pk)


def test_one_bad_run_is_422_naming_the_field(client, world, lift, lamp):
    response = post(client, RUNS, {**run_body(), "minutes": 0}, **lamp["auth"])
    assert response.status_code == 422 and "minutes" in response.content.decode()
    naive = {**run_body(), "started_at": "2020-02-14T08:00:00"}
    assert post(client, RUNS, naive, **lamp["auth"]).status_code == 422
    assert not DeviceRun.all_tenants.exists()


def test_batch_reports_errors_by_index(client, world, lift, lamp, time_machine):
    time_machine.move_to(at(timezone.localdate(), 22), tick=False)
    theirs = furnish(world.b)["area"]
    runs = [
        run_body(7),
        {"client_uuid": "nope"},
        run_body(11, area_id=theirs.pk),
        run_body(15),
        "not an object",
    ]
    response = post(client, RUNS, {"runs": runs}, **lamp["auth"])
    assert response.status_code == 200, response.content
    out = response.json()
    assert [r["index"] for r in out["results"]] == [0, 3]
    assert sorted({e["index"] for e in out["errors"]}) == [1, 2, 4]
    assert {e["field"] for e in out["errors"] if e["index"] == 2} == {"area_id"}
    assert Task.all_tenants.filter(state="done").count() == 2


def test_batch_over_the_limit_is_refused(client, world, lift, lamp):
    runs = [run_body() for _ in range(1001)]
    assert post(client, RUNS, {"runs": runs}, **lamp["auth"]).status_code == 422
    assert not DeviceRun.all_tenants.exists()


def test_gate_device_is_403_and_users_401(client, world, lift):
    _face, raw = make_device(world.a, kind=Device.Kind.FACE, name="人脸机")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert post(client, RUNS, run_body(), **auth).status_code == 403
    login(client, world.a.users["company_admin"])
    assert post(client, RUNS, run_body()).status_code == 401
    assert not DeviceRun.all_tenants.exists()


def test_device_token_reads_no_task_list(client, world, lift, lamp):
    assert client.get(TASKS, **lamp["auth"]).status_code == 401
