"""The generator: slots, idempotence, a plan edited during the day, entries switched off."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from firstline.sanitation.generator import slot_offsets, tasks_generate
from firstline.sanitation.models import AreaKind, Task
from firstline.sanitation.plans import plan_entry_edit

from .planning import entry, planned

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2020, 2, 10)


def at(hour, minute=0, day=DAY):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def tasks_of(e, **filters):
    return list(
        Task.all_tenants.filter(entry=e, **filters)
        .order_by("revision", "slot")
        .values_list("revision", "slot", "state", "due_at")
    )


def test_slots_spread_over_the_working_day():
    hours = lambda offsets: [o / timedelta(hours=1) + 8 for o in offsets]  # noqa: E731
    assert hours(slot_offsets(4, None)) == [11, 14, 17, 20]
    assert hours(slot_offsets(1, None)) == [20]
    assert hours(slot_offsets(None, 2)) == [10, 12, 14, 16, 18, 20]
    assert hours(slot_offsets(None, 5)) == [13, 18, 20]  # the last window is cut at 20:00


@pytest.mark.django_db
def test_times_per_day_and_every_hours_make_their_slots(world):
    areas = planned(world.a)
    tasks_generate(day=DAY, now=at(0))
    car = tasks_of(entry(areas[AreaKind.LIFT], "lift-car"))  # 2 a day
    assert [(r, s) for r, s, _st, _d in car] == [(1, 1), (1, 2)]
    assert [d for *_x, d in car] == [at(14), at(20)]
    buttons = tasks_of(entry(areas[AreaKind.LIFT], "lift-buttons"))  # every 3 hours
    assert [d for *_x, d in buttons] == [at(11), at(14), at(17), at(20)]
    assert {st for _r, _s, st, _d in buttons} == {Task.State.PENDING}
    task = Task.all_tenants.filter(entry=entry(areas[AreaKind.LIFT], "lift-car")).first()
    assert (task.company_id, task.site_id, task.area_id) == (
        world.a.company.pk,
        world.a.site.pk,
        areas[AreaKind.LIFT].pk,
    )


@pytest.mark.django_db
def test_running_twice_makes_no_duplicate(world):
    planned(world.a)
    planned(world.b)
    first = tasks_generate(day=DAY, now=at(0))
    count = Task.all_tenants.count()
    assert count == first["offered"] > 0
    again = tasks_generate(day=DAY, now=at(0))
    assert again == {"offered": 0, "cancelled": 0}
    assert Task.all_tenants.count() == count
    # Only the sites asked for; the others' tasks untouched.
    tasks_generate(day=DAY + timedelta(days=1), site_ids=[world.a.site.pk], now=at(0))
    assert set(
        Task.all_tenants.filter(day=DAY + timedelta(days=1)).values_list("site_id", flat=True)
    ) == {world.a.site.pk}


@pytest.mark.django_db
def test_slots_already_due_are_not_created(world):
    areas = planned(world.a)
    tasks_generate(day=DAY, now=at(15))
    buttons = tasks_of(entry(areas[AreaKind.LIFT], "lift-buttons"))
    assert [d for *_x, d in buttons] == [at(17), at(20)]


@pytest.mark.django_db
def test_mid_day_edit_replaces_only_future_pending_slots(world):
    areas = planned(world.a)
    lift_car = entry(areas[AreaKind.LIFT], "lift-car")
    with time_machine.travel(at(0, 5), tick=False):
        tasks_generate(day=DAY)
    # Slot 1 (due 14:00) done early; then at 11:00 the manager asks for 4 a day.
    Task.all_tenants.filter(entry=lift_car, slot=1).update(state=Task.State.DONE, done_at=at(10))
    with time_machine.travel(at(11), tick=False):
        plan_entry_edit(actor=None, entry=lift_car, fields={"times_per_day": 4})
        result = tasks_generate(day=DAY)
    assert result["cancelled"] == 1
    assert tasks_of(lift_car) == [
        (1, 1, Task.State.DONE, at(14)),  # done: kept
        (1, 2, Task.State.CANCELLED, at(20)),  # old revision, still pending, future
        (2, 2, Task.State.PENDING, at(14)),  # the new revision's slots after 11:00
        (2, 3, Task.State.PENDING, at(17)),
        (2, 4, Task.State.PENDING, at(20)),
    ]
    # Another edit later: an old-revision task already due is left for the overdue check.
    Task.all_tenants.filter(entry=lift_car, revision=2, slot=2).update(state=Task.State.PENDING)
    with time_machine.travel(at(15), tick=False):
        plan_entry_edit(actor=None, entry=lift_car, fields={"times_per_day": 2})
        tasks_generate(day=DAY)
        tasks_generate(day=DAY)  # and a second run changes nothing
    assert tasks_of(lift_car, revision=2) == [
        (2, 2, Task.State.PENDING, at(14)),  # due before 15:00: not cancelled
        (2, 3, Task.State.CANCELLED, at(17)),
        (2, 4, Task.State.CANCELLED, at(20)),
    ]
    assert tasks_of(lift_car, revision=3) == [(3, 2, Task.State.PENDING, at(20))]
    # Untouched entries keep their first tasks.
    other = entry(areas[AreaKind.GARBAGE], "garbage-point")
    assert {st for _r, _s, st, _d in tasks_of(other)} == {Task.State.PENDING}


@pytest.mark.django_db
def test_deactivated_entry_loses_its_future_pending_tasks(world):
    areas = planned(world.a)
    toilet = entry(areas[AreaKind.TOILET], "toilet")  # 3 a day: 12:00, 16:00, 20:00
    tasks_generate(day=DAY, now=at(0))
    Task.all_tenants.filter(entry=toilet, slot=1).update(state=Task.State.DONE)
    plan_entry_edit(actor=None, entry=toilet, fields={"active": False})
    result = tasks_generate(day=DAY, now=at(13))
    assert result["cancelled"] == 2
    assert [st for _r, _s, st, _d in tasks_of(toilet)] == [
        Task.State.DONE,
        Task.State.CANCELLED,
        Task.State.CANCELLED,
    ]
    assert timezone.is_aware(tasks_of(toilet)[0][3])
