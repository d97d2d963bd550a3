"""The gate's retention purge: old events, visitors and deliveries go; recent rows,
the officer's open work and the quota's counting period stay."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, Delivery, FollowUp, Pass, Visitor
from firstline.access.services import administration, gate, retention
from firstline.access.services.gate import GateInput

OLD = timedelta(days=40)  # past the 30-day retention of these tests


def publish(site, *, period_days=2):
    return gate.policy_publish(
        actor=None,
        site=site,
        data={
            "mode": "closed",
            "outing_period_days": period_days,
            "effective_from": timezone.now() - timedelta(days=90),
        },
    )


def record(site, resident, *, ago, temperature="36.5"):
    [result] = gate.events_record(
        site=site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=timezone.now() - ago,
                resident_id=resident.pk,
                temperature=Decimal(temperature),
            )
        ],
    )
    return AccessEvent.all_tenants.get(pk=result.event_id)


@pytest.fixture
def history(world):
    """Old and recent gate rows in both companies. Returns the rows that must stay."""
    site, first, second = world.a.site, *world.a.residents
    publish(site)
    publish(world.b.site)
    record(site, first, ago=OLD)  # an old admit: goes
    done = record(site, second, ago=OLD, temperature="38.6")  # a fever dealt with: goes
    Alert.all_tenants.filter(event=done).update(acknowledged_at=timezone.now())
    FollowUp.all_tenants.filter(event=done).update(status=FollowUp.Status.DONE)
    still_open = record(site, first, ago=OLD, temperature="38.9")  # its follow-up open: stays
    Alert.all_tenants.filter(event=still_open).update(acknowledged_at=timezone.now())
    # Its alert unacknowledged: stays.
    unacknowledged = record(world.b.site, world.b.residents[0], ago=OLD, temperature="38.2")
    FollowUp.all_tenants.filter(event=unacknowledged).update(status=FollowUp.Status.DONE)
    recent = record(site, second, ago=timedelta(days=29))
    record(world.b.site, world.b.residents[1], ago=OLD + timedelta(days=300))

    household = world.a.household
    old_day = timezone.localdate() - OLD
    old_visitor = administration.visitor_register(
        actor=None, household=household, name="王五", phone="13900000001",
        expected_on=old_day, today=old_day,
    )  # fmt: skip
    new_visitor = administration.visitor_register(
        actor=None, household=household, name="赵六", phone="13900000002",
        expected_on=timezone.localdate(),
    )  # fmt: skip
    administration.delivery_log(actor=None, site=site, carrier="顺丰", now=timezone.now() - OLD)
    # A resident's pass that expired long ago: not a visitor's, so it stays.
    expired = gate.pass_issue(actor=None, resident=first, now=timezone.now() - 3 * OLD)
    new_delivery = administration.delivery_log(actor=None, site=site, carrier="美团")
    return {
        "events": {still_open.pk, unacknowledged.pk, recent.pk},
        "visitors": {new_visitor.pk},
        "passes": {new_visitor.pass_ref_id},
        "old_pass": old_visitor.pass_ref_id,
        "resident_pass": expired.pk,
        "deliveries": {new_delivery.pk},
        "done": done,
    }


def test_purge_deletes_old_gate_rows_and_keeps_open_work_and_recent_rows(world, history):
    result = retention.purge_gate_data(days=30)

    assert set(AccessEvent.all_tenants.values_list("pk", flat=True)) == history["events"]
    assert result.deleted["events"] == 3
    assert result.deleted["alerts"] == 1 and result.deleted["follow_ups"] == 1
    assert not Alert.all_tenants.filter(event_id=history["done"].pk).exists()
    assert Alert.all_tenants.count() == 2 and FollowUp.all_tenants.count() == 2
    assert set(Visitor.all_tenants.values_list("pk", flat=True)) == history["visitors"]
    visitor_passes = Pass.all_tenants.filter(kind=Pass.Kind.VISITOR)
    assert set(visitor_passes.values_list("pk", flat=True)) == history["passes"]
    assert not Pass.all_tenants.filter(pk=history["old_pass"]).exists()
    assert Pass.all_tenants.filter(pk=history["resident_pass"], kind=Pass.Kind.RESIDENT).exists()
    assert set(Delivery.all_tenants.values_list("pk", flat=True)) == history["deliveries"]
    assert (result.deleted["visitors"], result.deleted["deliveries"]) == (1, 1)


def test_dry_run_counts_what_the_purge_deletes_and_deletes_nothing(world, history):
    now = timezone.now()
    before = AccessEvent.all_tenants.count(), Visitor.all_tenants.count()
    dry = retention.purge_gate_data(days=30, dry_run=True, now=now)
    assert (AccessEvent.all_tenants.count(), Visitor.all_tenants.count()) == before
    real = retention.purge_gate_data(days=30, now=now)
    assert (dry.deleted, dry.cutoff) == (real.deleted, real.cutoff)
    assert real.cutoff == now - timedelta(days=30)


def test_events_inside_a_quota_period_stay_whatever_the_retention(world):
    """A 60-day outing period counts 40-day-old exits: the purge keeps them."""
    publish(world.a.site, period_days=60)
    kept = record(world.a.site, world.a.residents[0], ago=OLD)
    result = retention.purge_gate_data(days=30)
    assert result.deleted["events"] == 0
    assert AccessEvent.all_tenants.filter(pk=kept.pk).exists()
    assert result.cutoff < timezone.now() - timedelta(days=60)


def test_events_go_in_chunks(world, history, monkeypatch):
    monkeypatch.setattr(retention, "CHUNK", 1)
    assert retention.purge_gate_data(days=30).deleted["events"] == 3
    assert set(AccessEvent.all_tenants.values_list("pk", flat=True)) == history["events"]


def test_command_purges_once_and_refuses_a_retention_under_a_day(world, history, capsys):
    call_command("purge_gate_data", "--days", "30")
    first = capsys.readouterr().out
    call_command("purge_gate_data", "--days", "30")
    second = capsys.readouterr().out
    assert "events" in first and "deleted 8 row(s)" in first
    assert "deleted 0 row(s)" in second
    with pytest.raises(CommandError, match="at least 1"):
        call_command("purge_gate_data", "--days", "0")
    with pytest.raises(ValueError):
        retention.purge_gate_data(days=0)
