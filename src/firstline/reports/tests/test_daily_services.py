"""The report's life: cut-off, on time / late at exactly the cut-off, missing,
re-submission, idempotent prefill that never touches a submitted report, refused
input, and two submissions at once on PostgreSQL."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from firstline.core.models import AuditEvent
from firstline.reports.models import FIGURES, AuditAction, DailyReport
from firstline.reports.selectors.daily import missing_q
from firstline.reports.services.daily import (
    report_cutoff,
    report_open,
    report_submit,
    reports_prefill,
)
from firstline.reports.tests.records import at, expected, gate_events, staff

DAY = date(2020, 2, 10)
ZONE = timezone.get_default_timezone()


def report_of(tenant, day=DAY) -> DailyReport:
    return DailyReport.all_tenants.get(site=tenant.site, day=day)


def test_cutoff_is_the_next_local_morning(settings):
    assert report_cutoff(DAY) == datetime(2020, 2, 11, 9, 0, tzinfo=ZONE)
    settings.FIRSTLINE_REPORT_CUTOFF = "10:30"
    assert report_cutoff(DAY) == datetime(2020, 2, 11, 10, 30, tzinfo=ZONE)
    settings.FIRSTLINE_REPORT_CUTOFF = "09:00"
    assert report_cutoff(DAY) == datetime(2020, 2, 11, 1, 0, tzinfo=UTC)  # Shanghai is UTC+8


@pytest.mark.parametrize(
    ("moment", "late"),
    [
        (datetime(2020, 2, 11, 8, 59, 59), False),
        (datetime(2020, 2, 11, 9, 0, 0), False),  # exactly at the cut-off: on time
        (datetime(2020, 2, 11, 9, 0, 1), True),
    ],
)
def test_on_time_and_late_at_the_cutoff(world, moment, late):
    user = world.a.users["site_manager"]
    with freeze_time(moment.replace(tzinfo=ZONE)):
        reports_prefill(day=DAY)
        report = report_submit(actor=user, report=report_of(world.a), notes="", help_needed="")
    assert report.late is late
    assert report.state == DailyReport.State.SUBMITTED
    assert report.submitted_at == moment.replace(tzinfo=ZONE)
    assert report.submitted_by_id == user.pk
    assert report.version == 1


def test_missing_is_a_draft_past_the_cutoff(world):
    with freeze_time(at(DAY, 12)):
        reports_prefill(day=DAY)
    user = world.b.users["site_manager"]
    with freeze_time(at(DAY + timedelta(days=1), 8)):
        report_submit(actor=user, report=report_of(world.b), notes="", help_needed="")
    missing = DailyReport.all_tenants.filter(missing_q(at(DAY + timedelta(days=1), 9)))
    assert not missing.exists()  # at the cut-off nothing is missing yet
    missing = DailyReport.all_tenants.filter(missing_q(at(DAY + timedelta(days=1), 9, 1)))
    assert set(missing.values_list("site_id", flat=True)) == {  # all but b's first site
        world.a.site.pk,
        world.a.sibling.site.pk,
        world.b.sibling.site.pk,
    }


def test_resubmission_bumps_the_version_and_recomputes(world):
    user = world.a.users["site_manager"]
    with freeze_time(at(DAY + timedelta(days=1), 8)):
        reports_prefill(day=DAY)
        first = report_submit(actor=user, report=report_of(world.a), notes="正常", help_needed="")
    gate_events(world.a, DAY, random.Random(5), n=10)  # records arrive late
    with freeze_time(at(DAY + timedelta(days=1), 11)):
        second = report_submit(
            actor=user, report=report_of(world.a), notes="更正", help_needed="缺口罩"
        )
    assert (first.version, second.version) == (1, 2)
    assert (first.late, second.late) == (False, True)
    assert second.notes == "更正" and second.help_needed == "缺口罩"
    now = at(DAY + timedelta(days=1), 11)
    want = expected(world.a.site.pk, DAY, now)
    assert {n: getattr(second, n) for n in FIGURES} == {n: want[n] for n in FIGURES}
    assert second.entries + second.exits + second.denied + second.referred > 0
    audits = AuditEvent.objects.filter(
        object_type="reports.dailyreport", action=AuditAction.DAILY_SUBMIT
    )
    assert [a.changes["version"] for a in audits.order_by("id")] == [1, 2]


def test_prefill_is_idempotent_and_refreshes_drafts(world):
    with freeze_time(at(DAY, 12)):
        assert reports_prefill(day=DAY) == 4  # the world's four sites
    ids = set(DailyReport.all_tenants.values_list("id", flat=True))
    staff(world.a)  # two more on duty
    with freeze_time(at(DAY, 13)):
        assert reports_prefill(day=DAY) == 4
        assert reports_prefill(day=DAY) == 4
    assert set(DailyReport.all_tenants.values_list("id", flat=True)) == ids
    report = report_of(world.a)
    assert report.staff_on_duty == 3
    assert report.prefilled_at == at(DAY, 13)


def test_prefill_never_touches_a_submitted_report(world):
    user = world.a.users["site_manager"]
    with freeze_time(at(DAY + timedelta(days=1), 8)):
        reports_prefill(day=DAY)
        submitted = report_submit(actor=user, report=report_of(world.a), notes="", help_needed="")
    staff(world.a)
    staff(world.b)
    with freeze_time(at(DAY + timedelta(days=1), 10)):
        assert reports_prefill(day=DAY) == 3  # the drafts: b's and both second sites
    again = report_of(world.a)
    assert again.staff_on_duty == submitted.staff_on_duty == 1
    assert again.prefilled_at == submitted.prefilled_at
    assert again.version == 1 and again.state == DailyReport.State.SUBMITTED
    assert report_of(world.b).staff_on_duty == 3


def test_refused_input_writes_nothing(world):
    user = world.a.users["site_manager"]
    with freeze_time(at(DAY, 20)):
        reports_prefill(day=DAY)
        with pytest.raises(ValidationError) as caught:
            report_submit(actor=user, report=report_of(world.a), notes="长" * 2001, help_needed="")
    assert "notes" in caught.value.message_dict
    report = report_of(world.a)
    assert report.state == DailyReport.State.DRAFT and report.version == 0
    assert not AuditEvent.objects.filter(object_type="reports.dailyreport").exists()


def test_open_prefills_a_missing_day_and_refuses_the_future(world):
    with freeze_time(at(DAY, 12)):
        report = report_open(site_id=world.a.site.pk, day=DAY - timedelta(days=3))
        assert report.day == DAY - timedelta(days=3) and report.state == "draft"
        assert DailyReport.all_tenants.count() == 1
        with pytest.raises(ValidationError) as caught:
            report_open(site_id=world.a.site.pk, day=DAY + timedelta(days=1))
    assert "day" in caught.value.message_dict


def test_tick_prefills_yesterday_and_today(world, capsys):
    with freeze_time(at(DAY, 12)):
        call_command("reports_tick")
        call_command("reports_tick")
    days = sorted(set(DailyReport.all_tenants.values_list("day", flat=True)))
    assert days == [DAY - timedelta(days=1), DAY]
    assert DailyReport.all_tenants.count() == 8  # four sites, two days
    assert "8 draft report(s) prefilled, 4 missing" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_give_versions_1_and_2():
    from firstline.testing.world import build_world

    world = build_world()
    reports_prefill(day=timezone.localdate() - timedelta(days=1))
    report = report_of(world.a, timezone.localdate() - timedelta(days=1))
    user = world.a.users["site_manager"]
    barrier = threading.Barrier(2)
    versions, errors = [], []

    def submit(note):
        try:
            barrier.wait()
            versions.append(
                report_submit(actor=user, report=report, notes=note, help_needed="").version
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(versions) == [1, 2]
    assert DailyReport.all_tenants.get(pk=report.pk).version == 2
