"""Reads for the donation and stock pages and the API, with their joins decided so a
page runs the same number of queries whatever the data size.

Association-level rows are filtered by the association ids the caller acts for
(`coordination.associations_for`); company users' stock goes through
`stock.scoped_locations`. Nothing here reads without one of the two."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet, Sum

from firstline.supplies.models import (
    Balance,
    BatchLine,
    Campaign,
    Donor,
    InboundBatch,
    Item,
    LedgerEntry,
    Location,
    Pledge,
    QualityDocument,
    Warehouse,
)
from firstline.supplies.services import ledger


def _ids(association_ids: Iterable[int]) -> list[int]:
    return sorted(association_ids)


def items() -> QuerySet[Item]:
    return Item.objects.order_by("code")


def donors(association_ids) -> QuerySet[Donor]:
    return Donor.objects.filter(association_id__in=_ids(association_ids)).order_by("name", "id")


def campaigns(association_ids) -> QuerySet[Campaign]:
    return Campaign.objects.filter(association_id__in=_ids(association_ids)).order_by(
        "-starts_on", "id"
    )


def warehouses(association_ids) -> QuerySet[Warehouse]:
    return (
        Warehouse.objects.filter(association_id__in=_ids(association_ids))
        .select_related("district")
        .order_by("name", "id")
    )


def pledges(association_ids) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(donor__association_id__in=_ids(association_ids))
        .select_related("donor", "item", "campaign")
        .order_by("-pledged_at", "-id")
    )


def batches(association_ids) -> QuerySet[InboundBatch]:
    return (
        InboundBatch.objects.filter(association_id__in=_ids(association_ids))
        .select_related("donor", "warehouse", "campaign")
        .annotate(units=Sum("lines__quantity"), line_count=Count("lines"))
        .order_by("-number")
    )


def batch_for(association_ids, pk) -> InboundBatch | None:
    return (
        InboundBatch.objects.filter(association_id__in=_ids(association_ids), pk=pk)
        .select_related(
            "donor", "warehouse", "campaign", "pledge", "directed_company", "directed_site"
        )
        .first()
    )


def batch_lines(batch) -> QuerySet[BatchLine]:
    return BatchLine.objects.filter(batch=batch).select_related("item", "lot").order_by("id")


def batch_documents(batch) -> QuerySet[QualityDocument]:
    return QualityDocument.objects.filter(batch=batch).order_by("-uploaded_at", "-id")


def batch_entries(batch) -> QuerySet[LedgerEntry]:
    """Where the batch went: its entries, in chain order."""
    return (
        LedgerEntry.objects.filter(batch=batch)
        .select_related("item", "from_location", "to_location")
        .order_by("seq")
    )


def location_entries(location) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(Q(from_location=location) | Q(to_location=location))
        .select_related("item", "batch", "from_location", "to_location")
        .order_by("-seq")
    )


def association_locations(association_ids) -> QuerySet[Location]:
    """The real places of the association's ledger (warehouses, transit, company stores, sites)."""
    return Location.objects.filter(
        association_id__in=_ids(association_ids), virtual=False
    ).order_by("kind", "public_name", "id")


def balances(locations: QuerySet[Location], *, item_id=None, kind=None) -> QuerySet[Balance]:
    """Stock on hand by location, item and batch (zero rows left out), names joined."""
    qs = Balance.objects.filter(location__in=locations, virtual=False).exclude(quantity=0)
    if item_id:
        qs = qs.filter(item_id=item_id)
    if kind:
        qs = qs.filter(location__kind=kind)
    return qs.select_related("location", "item", "batch").order_by(
        "location__kind", "location__public_name", "location_id", "item__code", "batch__number"
    )


def totals_by_location(locations: QuerySet[Location], *, item_id=None) -> list[dict]:
    """Units on hand per location and item, one aggregate query."""
    qs = Balance.objects.filter(location__in=locations, virtual=False)
    if item_id:
        qs = qs.filter(item_id=item_id)
    return list(
        qs.values(
            "location_id",
            "location__public_name",
            "location__kind",
            "item__code",
            "item__name",
            "item__unit",
        )
        .order_by("location__kind", "location__public_name", "location_id", "item__code")
        .annotate(quantity=Sum("quantity"))
        .filter(quantity__gt=0)
    )


def reconciliation(association_id: int) -> dict:
    """Cached balance vs the sum of entries for every (location, item, batch) of the
    association, the mismatches named; and the chain's verify result."""
    location_ids = list(
        Location.objects.filter(association_id=association_id).values_list("pk", flat=True)
    )
    summed = ledger.balances_from_entries(location_ids)
    cached = {
        (b["location_id"], b["item_id"], b["batch_id"]): b["quantity"]
        for b in Balance.objects.filter(location_id__in=location_ids).values(
            "location_id", "item_id", "batch_id", "quantity"
        )
    }
    keys = sorted(set(cached) | set(summed))
    names = dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "public_name"))
    item_names = dict(Item.objects.values_list("pk", "name"))
    numbers = dict(
        InboundBatch.objects.filter(association_id=association_id).values_list("pk", "number")
    )
    rows = [
        {
            "location_id": loc,
            "location": names.get(loc, loc),
            "item": item_names.get(item, item),
            "batch": numbers.get(batch, batch),
            "cached": cached.get((loc, item, batch), 0),
            "summed": summed.get((loc, item, batch), 0),
            "ok": cached.get((loc, item, batch), 0) == summed.get((loc, item, batch), 0),
        }
        for loc, item, batch in keys
    ]
    return {
        "rows": rows,
        "mismatches": [r for r in rows if not r["ok"]],
        "problems": ledger.verify(association_id),
    }
