"""Device runs: a UV lamp cycle or drone sortie completes, for each entry of its area,
the earliest pending task due between 4 h before its start and 2 h after its end;
idempotent on the device's UUID; refused for gate devices."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from firstline.access.models import Device
from firstline.core.api import token_hash
from firstline.core.models import AuditEvent
from firstline.sanitation.models import AuditAction, DeviceRun, Task
from firstline.sanitation.services.completion import (
    RunError,
    RunInput,
    RunResult,
    device_run_record,
    device_runs_record,
)
from firstline.sanitation.tests.rows import at, make_area, make_entry, make_task


def make_device(tenant, kind=Device.Kind.UV_LAMP, name="1号电梯紫外灯") -> tuple[Device, str]:
    raw = "fld_" + secrets.token_urlsafe(32)
    device = Device.all_tenants.create(
        company=tenant.company, site=tenant.site, name=name, kind=kind, token_hash=token_hash(raw)
    )
    return device, raw


@pytest.fixture
def lift(world):
    """A lamp in a lift with two entries: three slots (8, 12, 16 h) and one (12 h)."""
    lamp, _raw = make_device(world.a)
    area = make_area(world.a, device=lamp)
    day = timezone.localdate()
    car = make_entry(area)
    buttons = make_entry(area, code="lift-buttons", title="按钮消毒", times=1)
    tasks = {
        "car8": make_task(car, day, 1, 8),
        "car12": make_task(car, day, 2, 12),
        "car16": make_task(car, day, 3, 16),
        "buttons12": make_task(buttons, day, 1, 12),
    }
    return {"lamp": lamp, "area": area, "day": day, "tasks": tasks}


def states(lift) -> dict[str, str]:
    rows = dict(Task.all_tenants.values_list("pk", "state"))
    return {name: rows[t.pk] for name, t in lift["tasks"].items()}


def test_a_run_completes_the_earliest_pending_slot_of_each_entry(lift):
    day = lift["day"]
    now = at(day, 23)
    result = device_run_record(
        device=lift["lamp"], client_uuid=uuid.uuid4(), started_at=at(day, 9), minutes=30, now=now
    )
    # Window 05:00–11:30: car8 is in (car12 is earliest after it but one per entry); buttons12 is not.
    assert states(lift) == {
        "car8": "done",
        "car12": "pending",
        "car16": "pending",
        "buttons12": "pending",
    }
    assert result.tasks_completed == 1 and result.area_id == lift["area"].pk
    task = Task.all_tenants.get(pk=lift["tasks"]["car8"].pk)
    assert (task.source, task.device_id, task.done_at, task.done_by_id) == (
        "device",
        lift["lamp"].pk,
        at(day, 9, 30),
        None,
    )
    run = DeviceRun.all_tenants.get()
    assert (run.site_id, run.area_id, run.tasks_completed) == (
        lift["area"].site_id,
        lift["area"].pk,
        1,
    )
    assert AuditEvent.objects.filter(action=AuditAction.DEVICE_RUN, object_id=str(run.pk)).exists()


def test_a_run_before_a_deadline_counts_for_that_slot(lift):
    day = lift["day"]
    Task.all_tenants.filter(pk=lift["tasks"]["car8"].pk).update(state="done")
    device_run_record(
        device=lift["lamp"],
        client_uuid=uuid.uuid4(),
        started_at=at(day, 10),
        minutes=20,
        now=at(day, 23),
    )
    # 06:00–12:20: car12 and buttons12, both due at noon.
    assert states(lift) == {
        "car8": "done",
        "car12": "done",
        "car16": "pending",
        "buttons12": "done",
    }


def test_a_run_far_from_any_slot_completes_nothing(lift):
    day = lift["day"]
    result = device_run_record(
        device=lift["lamp"],
        client_uuid=uuid.uuid4(),
        started_at=at(day, 1),
        minutes=10,
        now=at(day, 23),
    )
    assert result.tasks_completed == 0
    assert set(states(lift).values()) == {"pending"}
    assert DeviceRun.all_tenants.count() == 1  # the run is kept all the same


def test_replay_is_stored_once_with_the_original_answer(lift):
    day = lift["day"]
    key = uuid.uuid4()
    first = device_run_record(
        device=lift["lamp"], client_uuid=key, started_at=at(day, 11), minutes=30, now=at(day, 23)
    )
    again = device_run_record(
        device=lift["lamp"],
        client_uuid=str(key),
        started_at=at(day, 15),
        minutes=30,
        now=at(day, 23),
    )
    assert again.duplicate and (again.run_id, again.tasks_completed) == (first.run_id, 2)
    assert DeviceRun.all_tenants.count() == 1
    assert states(lift)["car16"] == "pending"


def test_batch_oldest_first_per_index_errors(lift, world):
    day = lift["day"]
    other_area = make_area(world.b, name="b的电梯")
    runs = [
        RunInput(uuid.uuid4(), at(day, 13), 30),  # second in time: takes car12 (car8 gone)
        RunInput(uuid.uuid4(), at(day, 7), 30),  # first in time: car8
        RunInput(uuid.uuid4(), at(day, 13), 0),  # minutes
        RunInput(uuid.uuid4(), at(day, 13), 30, area_id=other_area.pk),  # another company's
        RunInput(uuid.uuid4(), timezone.now() + timedelta(days=2), 30),  # the future
    ]
    out = device_runs_record(device=lift["lamp"], runs=runs, now=at(day, 23))
    assert [type(r) for r in out] == [RunResult, RunResult, RunError, RunError, RunError]
    assert [e.field for e in out[2:]] == ["minutes", "area_id", "started_at"]
    assert out[1].task_ids == [lift["tasks"]["car8"].pk]
    assert sorted(out[0].task_ids) == sorted(
        [lift["tasks"]["car12"].pk, lift["tasks"]["buttons12"].pk]
    )
    assert DeviceRun.all_tenants.count() == 2


def test_duplicate_uuid_inside_a_batch_is_an_error(lift):
    day = lift["day"]
    key = uuid.uuid4()
    out = device_runs_record(
        device=lift["lamp"],
        runs=[RunInput(key, at(day, 9), 10), RunInput(key, at(day, 9), 10)],
        now=at(day, 23),
    )
    assert isinstance(out[0], RunResult) and isinstance(out[1], RunError)


def test_gate_device_is_refused(world, lift):
    face, _raw = make_device(world.a, kind=Device.Kind.FACE, name="人脸机")
    with pytest.raises(PermissionDenied):
        device_run_record(
            device=face, client_uuid=uuid.uuid4(), started_at=timezone.now(), minutes=10
        )
    assert not DeviceRun.all_tenants.exists()


def test_drone_with_several_areas_must_name_one(world):
    drone, _raw = make_device(world.a, kind=Device.Kind.DRONE, name="消毒无人机")
    garbage = make_area(world.a, name="北门垃圾点", kind="garbage", device=drone)
    make_area(world.a, name="南门垃圾点", kind="garbage", device=drone)
    task = make_task(make_entry(garbage, code="garbage"), hour=10)
    with pytest.raises(ValidationError) as exc:
        device_run_record(
            device=drone,
            client_uuid=uuid.uuid4(),
            started_at=task.due_at,
            minutes=10,
            now=task.due_at,
        )
    assert "area_id" in exc.value.message_dict
    result = device_run_record(
        device=drone,
        client_uuid=uuid.uuid4(),
        started_at=task.due_at - timedelta(minutes=30),
        minutes=10,
        area_id=garbage.pk,
        now=task.due_at,
    )
    assert result.task_ids == [task.pk]


def test_device_without_area_is_told(world):
    lamp, _raw = make_device(world.a)
    with pytest.raises(ValidationError) as exc:
        device_run_record(
            device=lamp, client_uuid=uuid.uuid4(), started_at=timezone.now(), minutes=10
        )
    assert "未关联" in exc.value.message_dict["area_id"][0]


def test_batch_of_many_runs_has_a_fixed_query_count(lift, django_assert_max_num_queries):
    day = lift["day"]
    runs = [RunInput(uuid.uuid4(), at(day, 9) + timedelta(minutes=i), 5) for i in range(200)]
    with django_assert_max_num_queries(12):
        out = device_runs_record(device=lift["lamp"], runs=runs, now=at(day, 23))
    assert sum(r.tasks_completed for r in out) == 3  # car8, car12, buttons12: each once
