"""Test helpers for needs and allocation: stock received through S1's services (so
balances come from real ledger entries) and needs made through `need_create`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from firstline.supplies.models import InboundBatch, Item, Warehouse
from firstline.supplies.services.catalogue import catalogue_install
from firstline.supplies.services.donations import (
    Direction,
    batch_receive,
    donor_create,
    warehouse_create,
)
from firstline.supplies.services.needs import need_create
from firstline.testing.world import World


@dataclass
class Depot:
    items: dict[str, Item]
    warehouse: Warehouse
    donor: object


def depot(world: World) -> Depot:
    items = {i.code: i for i in catalogue_install()}
    donor = donor_create(
        actor=None, association_id=world.association.pk, kind="company", name="某医疗器械公司"
    )
    warehouse = warehouse_create(
        actor=None,
        association_id=world.association.pk,
        name="江汉仓",
        district=world.divisions["420103"],
    )
    return Depot(items, warehouse, donor)


def receive(
    world: World,
    d: Depot,
    lines: list[tuple[str, int]],
    *,
    direction: Direction | None = None,
    expiry: date | None = None,
    lot: str | None = None,
) -> InboundBatch:
    return batch_receive(
        actor=None,
        association_id=world.association.pk,
        donor=d.donor,
        warehouse=d.warehouse,
        lines=[(d.items[code], lot, expiry, qty) for code, qty in lines],
        direction=direction,
    )


def ask(world: World, tenant, d: Depot, lines: list[tuple[str, int]], *, site=True, **extra):
    """A need of `tenant`'s site (or its company store with site=False), made by its admin."""
    from firstline.orgs.selectors import scope_for_user

    admin = tenant.users["company_admin"]
    return need_create(
        actor=admin,
        scope=scope_for_user(admin),
        company=tenant.company,
        site=tenant.site if site else None,
        justification="封闭管理，防护物资告急",
        lines=[(d.items[code], qty) for code, qty in lines],
        **extra,
    )
