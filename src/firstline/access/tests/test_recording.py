"""Passes and recorded gate events through the gate_services."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, FollowUp, Pass
from firstline.access.services import gate as gate_services
from firstline.access.services import passes
from firstline.access.services.gate import GateInput


@pytest.fixture
def policy(world):
    return gate_services.policy_publish(
        actor=None,
        site=world.a.site,
        data={
            "mode": "closed",
            "outing_quota": 1,
            "outing_period_days": 2,
            "effective_from": timezone.now() - timedelta(days=1),
        },
    )


def gate(site, **kw):
    base = {
        "client_uuid": uuid.uuid4(),
        "direction": "in",
        "device_time": timezone.now(),
        "temperature": Decimal("36.4"),
    }
    return GateInput(**{**base, **kw})


def test_pass_verifies_offline_with_only_the_public_key(world):
    resident = world.a.residents[0]
    pass_ = gate_services.pass_issue(actor=None, resident=resident)
    token = gate_services.pass_token(pass_)
    keys = gate_services.site_public_keys(world.a.site.pk)
    claims = passes.verify(token, public_keys=keys, site_id=world.a.site.pk, now=timezone.now())
    assert (claims.pass_id, claims.site_id) == (pass_.pk, world.a.site.pk)
    head, payload, sig = token.split(".")
    tampered = f"{head}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{sig}"
    for bad, status in [(tampered, "unknown"), (token[:-3] + "abc", "unknown")]:
        with pytest.raises(passes.InvalidPass) as exc:
            passes.verify(bad, public_keys=keys, site_id=world.a.site.pk, now=timezone.now())
        assert exc.value.status == status
    with pytest.raises(passes.InvalidPass) as exc:
        passes.verify(
            token,
            public_keys=keys,
            site_id=world.a.site.pk,
            now=pass_.valid_until + timedelta(seconds=1),
        )
    assert exc.value.status == "expired"
    with pytest.raises(passes.InvalidPass) as exc:
        passes.verify(token, public_keys=keys, site_id=world.b.site.pk, now=timezone.now())
    assert exc.value.status == "other_site"


def test_scan_admits_then_quota_denies_second_exit_of_the_household(world, policy):
    site = world.a.site
    first, second = world.a.residents
    issued = timezone.now() - timedelta(hours=1)
    t1 = gate_services.pass_token(gate_services.pass_issue(actor=None, resident=first, now=issued))
    t2 = gate_services.pass_token(gate_services.pass_issue(actor=None, resident=second, now=issued))
    results = gate_services.events_record(
        site=site,
        inputs=[
            gate(
                site, direction="out", token=t1, device_time=timezone.now() - timedelta(minutes=5)
            ),
            gate(site, direction="out", token=t2),
        ],
    )
    assert [r.decision for r in results] == ["admit", "deny"]
    assert results[1].reasons == ["本户本周期外出次数已用完（1/1，每 2 天）"]


def test_replayed_uuids_are_not_stored_twice(world, policy):
    site = world.a.site
    items = [gate(site, resident_id=world.a.residents[0].pk) for _ in range(3)]
    first = gate_services.events_record(site=site, inputs=items)
    again = gate_services.events_record(site=site, inputs=items)
    assert AccessEvent.all_tenants.count() == 3
    assert [r.event_id for r in again] == [r.event_id for r in first]
    assert all(r.duplicate for r in again) and not any(r.duplicate for r in first)


def test_a_batch_mixing_replays_and_new_events_stores_the_new_ones_once(world, policy):
    """A batch is first stored without looking its uuids up; a stored one makes that
    attempt roll back whole (alerts and follow-ups too) and the batch is recorded
    again, answering the replays with their original results."""
    site, resident = world.a.site, world.a.residents[0].pk
    old = [gate(site, resident_id=resident, temperature=Decimal("38.4")), gate(site)]
    first = gate_services.events_record(site=site, inputs=old)
    new = [gate(site, resident_id=resident, temperature=Decimal("38.9")), gate(site)]
    mixed = gate_services.events_record(site=site, inputs=[new[0], old[0], new[1], old[1]])

    assert [r.duplicate for r in mixed] == [False, True, False, True]
    assert [mixed[1].event_id, mixed[3].event_id] == [r.event_id for r in first]
    assert AccessEvent.all_tenants.count() == 4
    assert Alert.all_tenants.count() == FollowUp.all_tenants.count() == 2
    assert {e.client_uuid for e in AccessEvent.all_tenants.all()} == {
        i.client_uuid for i in old + new
    }


def test_fever_refers_alerts_and_opens_a_follow_up(world, policy):
    site = world.a.site
    [result] = gate_services.events_record(
        site=site,
        inputs=[gate(site, resident_id=world.a.residents[0].pk, temperature=Decimal("38.1"))],
    )
    assert result.decision == "refer"
    alert = Alert.all_tenants.get()
    assert (alert.event_id, alert.message, alert.site_id) == (
        result.event_id,
        f"{world.a.residents[0].name} 38.1℃",
        site.pk,
    )
    assert FollowUp.all_tenants.get().resident_id == world.a.residents[0].pk


def test_revoked_pass_is_denied_and_other_sites_pass_is_refused(world, policy):
    issued = timezone.now() - timedelta(hours=1)
    pass_ = gate_services.pass_issue(actor=None, resident=world.a.residents[0], now=issued)
    token = gate_services.pass_token(pass_)
    gate_services.pass_revoke(actor=None, pass_=pass_, reason="搬离")
    b_token = gate_services.pass_token(
        gate_services.pass_issue(actor=None, resident=world.b.residents[0], now=issued)
    )
    results = gate_services.events_record(
        site=world.a.site,
        inputs=[gate(world.a.site, token=token), gate(world.a.site, token=b_token)],
    )
    assert [(r.decision, r.reasons[0]) for r in results] == [
        ("deny", "通行证已注销"),
        ("deny", "不是本项目的通行证"),
    ]


def test_visitor_pass_is_one_time(world, policy):
    site = world.a.site
    pass_ = gate_services.pass_issue_visitor(
        actor=None,
        household=world.a.household,
        name="访客王",
        day_start=timezone.now() - timedelta(hours=1),
    )
    token = gate_services.pass_token(pass_)
    [first] = gate_services.events_record(site=site, inputs=[gate(site, token=token)])
    [second] = gate_services.events_record(site=site, inputs=[gate(site, token=token)])
    assert (first.decision, second.decision, second.reasons[0]) == (
        "admit",
        "deny",
        "一次性通行证已使用",
    )
    assert Pass.all_tenants.get(pk=pass_.pk).used_at is not None
