"""Compliance figures: done ÷ due, on-time and late apart, per site, area and day,
each one aggregate query over a scoped queryset. Rows are made directly (rows.py), so
the figures are known exactly; `furnish` is shared by the page and tenancy tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from firstline.core.models import AuditAction as CoreAuditAction
from firstline.orgs.selectors import scope_for_user
from firstline.sanitation.models import OverdueAlert, Task
from firstline.sanitation.selectors import compliance
from firstline.sanitation.selectors.compliance import Figure
from firstline.sanitation.tests.rows import make_area, make_entry, make_task
from firstline.testing.world import Tenant

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2020, 2, 10)
NOW = datetime(2020, 2, 10, 12, 0, tzinfo=ZONE)  # noon of TODAY


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def furnish(tenant: Tenant, *, today: date = TODAY) -> dict:
    """Two areas of the tenant's site. Today (as at noon): the lift's 08:00 slot done on
    time, its 10:00 slot done late, its 11:00 slot overdue with an alert, its 16:00 slot
    not due yet, its 17:00 slot done early, one cancelled; the lobby's 09:00 slot done.
    Yesterday: four due, three done (one late)."""
    lift = make_area(tenant, f"{tenant.site.name}1栋1号电梯")
    lobby = make_area(tenant, f"{tenant.site.name}1栋大堂", "lobby")
    lift_entry = make_entry(lift)
    lobby_entry = make_entry(lobby, "lobby-mop", times=2)
    done, pending, cancelled = Task.State.DONE, Task.State.PENDING, Task.State.CANCELLED
    rows = [
        (lift_entry, today, 1, 8, done, at(today, 7, 50)),
        (lift_entry, today, 2, 10, done, at(today, 10, 30)),
        (lift_entry, today, 3, 11, pending, None),
        (lift_entry, today, 4, 16, pending, None),
        (lift_entry, today, 5, 17, done, at(today, 11, 30)),
        (lift_entry, today, 6, 9, cancelled, None),
        (lobby_entry, today, 1, 9, done, at(today, 8, 55)),
    ]
    yesterday = today - timedelta(days=1)
    rows += [
        (lift_entry, yesterday, 1, 8, done, at(yesterday, 8)),
        (lift_entry, yesterday, 2, 12, done, at(yesterday, 14)),
        (lift_entry, yesterday, 3, 20, pending, None),
        (lobby_entry, yesterday, 1, 9, done, at(yesterday, 9)),
    ]
    tasks = [
        make_task(entry, day=day, slot=slot, due_at=at(day, hour), state=state, done_at=done_at)
        for entry, day, slot, hour, state, done_at in rows
    ]
    overdue = tasks[2]
    alert = OverdueAlert.all_tenants.create(
        company_id=overdue.company_id,
        site_id=overdue.site_id,
        task=overdue,
        message=f"{lift.name} 11:00 消毒未完成",
    )
    return {"lift": lift, "lobby": lobby, "tasks": tasks, "overdue": overdue, "alert": alert}


@pytest.fixture
def furnished(world):
    return {"a": furnish(world.a), "b": furnish(world.b)}


def scoped_tasks(user):
    scope = scope_for_user(user).for_perm("sanitation.view_compliance")
    return Task.objects.for_scope(scope)


def test_figure_arithmetic():
    figure = Figure(due=8, done=6, late=2)
    assert (figure.on_time, figure.missed, figure.percent, figure.on_time_percent) == (
        4,
        2,
        75.0,
        50.0,
    )
    assert Figure().percent is None
    assert Figure(3, 1, 0) + Figure(1, 1, 1) == Figure(4, 2, 1)


def test_by_site_counts_due_done_and_late(world, furnished, django_assert_num_queries):
    tasks = scoped_tasks(world.a.users["site_manager"])
    with django_assert_num_queries(1):
        figures = compliance.by_site_day(tasks, start=TODAY - timedelta(days=1), end=TODAY, now=NOW)
    site = world.a.site.pk
    # Today: 08, 10, 11 (overdue), 17 (done early), lobby 09 count; 16 not due; cancelled never.
    assert figures[(site, TODAY)] == Figure(due=5, done=4, late=1)
    assert figures[(site, TODAY)].percent == 80.0
    # Yesterday counts whole: the 20:00 slot is missed.
    assert figures[(site, TODAY - timedelta(days=1))] == Figure(due=4, done=3, late=1)
    assert {key[0] for key in figures} == {site}  # company b's site is not in a's scope


def test_not_yet_due_counts_when_time_passes(world, furnished):
    tasks = scoped_tasks(world.a.users["company_admin"])
    evening = at(TODAY, 18)
    figure = compliance.by_site(tasks, day=TODAY, now=evening)[world.a.site.pk]
    assert figure == Figure(due=6, done=4, late=1)  # the 16:00 slot is now due and missed


def test_completing_an_overdue_task_late_raises_the_figure(world, furnished):
    tasks = scoped_tasks(world.a.users["site_manager"])
    before = compliance.total(tasks, day=TODAY, now=NOW)
    Task.all_tenants.filter(pk=furnished["a"]["overdue"].pk).update(
        state=Task.State.DONE, done_at=NOW
    )
    after = compliance.total(tasks, day=TODAY, now=NOW)
    assert (before.done, after.done, after.late - before.late) == (4, 5, 1)
    assert after.percent == 100.0 and after.on_time == 3


def test_completing_a_task_before_it_is_due_raises_the_figure(world, furnished):
    """A cleaner ahead of the schedule moves the manager's figure at once."""
    tasks = scoped_tasks(world.a.users["site_manager"])
    upcoming = Task.all_tenants.get(site=world.a.site, day=TODAY, slot=4)
    Task.all_tenants.filter(pk=upcoming.pk).update(state=Task.State.DONE, done_at=NOW)
    assert compliance.total(tasks, day=TODAY, now=NOW) == Figure(due=6, done=5, late=1)


def test_by_area_day_for_one_site(world, furnished, django_assert_num_queries):
    tasks = scoped_tasks(world.a.users["site_manager"]).filter(site_id=world.a.site.pk)
    with django_assert_num_queries(1):
        figures = compliance.by_area_day(tasks, start=TODAY, end=TODAY, now=NOW)
    lift, lobby = furnished["a"]["lift"].pk, furnished["a"]["lobby"].pk
    assert figures == {
        (lift, TODAY): Figure(due=4, done=3, late=1),
        (lobby, TODAY): Figure(due=1, done=1, late=0),
    }


def test_cleaner_and_no_role_see_no_figures(world, furnished):
    """The cleaner has no view_compliance: the scoped queryset is empty, not an error."""
    for user in (world.a.users["cleaner"], world.users["no_role"]):
        assert compliance.by_site(scoped_tasks(user), day=TODAY, now=NOW) == {}


def test_overdue_lists_pending_past_due_only(world, furnished):
    tasks = scoped_tasks(world.a.users["site_manager"])
    rows = list(compliance.overdue(tasks, now=NOW))
    # Today's 11:00 and yesterday's 20:00: both pending and past due.
    assert [(t.day, t.slot) for t in rows] == [(TODAY - timedelta(days=1), 3), (TODAY, 3)]
    assert rows[0].area.name.endswith("1号电梯")  # joined, no lazy load


def test_alert_acknowledge_once_and_audited(world, furnished):
    from firstline.core.models import AuditEvent
    from firstline.core.services import alert_acknowledge

    alert = furnished["a"]["alert"]
    user = world.a.users["site_manager"]
    assert alert_acknowledge(actor=user, alert=alert) is True
    assert alert_acknowledge(actor=user, alert=alert) is False
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == user.pk and alert.acknowledged_at is not None
    events = AuditEvent.objects.filter(
        object_type="sanitation.overduealert", action=CoreAuditAction.ALERT_ACKNOWLEDGE
    )
    assert [(e.company_id, e.object_id) for e in events] == [(world.a.company.pk, str(alert.pk))]


def test_default_range_is_fourteen_days_to_today():
    start, end = compliance.default_range(TODAY)
    assert (end, (end - start).days + 1) == (TODAY, 14)
    assert len(compliance.days(start, end)) == 14
