"""Overdue detection with frozen time: one alert per task, after due + grace, once."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from firstline.sanitation.models import AreaKind, OverdueAlert, Task
from firstline.sanitation.services.generator import tasks_generate
from firstline.sanitation.services.overdue import overdue_raise
from firstline.sanitation.tests.planning import entry, planned

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2020, 2, 10)


def at(hour, minute=0):
    return datetime(2020, 2, 10, hour, minute, tzinfo=TZ)


@pytest.fixture
def lift_car(world):
    areas = planned(world.a, kinds=(AreaKind.LIFT,))
    e = entry(areas[AreaKind.LIFT], "lift-car")  # due 14:00 and 20:00
    tasks_generate(day=DAY, now=at(0))
    # Only this entry's tasks matter here: the others are done.
    Task.all_tenants.exclude(entry=e).update(state=Task.State.DONE)
    return e


@pytest.mark.django_db
def test_not_overdue_before_due_plus_grace(lift_car):
    with time_machine.travel(at(14, 30), tick=False):
        assert overdue_raise() == 0
    assert not OverdueAlert.all_tenants.exists()


@pytest.mark.django_db
def test_one_alert_after_grace_and_only_once(world, lift_car):
    with time_machine.travel(at(14, 31), tick=False):
        assert overdue_raise() == 1
        assert overdue_raise() == 0
    alert = OverdueAlert.all_tenants.select_related("task").get()
    assert alert.task.entry_id == lift_car.pk and alert.task.slot == 1
    assert (alert.company_id, alert.site_id) == (world.a.company.pk, world.a.site.pk)
    assert "14:00" in alert.message and lift_car.title in alert.message


@pytest.mark.django_db
def test_done_and_cancelled_tasks_raise_nothing(lift_car):
    Task.all_tenants.filter(entry=lift_car, slot=1).update(state=Task.State.DONE)
    Task.all_tenants.filter(entry=lift_car, slot=2).update(state=Task.State.CANCELLED)
    assert overdue_raise(at(23)) == 0


@pytest.mark.django_db
def test_the_tick_generates_and_alerts_idempotently(world):
    planned(world.a, kinds=(AreaKind.GARBAGE,))
    with time_machine.travel(at(7), tick=False):
        call_command("sanitation_tick", stdout=io.StringIO())
    today = Task.all_tenants.filter(day=DAY).count()
    assert today and Task.all_tenants.filter(day=date(2020, 2, 11)).count() == today
    with time_machine.travel(at(21), tick=False):
        call_command("sanitation_tick", stdout=io.StringIO())
        call_command("sanitation_tick", stdout=io.StringIO())
    assert OverdueAlert.all_tenants.count() == today  # every task of the day missed, once
    assert Task.all_tenants.count() == 2 * today
