"""Reads for the donation and stock pages and the API, with their joins decided so a
page runs the same number of queries whatever the data size.

Every read takes the caller's scope and starts from `Model.objects.for_scope`: a
coordinator reaches its association's rows, a company or site user the locations,
balances and entries of its own stores and sites. The catalogue is shared."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from firstline.core.scope import Scope
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


def items() -> QuerySet[Item]:
    return Item.objects.order_by("code")


def donors(scope: Scope) -> QuerySet[Donor]:
    return Donor.objects.for_scope(scope).order_by("name", "id")


def campaigns(scope: Scope) -> QuerySet[Campaign]:
    return Campaign.objects.for_scope(scope).order_by("-starts_on", "id")


def warehouses(scope: Scope) -> QuerySet[Warehouse]:
    return Warehouse.objects.for_scope(scope).select_related("district").order_by("name", "id")


def pledges(scope: Scope) -> QuerySet[Pledge]:
    return (
        Pledge.objects.for_scope(scope)
        .select_related("donor", "item", "campaign")
        .order_by("-pledged_at", "-id")
    )


def batch_rows(qs: QuerySet[InboundBatch]) -> QuerySet[InboundBatch]:
    """A batch list's joins and sums, on a scoped queryset."""
    return (
        qs.select_related("donor", "warehouse", "campaign")
        .annotate(units=Sum("lines__quantity"), line_count=Count("lines"))
        .order_by("-number")
    )


def batches(scope: Scope) -> QuerySet[InboundBatch]:
    return batch_rows(InboundBatch.objects.for_scope(scope))


def batch_detail(qs: QuerySet[InboundBatch]) -> QuerySet[InboundBatch]:
    """A batch page's joins, on a scoped queryset."""
    return qs.select_related(
        "donor", "warehouse", "campaign", "pledge", "directed_company", "directed_site"
    )


def batch_for(scope: Scope, pk) -> InboundBatch | None:
    return batch_detail(InboundBatch.objects.for_scope(scope)).filter(pk=pk).first()


def batch_lines(scope: Scope, batch) -> QuerySet[BatchLine]:
    return (
        BatchLine.objects.for_scope(scope)
        .filter(batch=batch)
        .select_related("item", "lot")
        .order_by("id")
    )


def batch_documents(scope: Scope, batch) -> QuerySet[QualityDocument]:
    return (
        QualityDocument.objects.for_scope(scope).filter(batch=batch).order_by("-uploaded_at", "-id")
    )


def batch_entries(scope: Scope, batch) -> QuerySet[LedgerEntry]:
    """Where the batch went: its entries, in chain order."""
    return (
        LedgerEntry.objects.for_scope(scope)
        .filter(batch=batch)
        .select_related("item", "from_location", "to_location")
        .order_by("seq")
    )


def location_entries(scope: Scope, location) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.for_scope(scope)
        .filter(Q(from_location=location) | Q(to_location=location))
        .select_related("item", "batch", "from_location", "to_location")
        .order_by("-seq")
    )


def locations(scope: Scope) -> QuerySet[Location]:
    """The real places the scope reaches: a coordinator's whole ledger (warehouses,
    transit, company stores, sites), a company's store and sites, a site's own."""
    return (
        Location.objects.for_scope(scope)
        .filter(virtual=False)
        .order_by("kind", "public_name", "id")
    )


def balances(
    scope: Scope, locations: QuerySet[Location], *, item_id=None, kind=None
) -> QuerySet[Balance]:
    """Stock on hand at `locations`, as `on_hand`."""
    return on_hand(
        Balance.objects.for_scope(scope).filter(location__in=locations), item_id=item_id, kind=kind
    )


def on_hand(qs: QuerySet[Balance], *, item_id=None, kind=None) -> QuerySet[Balance]:
    """Stock on hand by location, item and batch (zero and virtual rows left out), names
    joined, on a scoped queryset."""
    qs = qs.filter(virtual=False).exclude(quantity=0)
    if item_id:
        qs = qs.filter(item_id=item_id)
    if kind:
        qs = qs.filter(location__kind=kind)
    return qs.select_related("location", "item", "batch").order_by(
        "location__kind", "location__public_name", "location_id", "item__code", "batch__number"
    )


def totals_by_location(scope: Scope, locations: QuerySet[Location], *, item_id=None) -> list[dict]:
    """Units on hand per location and item, one aggregate query."""
    qs = Balance.objects.for_scope(scope).filter(location__in=locations, virtual=False)
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


def reconciliation(scope: Scope, association_id: int) -> dict:
    """Cached balance vs the sum of entries for every (location, item, batch) of one
    association the scope reaches, the mismatches named; and the chain's verify result."""
    locations = Location.objects.for_scope(scope).filter(association_id=association_id)
    location_ids = list(locations.values_list("pk", flat=True))
    summed = ledger.balances_from_entries(location_ids)
    cached = {
        (b["location_id"], b["item_id"], b["batch_id"]): b["quantity"]
        for b in Balance.objects.for_scope(scope)
        .filter(location_id__in=location_ids)
        .values("location_id", "item_id", "batch_id", "quantity")
    }
    keys = sorted(set(cached) | set(summed))
    names = dict(locations.values_list("pk", "public_name"))
    item_names = dict(Item.objects.values_list("pk", "name"))
    numbers = dict(
        InboundBatch.objects.for_scope(scope)
        .filter(association_id=association_id)
        .values_list("pk", "number")
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
