"""The retention purge removes expired health rows, keeps recent ones, and leaves the
past daily counts exactly as they were; the daily roll-up and the health_tick job."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from firstline.health.models import (
    Consent,
    Declaration,
    DeclarationPlace,
    FollowUpCall,
    HealthAlert,
    HealthDailyCount,
    IsolationCase,
    IsolationCheck,
    SmsMessage,
    SupportRequest,
    VulnerableCheck,
    WorkItem,
)
from firstline.health.services import isolation, support, vulnerable
from firstline.health.services.daily import FIGURES, daily_counts_rollup
from firstline.health.services.purge import purge_health_data
from firstline.health.tests.test_care_tenancy import jpeg_bytes

ZONE = timezone.get_default_timezone()
OLD = date(2020, 1, 20)  # more than 30 days before NOW
NOW = datetime(2020, 3, 20, 10, 0, tzinfo=ZONE)


def at(day: date, hh: int = 9) -> datetime:
    return datetime.combine(day, time(hh), tzinfo=ZONE)


@pytest.fixture(autouse=True)
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def declaration(tenant, resident, *, when: datetime, current: bool, status="red") -> Declaration:
    consent = Consent.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        resident=resident,
        text_version="v1",
        channel="self",
        given_at=when,
    )
    decl = Declaration.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        resident=resident,
        household=tenant.household,
        current=current,
        channel="self",
        consent=consent,
        submitted_at=when,
        status=status,
    )
    DeclarationPlace.all_tenants.create(
        company=tenant.company, declaration=decl, place_name="武汉市江汉区", visited_on=when.date()
    )
    return decl


def history(tenant):
    """An old released case with checks and a missed-check alert, an old delivered request
    with a photo, old declarations, an old closed work item's call, an old check call;
    and recent rows of each kind that must stay."""
    old_resident, new_resident = tenant.residents
    with time_machine.travel(at(OLD, 8), tick=False):
        old_decl = declaration(tenant, old_resident, when=at(OLD), current=False)
        case = isolation.isolation_open(
            actor=None,
            resident=old_resident,
            kind="home",
            reason="武汉返回",
            start_date=OLD,
            planned_end=OLD + timedelta(days=2),
        )
        isolation.check_record(case=case, day=OLD, slot="am", temperature="38.1", by="self")
        req = support.request_create(
            actor=None, household=tenant.household, kind="groceries", details="米面油"
        )
        support.request_complete(
            actor=None, req=req, proof_note="已送达", photo=ContentFile(jpeg_bytes(), "p.jpg")
        )
        vulnerable.check_record(actor=None, resident=new_resident, outcome="well")
        item = WorkItem.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            resident=old_resident,
            household=tenant.household,
            declaration=old_decl,
            level="red",
            state="closed",
            closed_at=at(OLD),
        )
        FollowUpCall.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            work_item=item,
            called_at=at(OLD),
            outcome="reached",
        )
    with time_machine.travel(at(OLD + timedelta(days=3), 8), tick=False):
        isolation.missed_checks_raise()
        isolation.isolation_release(actor=None, case=case, note="期满")
        declaration(tenant, old_resident, when=at(OLD + timedelta(days=3)), current=True)
    recent = NOW.date() - timedelta(days=5)
    with time_machine.travel(at(recent, 8), tick=False):
        declaration(tenant, new_resident, when=at(recent), current=True, status="yellow")
        recent_case = isolation.isolation_open(
            actor=None, resident=new_resident, kind="home", reason="密接", start_date=recent
        )
        isolation.check_record(
            case=recent_case, day=recent, slot="am", temperature="36.5", by="self"
        )
        support.request_create(
            actor=None, household=tenant.household, kind="garbage", details="垃圾"
        )
        vulnerable.check_record(actor=None, resident=new_resident, outcome="no_answer")
    return req


def counts() -> dict:
    return {
        (row["site_id"], row["day"]): {f: row[f] for f in FIGURES}
        for row in HealthDailyCount.all_tenants.values("site_id", "day", *FIGURES)
    }


def all_days():
    first = OLD - timedelta(days=1)
    return [first + timedelta(days=i) for i in range((NOW.date() - first).days + 1)]


def test_purge_deletes_expired_keeps_recent_and_past_counts(
    world, django_capture_on_commit_callbacks
):
    req = history(world.a)
    photo = SupportRequest.all_tenants.get(pk=req.pk).proof_photo.name
    assert default_storage.exists(photo)
    with time_machine.travel(NOW, tick=False):
        daily_counts_rollup(all_days())
        before = counts()
        assert before[(world.a.site.pk, OLD)]["red"] == 1
        assert before[(world.a.site.pk, OLD)]["isolation_new"] == 1
        assert before[(world.a.site.pk, OLD + timedelta(days=1))]["missed_checks"] == 2
        with django_capture_on_commit_callbacks(execute=True):  # the photo goes after commit
            result = purge_health_data(days=30)
    assert counts() == before
    assert result.deleted["isolation_cases"] == 1
    assert not IsolationCase.all_tenants.filter(state="released").exists()
    assert IsolationCase.all_tenants.count() == 1  # the recent one
    assert IsolationCheck.all_tenants.count() == 1
    assert not HealthAlert.all_tenants.filter(kind__in=["missed_check", "fever"]).exists()
    assert Declaration.all_tenants.filter(current=False).count() == 0
    assert Declaration.all_tenants.filter(current=True).count() == 2  # current ones stay
    assert DeclarationPlace.all_tenants.count() == 2
    assert Consent.all_tenants.count() == 2
    assert list(SupportRequest.all_tenants.values_list("kind", flat=True)) == ["garbage"]
    assert not default_storage.exists(photo)
    assert FollowUpCall.all_tenants.count() == 0
    assert WorkItem.all_tenants.get().declaration_id is None
    assert list(VulnerableCheck.all_tenants.values_list("outcome", flat=True)) == ["no_answer"]


def test_purge_counts_the_days_not_counted_yet_before_deleting(world):
    """No roll-up ran: the purge counts the touched days first; the figures are those a
    roll-up before the purge would have written."""
    history(world.a)
    with time_machine.travel(NOW, tick=False):
        result = purge_health_data(days=30)
    assert result.days_counted > 0
    row = HealthDailyCount.all_tenants.get(site=world.a.site, day=OLD)
    assert (row.declarations, row.red, row.isolation_new, row.checks, row.support_requested) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert row.isolation_active == 1 and row.support_done == 1


def test_dry_run_deletes_nothing(world):
    history(world.a)
    with time_machine.travel(NOW, tick=False):
        result = purge_health_data(days=30, dry_run=True)
    assert result.deleted["isolation_cases"] == 1 and result.deleted["declarations"] == 1
    assert IsolationCase.all_tenants.count() == 2
    assert not HealthDailyCount.all_tenants.exists()


def test_purge_command_and_a_second_run_changes_nothing(world, capsys):
    history(world.a)
    with time_machine.travel(NOW, tick=False):
        call_command("purge_health_data", "--days", "30")
        before = counts()
        call_command("purge_health_data", "--days", "30")
    assert counts() == before
    out = capsys.readouterr().out
    assert "isolation_cases" in out and "deleted" in out


def test_health_tick_raises_missed_checks_and_rolls_up_today(world, capsys):
    day = date(2020, 2, 3)
    with time_machine.travel(at(day, 8), tick=False):
        isolation.isolation_open(
            actor=None, resident=world.a.residents[0], kind="home", reason="返汉", start_date=day
        )
    with time_machine.travel(at(day, 12) + timedelta(minutes=5), tick=False):
        call_command("health_tick")
        call_command("health_tick")
    assert HealthAlert.all_tenants.filter(kind="missed_check").count() == 1
    row = HealthDailyCount.all_tenants.get(site=world.a.site, day=day)
    assert (row.isolation_new, row.isolation_active, row.missed_checks) == (1, 1, 1)
    assert "missed-check" in capsys.readouterr().out


def test_rollup_rewrites_a_figure_that_fell_to_zero(world):
    day = date(2020, 2, 3)
    with time_machine.travel(at(day, 8), tick=False):
        req = support.request_create(
            actor=None, household=world.a.household, kind="other", details="x"
        )
        daily_counts_rollup([day])
    assert HealthDailyCount.all_tenants.get(day=day).support_requested == 1
    SupportRequest.all_tenants.filter(pk=req.pk).delete()
    daily_counts_rollup([day])
    assert HealthDailyCount.all_tenants.get(day=day).support_requested == 0


def test_purge_drops_old_sms_records_and_keeps_recent_ones(world):
    """The record of a text message goes with the retention period like the rest."""

    def sms(when: datetime, phone: str) -> SmsMessage:
        with time_machine.travel(when, tick=False):
            return SmsMessage.all_tenants.create(
                company=world.a.company,
                site=world.a.site,
                phone_masked=phone,
                purpose="otp",
                provider="console",
                status="sent",
            )

    sms(at(OLD), "138****0001")
    recent = sms(at(NOW.date() - timedelta(days=2)), "138****0002")
    with time_machine.travel(NOW, tick=False):
        result = purge_health_data(days=30)
    assert result.deleted["sms_messages"] == 1
    assert list(SmsMessage.all_tenants.values_list("pk", flat=True)) == [recent.pk]
