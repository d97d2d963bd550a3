"""Test helpers for shipments: stock in a warehouse, a need, a READY shipment.

Stock arrives the way it always does (ledger.post, donor → warehouse). A shipment is
built as an approved allocation leaves it: READY, its lines naming need lines whose
`committed` already counts them (S2a's plan_approve does this in the app)."""

from __future__ import annotations

import itertools
from datetime import date

from django.utils import timezone

from firstline.supplies.models import (
    BatchLine,
    Donor,
    InboundBatch,
    Item,
    LedgerEntry,
    Lot,
    Need,
    NeedLine,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import donor_location, site_location, warehouse_location
from firstline.supplies.services.waybills import waybill_numbers_issue

_numbers = itertools.count(1)


def item(code: str = "N95-01", kind: str = Item.Kind.N95, name: str = "N95口罩") -> Item:
    found, _ = Item.objects.get_or_create(
        code=code, defaults={"kind": kind, "name": name, "unit": "只", "pack_size": 20}
    )
    return found


def warehouse(world, name: str = "武汉一号仓") -> Warehouse:
    found, _ = Warehouse.all_tenants.get_or_create(
        association=world.association,
        name=name,
        defaults={"district": world.divisions["420103"]},
    )
    return found


def donor(world, name: str = "爱心企业") -> Donor:
    found, _ = Donor.all_tenants.get_or_create(
        association=world.association,
        name=name,
        defaults={"kind": Donor.Kind.COMPANY, "public_name": name},
    )
    return found


def stock_in(
    world,
    lines: list[tuple[Item, int]],
    *,
    expiry: date | None = None,
    number: int | None = None,
    **direction,
) -> InboundBatch:
    """One inbound batch at the warehouse, posted donor → warehouse."""
    wh = warehouse(world)
    giver = donor(world)
    batch = InboundBatch.objects.create(
        association=world.association,
        number=number or next(_numbers) + InboundBatch.all_tenants.count(),
        donor=giver,
        warehouse=wh,
        received_at=timezone.now(),
        **direction,
    )
    for thing, quantity in lines:
        lot = None
        if expiry is not None:
            lot = Lot.objects.create(item=thing, lot_no=f"L{batch.number}", expiry_date=expiry)
        BatchLine.objects.create(batch=batch, item=thing, lot=lot, quantity=quantity)
    ledger.post(
        association_id=world.association.pk,
        moves=[
            ledger.Move(
                kind=LedgerEntry.Kind.INBOUND,
                item_id=thing.pk,
                batch_id=batch.pk,
                from_location_id=donor_location(giver).pk,
                to_location_id=warehouse_location(wh).pk,
                quantity=quantity,
            )
            for thing, quantity in lines
        ],
    )
    return batch


def need(tenant, lines: list[tuple[Item, int]]) -> list[NeedLine]:
    row = Need.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        justification="一线人员防护",
        requested_at=timezone.now(),
    )
    return [
        NeedLine.all_tenants.create(
            company=tenant.company, need=row, site=tenant.site, item=thing, quantity=quantity
        )
        for thing, quantity in lines
    ]


def ready_shipment(
    world, tenant, lines: list[tuple[NeedLine | None, Item, InboundBatch, int]], *, plan=None
) -> Shipment:
    """A READY shipment warehouse → the tenant's site; the need lines are committed."""
    from django.db.models import F

    site = type(tenant.site).all_tenants.select_related("community").get(pk=tenant.site.pk)
    shipment = Shipment.all_tenants.create(
        company=tenant.company,
        number=waybill_numbers_issue(count=1)[0],
        plan=plan,
        site=site,
        from_location=warehouse_location(warehouse(world)),
        to_location=site_location(site, association_id=world.association.pk),
    )
    for need_line, thing, batch, quantity in lines:
        ShipmentLine.all_tenants.create(
            company=tenant.company,
            shipment=shipment,
            need_line=need_line,
            item=thing,
            batch=batch,
            quantity=quantity,
        )
        if need_line is not None:
            NeedLine.all_tenants.filter(pk=need_line.pk).update(committed=F("committed") + quantity)
    return shipment


def approved_shipment(world, tenant, need_line, item, batches: list[tuple[InboundBatch, int]]):
    """A READY shipment the way the app makes one: a DRAFT plan with one line per
    batch for the need line, approved by allocation.plan_approve."""
    from firstline.supplies.models import AllocationLine, AllocationPlan
    from firstline.supplies.services.allocation import plan_approve

    plan = AllocationPlan.objects.create(association=world.association, warehouse=warehouse(world))
    AllocationLine.objects.bulk_create(
        [
            AllocationLine(
                plan=plan,
                need_line_id=need_line.pk,
                company_id=tenant.company.pk,
                site_id=tenant.site.pk,
                item=item,
                batch=batch,
                quantity=quantity,
            )
            for batch, quantity in batches
            if quantity
        ]
    )
    (shipment,) = plan_approve(actor=world.users["association_admin"], plan=plan)
    return shipment
