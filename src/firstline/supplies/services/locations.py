"""The ledger's locations, made on first use: one per donor, warehouse, company store
and site, and one transit, consumed and written-off account per association.

get_or_create on each target's unique key, so two requests making the same site's
location at once end with one row."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from firstline.supplies.models import Donor, Location, Warehouse

_PUBLIC_NAMES = {
    Location.Kind.TRANSIT: "在途",
    Location.Kind.CONSUMED: "已使用",
    Location.Kind.WRITTEN_OFF: "损耗/核减",
}


def _get_or_create(lookup: dict, defaults: dict) -> Location:
    try:
        with transaction.atomic():
            location, _created = Location.all_tenants.get_or_create(**lookup, defaults=defaults)
            return location
    except IntegrityError:  # lost a race to create it: the winner's row is there now
        return Location.all_tenants.get(**lookup)


def donor_location(donor: Donor) -> Location:
    return _get_or_create(
        {"donor": donor},
        {
            "kind": Location.Kind.DONOR,
            "virtual": True,
            "association_id": donor.association_id,
            "public_name": donor.public_name,
        },
    )


def warehouse_location(warehouse: Warehouse) -> Location:
    return _get_or_create(
        {"warehouse": warehouse},
        {
            "kind": Location.Kind.WAREHOUSE,
            "association_id": warehouse.association_id,
            "division_code": warehouse.district.code,
            "public_name": warehouse.name,
        },
    )


def company_location(company, *, association_id: int) -> Location:
    """A company's own store (stock it holds before sending it on to its sites)."""
    return _get_or_create(
        {"company": company, "kind": Location.Kind.COMPANY},
        {
            "association_id": association_id,
            "division_code": company.division.code if company.division_id else "",
            "public_name": company.name,
        },
    )


def site_location(site, *, association_id: int) -> Location:
    """Needs `site.community` loaded (its code places the site in its division)."""
    return _get_or_create(
        {"site": site},
        {
            "kind": Location.Kind.SITE,
            "association_id": association_id,
            "company_id": site.company_id,
            "division_code": site.community.code,
            "public_name": site.name,
        },
    )


def system_location(kind: str, *, association_id: int) -> Location:
    """The association's transit, consumed or written-off account."""
    return _get_or_create(
        {"association_id": association_id, "kind": kind},
        {"virtual": kind in Location.VIRTUAL_KINDS, "public_name": _PUBLIC_NAMES[kind]},
    )
