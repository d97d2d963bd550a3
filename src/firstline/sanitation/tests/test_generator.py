"""The generator: slots, idempotence, a plan edited during the day, entries switched off."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from firstline.sanitation.models import AreaKind, Task
from firstline.sanitation.services import generator
from firstline.sanitation.services.generator import slot_offsets, tasks_generate
from firstline.sanitation.services.plans import plan_entry_edit
from firstline.sanitation.tests.planning import entry, planned

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2020, 2, 10)


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections"
)


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


@pytest.mark.django_db
def test_rows_hold_what_a_model_instance_would(world):
    """The raw insert stores the same values bulk_create stored: every column but the
    id and the timestamps equal to an unsaved Task's; the timestamps the insert's
    wall-clock time (auto_now_add / auto_now), aware, not the `now` argument."""
    areas = planned(world.a)
    car = entry(areas[AreaKind.LIFT], "lift-car")
    with time_machine.travel(at(7), tick=False):
        tasks_generate(day=DAY, now=at(0))
    task = Task.all_tenants.get(entry=car, slot=1)
    like = Task(
        company_id=car.company_id,
        site_id=car.site_id,
        entry_id=car.pk,
        area_id=car.area_id,
        day=DAY,
        slot=1,
        revision=car.revision,
        due_at=at(14),
        state=Task.State.PENDING,
    )
    skip = {"id", "created_at", "updated_at"}
    fields = [f.attname for f in Task._meta.concrete_fields if f.name not in skip]
    assert [getattr(task, f) for f in fields] == [getattr(like, f) for f in fields]
    assert task.photo.name == "" and task.source == "" and task.client_uuid is None
    assert task.created_at == task.updated_at == at(7)


@pytest.mark.django_db
def test_small_chunks_take_the_bulk_path_and_stay_idempotent(world, monkeypatch):
    """Several chunks: the COPY staging path on PostgreSQL, several executemany calls
    on SQLite; the same rows as one chunk, twice in one transaction (the temporary
    table is dropped after each run)."""
    planned(world.a)
    whole = tasks_generate(day=DAY, now=at(0))
    expected = set(Task.all_tenants.values_list("entry_id", "day", "slot", "revision", "due_at"))
    Task.all_tenants.all().delete()
    monkeypatch.setattr(generator, "CHUNK", 3)
    with transaction.atomic():
        first = tasks_generate(day=DAY, now=at(0))
        # The keys already read are skipped; what is left is offered, and the conflict
        # clause drops it.
        Task.all_tenants.filter(slot=1).delete()
        again = tasks_generate(day=DAY, now=at(0))
    assert first == whole
    assert again["offered"] == len([k for k in expected if k[2] == 1])
    got = list(Task.all_tenants.values_list("entry_id", "day", "slot", "revision", "due_at"))
    assert len(got) == len(set(got)) and set(got) == expected


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chunk", [5_000, 3])  # executemany, COPY + INSERT … SELECT
def test_two_runs_at_once_make_no_duplicate(world, monkeypatch, chunk):
    """Run A inserts and holds its transaction open; run B, started meanwhile, has
    read no existing keys, offers every row and waits on A's; A commits once B is
    seen waiting. B's rows all conflict and are skipped: no duplicate, no error."""
    planned(world.a)
    monkeypatch.setattr(generator, "CHUNK", chunk)
    results: dict = {}
    errors: list = []
    a_inserted, b_started = threading.Event(), threading.Event()

    def run_a():
        with transaction.atomic():
            results["a"] = tasks_generate(day=DAY, now=at(0))
            a_inserted.set()
            b_started.wait(10)
            with connection.cursor() as cursor:
                for _n in range(200):  # until B blocks on A's rows (10 s at most)
                    # A transaction reads pg_stat_activity once and keeps that copy:
                    # drop it, or B's waiting is never seen.
                    cursor.execute("SELECT pg_stat_clear_snapshot()")
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
                results["waited"] = bool(_n < 199)

    def run_b():
        a_inserted.wait(10)
        b_started.set()
        results["b"] = tasks_generate(day=DAY, now=at(0))

    def guard(job):
        try:
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guard, args=(job,)) for job in (run_a, run_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    assert results["waited"], "run B never waited on run A's rows"
    assert results["a"]["offered"] == results["b"]["offered"] > 0
    keys = list(Task.all_tenants.values_list("entry_id", "day", "slot", "revision"))
    assert len(keys) == len(set(keys)) == results["a"]["offered"]
