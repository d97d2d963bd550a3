"""Test helpers: a stocked association built with the real services (catalogue,
donor, warehouse, one received batch), so every test starts from entries that
were posted through the ledger, never inserted by hand."""

from __future__ import annotations

from dataclasses import dataclass

from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.supplies.models import InboundBatch, Item, Location
from firstline.supplies.services.catalogue import catalogue_install
from firstline.supplies.services.donations import batch_receive, donor_create, warehouse_create
from firstline.supplies.services.locations import company_location, site_location


@dataclass
class Stocked:
    items: dict[str, Item]
    donor: object
    warehouse: object
    batch: InboundBatch
    warehouse_location: Location


def stocked(world, *, quantity: int = 1000, direction=None) -> Stocked:
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
    batch = batch_receive(
        actor=None,
        association_id=world.association.pk,
        donor=donor,
        warehouse=warehouse,
        lines=[
            (items["PPE-N95"], "L2020-01", None, quantity),
            (items["PPE-MASK"], None, None, quantity),
        ],
        direction=direction,
    )
    return Stocked(
        items=items,
        donor=donor,
        warehouse=warehouse,
        batch=batch,
        warehouse_location=Location.all_tenants.get(warehouse=warehouse),
    )


def store_of(world, tenant) -> Location:
    company = Company.objects.select_related("division").get(pk=tenant.company.pk)
    return company_location(company, association_id=world.association.pk)


def site_of(world, tenant) -> Location:
    site = Site.all_tenants.select_related("community").get(pk=tenant.site.pk)
    return site_location(site, association_id=world.association.pk)
