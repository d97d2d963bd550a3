"""Shipments end to end: stock in → READY shipment → dispatch → receive with a
shortfall → use at the site, and every refusal leaves nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404

from firstline.core.models import AuditEvent
from firstline.orgs.selectors import scope_for_user
from firstline.supplies.models import (
    Balance,
    LedgerEntry,
    Location,
    NeedLine,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.shipments import (
    consumption_record,
    plan_dispatch,
    shipment_dispatch,
    shipment_receive,
)
from firstline.supplies.tests import shipping

pytestmark = pytest.mark.django_db


def on_hand(kind: str, item) -> int:
    return (
        Balance.all_tenants.filter(location__kind=kind, item=item).aggregate(q=Sum("quantity"))["q"]
        or 0
    )


def figures(need_line) -> tuple[int, int, int]:
    row = NeedLine.all_tenants.get(pk=need_line.pk)
    return row.committed, row.in_transit, row.fulfilled


@pytest.fixture
def flow(world):
    n95 = shipping.item()
    batch = shipping.stock_in(world, [(n95, 1000)])
    (line,) = shipping.need(world.a, [(n95, 400)])
    # Through the allocation's approval (S2a): the need line commits the 300 units.
    shipment = shipping.approved_shipment(world, world.a, line, n95, [(batch, 300)])
    return n95, batch, line, shipment


def test_full_flow_with_a_shortfall(world, flow):
    n95, _batch, need_line, shipment = flow
    coordinator = world.users["association_admin"]
    manager = world.a.users["site_manager"]
    assert figures(need_line) == (300, 0, 0)

    assert shipment_dispatch(actor=coordinator, shipment=shipment) is True
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.IN_TRANSIT
    assert on_hand(Location.Kind.WAREHOUSE, n95) == 700
    assert on_hand(Location.Kind.TRANSIT, n95) == 300
    assert figures(need_line) == (0, 300, 0)

    (sline,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    assert shipment_receive(
        actor=manager,
        scope=scope_for_user(manager),
        shipment=shipment,
        received={sline.pk: (290, "外箱破损10只")},
    )
    row = Shipment.all_tenants.get(pk=shipment.pk)
    assert row.state == Shipment.State.RECEIVED and row.received_by_id == manager.pk
    sline.refresh_from_db()
    assert (sline.received_quantity, sline.difference_reason) == (290, "外箱破损10只")

    assert on_hand(Location.Kind.WAREHOUSE, n95) == 700
    assert on_hand(Location.Kind.TRANSIT, n95) == 0
    assert on_hand(Location.Kind.SITE, n95) == 290
    assert on_hand(Location.Kind.WRITTEN_OFF, n95) == 10
    assert on_hand(Location.Kind.DONOR, n95) == -1000
    assert figures(need_line) == (0, 0, 290)
    shortfall = LedgerEntry.all_tenants.get(kind=LedgerEntry.Kind.SHORTFALL)
    assert (shortfall.quantity, shortfall.reason, shortfall.shipment_id) == (
        10,
        "外箱破损10只",
        shipment.pk,
    )
    assert ledger.verify(world.association.pk) == []
    assert ledger.reconcile() == []
    actions = set(
        AuditEvent.objects.filter(
            object_type="supplies.shipment", object_id=str(shipment.pk)
        ).values_list("action", flat=True)
    )
    assert {"supplies.shipment_dispatch", "supplies.shipment_receive"} <= actions

    # Use at the site: 50 of the 290 go to consumed.
    consumption_record(
        actor=manager,
        scope=scope_for_user(manager),
        site=world.a.site,
        lines=[(n95, 50)],
        reason="门岗当日使用",
    )
    assert on_hand(Location.Kind.SITE, n95) == 240
    assert on_hand(Location.Kind.CONSUMED, n95) == 50
    assert ledger.verify(world.association.pk) == [] and ledger.reconcile() == []


def test_double_dispatch_and_double_receive_act_once(world, flow):
    n95, _batch, need_line, shipment = flow
    coordinator = world.users["association_admin"]
    assert shipment_dispatch(actor=coordinator, shipment=shipment) is True
    assert shipment_dispatch(actor=coordinator, shipment=shipment) is False
    assert on_hand(Location.Kind.TRANSIT, n95) == 300
    assert figures(need_line) == (0, 300, 0)

    manager = world.a.users["site_manager"]
    (sline,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    received = {sline.pk: (300, "")}
    scope = scope_for_user(manager)
    assert shipment_receive(actor=manager, scope=scope, shipment=shipment, received=received)
    assert not shipment_receive(actor=manager, scope=scope, shipment=shipment, received=received)
    assert on_hand(Location.Kind.SITE, n95) == 300
    assert figures(need_line) == (0, 0, 300)
    assert LedgerEntry.all_tenants.filter(kind=LedgerEntry.Kind.RECEIVE).count() == 1


def test_dispatch_without_stock_changes_nothing(world):
    n95 = shipping.item()
    batch = shipping.stock_in(world, [(n95, 100)])
    (line,) = shipping.need(world.a, [(n95, 500)])
    shipment = shipping.ready_shipment(world, world.a, [(line, n95, batch, 150)])
    entries = LedgerEntry.all_tenants.count()
    with pytest.raises(ValidationError) as caught:
        shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    assert "库存不足" in " ".join(caught.value.messages)
    assert "现有 100" in " ".join(caught.value.messages)
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.READY
    assert LedgerEntry.all_tenants.count() == entries
    assert figures(line) == (150, 0, 0)
    assert not AuditEvent.objects.filter(action="supplies.shipment_dispatch").exists()


def test_receive_refuses_a_difference_without_reason_and_too_many(world, flow):
    n95, _batch, need_line, shipment = flow
    shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    manager = world.a.users["site_manager"]
    scope = scope_for_user(manager)
    (sline,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    with pytest.raises(ValidationError) as caught:
        shipment_receive(
            actor=manager, scope=scope, shipment=shipment, received={sline.pk: (280, "")}
        )
    assert f"reason_{sline.pk}" in caught.value.message_dict
    assert "请说明原因" in caught.value.message_dict[f"reason_{sline.pk}"][0]
    with pytest.raises(ValidationError) as caught:
        shipment_receive(
            actor=manager, scope=scope, shipment=shipment, received={sline.pk: (301, "多")}
        )
    assert f"qty_{sline.pk}" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        shipment_receive(actor=manager, scope=scope, shipment=shipment, received={})
    assert f"qty_{sline.pk}" in caught.value.message_dict
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.IN_TRANSIT
    assert ShipmentLine.all_tenants.get(pk=sline.pk).received_quantity is None
    assert on_hand(Location.Kind.TRANSIT, n95) == 300
    assert figures(need_line) == (0, 300, 0)


def test_receive_before_dispatch_is_refused(world, flow):
    _n95, _batch, _line, shipment = flow
    manager = world.a.users["site_manager"]
    (sline,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    with pytest.raises(ValidationError):
        shipment_receive(
            actor=manager,
            scope=scope_for_user(manager),
            shipment=shipment,
            received={sline.pk: (300, "")},
        )
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.READY


def test_other_company_cannot_receive(world, flow):
    _n95, _batch, need_line, shipment = flow
    shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    intruder = world.b.users["company_admin"]
    (sline,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    with pytest.raises(Http404):
        shipment_receive(
            actor=intruder,
            scope=scope_for_user(intruder),
            shipment=shipment,
            received={sline.pk: (300, "")},
        )
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.IN_TRANSIT
    assert figures(need_line) == (0, 300, 0)


def test_consumption_draws_the_batch_expiring_first(world):
    n95 = shipping.item()
    late = shipping.stock_in(world, [(n95, 100)], expiry=date(2027, 6, 30))
    early = shipping.stock_in(world, [(n95, 100)], expiry=date(2026, 12, 31))
    shipment = shipping.ready_shipment(
        world, world.a, [(None, n95, late, 60), (None, n95, early, 40)]
    )
    shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    manager = world.a.users["site_manager"]
    scope = scope_for_user(manager)
    lines = {line.batch_id: line.pk for line in ShipmentLine.all_tenants.filter(shipment=shipment)}
    shipment_receive(
        actor=manager,
        scope=scope,
        shipment=shipment,
        received={lines[late.pk]: (60, ""), lines[early.pk]: (40, "")},
    )
    entries = consumption_record(
        actor=manager, scope=scope, site=world.a.site, lines=[(n95, 55)], reason="消杀作业"
    )
    assert [(e.batch_id, e.quantity) for e in entries] == [(early.pk, 40), (late.pk, 15)]

    before = LedgerEntry.all_tenants.count()
    with pytest.raises(ValidationError) as caught:
        consumption_record(
            actor=manager, scope=scope, site=world.a.site, lines=[(n95, 46)], reason="消杀作业"
        )
    assert "现有 45" in " ".join(caught.value.messages)
    assert LedgerEntry.all_tenants.count() == before
    with pytest.raises(ValidationError) as caught:
        consumption_record(
            actor=manager, scope=scope, site=world.a.site, lines=[(n95, 1)], reason=""
        )
    assert "reason" in caught.value.message_dict
    with pytest.raises(Http404):
        consumption_record(
            actor=world.b.users["site_manager"],
            scope=scope_for_user(world.b.users["site_manager"]),
            site=world.a.site,
            lines=[(n95, 1)],
            reason="越权",
        )
    assert LedgerEntry.all_tenants.count() == before


def test_plan_dispatch_sends_what_it_can_and_names_the_rest(world):
    from firstline.supplies.models import AllocationPlan

    n95 = shipping.item()
    batch = shipping.stock_in(world, [(n95, 100)])
    plan = AllocationPlan.objects.create(
        association=world.association,
        warehouse=shipping.warehouse(world),
        state=AllocationPlan.State.APPROVED,
    )
    first = shipping.ready_shipment(world, world.a, [(None, n95, batch, 70)], plan=plan)
    second = shipping.ready_shipment(world, world.b, [(None, n95, batch, 70)], plan=plan)
    result = plan_dispatch(actor=world.users["association_admin"], plan=plan)
    assert result.dispatched == [first.number]
    assert list(result.refused) == [second.number]
    assert "库存不足" in result.refused[second.number]
    assert Shipment.all_tenants.get(pk=second.pk).state == Shipment.State.READY
    assert on_hand(Location.Kind.TRANSIT, n95) == 70


def test_directed_gift_cannot_leave_for_elsewhere(world):
    """A batch directed to company b cannot go to a's site: the dispatch is refused
    whole (not left stuck in transit), nothing written."""
    n95 = shipping.item()
    batch = shipping.stock_in(world, [(n95, 100)], directed_company=world.b.company)
    shipment = shipping.ready_shipment(world, world.a, [(None, n95, batch, 10)])
    entries = LedgerEntry.all_tenants.count()
    with pytest.raises(ValidationError) as caught:
        shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    assert "定向捐赠" in " ".join(caught.value.messages)
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.READY
    assert LedgerEntry.all_tenants.count() == entries
    # To b's own site it goes.
    allowed = shipping.ready_shipment(world, world.b, [(None, n95, batch, 10)])
    assert shipment_dispatch(actor=world.users["association_admin"], shipment=allowed)
