"""What the public ledger publishes: totals and traces read straight from the entries.

Nothing here names a person: donors appear by `public_name` (an individual donor is
"爱心人士" or what they chose), places by their location's public name, and no actor
is ever read. The ledger is public by design (/ledger/ needs no login), so these
reads use `all_tenants` and answer to no scope: this module and opendata.py are the
only readers of association rows without one. Two figures are published for every line:

- donated: units that came in from donors (inbound entries, donor → warehouse);
- received: units signed for at a destination (receive entries, transit → a company's
  store or a site; a shortfall on receipt is not counted).

Every table is ONE grouped query over the entries, so a page costs the same at 12
batches or 140, and every published total is the sum of the lines under it (a
company's receipts include those of its sites, so the company table and the district
table add up to the same received total; the site table adds up to
`received_at_sites`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Substr
from django.shortcuts import get_object_or_404

from firstline.geo.models import Division
from firstline.supplies.models import (
    Balance,
    BatchLine,
    InboundBatch,
    LedgerEntry,
    LedgerHead,
    Location,
)

INBOUND = LedgerEntry.Kind.INBOUND
RECEIVE = LedgerEntry.Kind.RECEIVE
DESTINATIONS = (Location.Kind.COMPANY, Location.Kind.SITE)


def public_association_id() -> int | None:
    """The association whose ledger /ledger/ shows: the first one that has a ledger."""
    return (
        LedgerHead.all_tenants.order_by("association_id")
        .values_list("association_id", flat=True)
        .first()
    )


def entries(association_id: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.all_tenants.filter(association_id=association_id).order_by()


def _received(association_id: int) -> QuerySet[LedgerEntry]:
    return entries(association_id).filter(kind=RECEIVE, to_location__kind__in=DESTINATIONS)


def _sum(field: str = "quantity", **condition) -> Coalesce:
    return Coalesce(Sum(field, filter=Q(**condition) if condition else None), Value(0))


# --- the headline --------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    batches: int
    donors: int
    companies_reached: int
    sites_reached: int
    districts_reached: int
    donated: int
    received: int
    received_at_sites: int
    entries: int
    head_seq: int
    head_hash: str


def headline(association_id: int) -> Headline:
    """The figures at the top of /ledger/: one aggregate over the entries and the head."""
    district = Substr("to_location__division_code", 1, 6)
    at_destination = Q(kind=RECEIVE, to_location__kind__in=DESTINATIONS)
    row = entries(association_id).aggregate(
        batches=Count("batch", distinct=True, filter=Q(kind=INBOUND)),
        donors=Count("batch__donor", distinct=True, filter=Q(kind=INBOUND)),
        companies=Count("to_location__company", distinct=True, filter=at_destination),
        sites=Count(
            "to_location__site",
            distinct=True,
            filter=at_destination & Q(to_location__kind=Location.Kind.SITE),
        ),
        districts=Count(district, distinct=True, filter=at_destination),
        donated=_sum(kind=INBOUND),
        received=_sum(kind=RECEIVE, to_location__kind__in=DESTINATIONS),
        received_at_sites=_sum(kind=RECEIVE, to_location__kind=Location.Kind.SITE),
        entries=Count("pk"),
    )
    head = (
        LedgerHead.all_tenants.filter(association_id=association_id).values("seq", "hash").first()
    )
    return Headline(
        batches=row["batches"],
        donors=row["donors"],
        companies_reached=row["companies"],
        sites_reached=row["sites"],
        districts_reached=row["districts"],
        donated=row["donated"],
        received=row["received"],
        received_at_sites=row["received_at_sites"],
        entries=row["entries"],
        head_seq=head["seq"] if head else 0,
        head_hash=head["hash"] if head else "0" * 64,
    )


# --- tables ----------------------------------------------------------------------------


def by_item(association_id: int) -> list[dict]:
    """[{code, name, unit, donated, received}] per item, by code."""
    return list(
        entries(association_id)
        .filter(Q(kind=INBOUND) | Q(kind=RECEIVE, to_location__kind__in=DESTINATIONS))
        .values(code=F("item__code"), name=F("item__name"), unit=F("item__unit"))
        .annotate(donated=_sum(kind=INBOUND), received=_sum(kind=RECEIVE))
        .order_by("code")
    )


def by_donor(association_id: int) -> list[dict]:
    """[{donor_id, public_name, batches, donated, received}]: what each donor gave and
    how much of it has been signed for at destinations. Largest gift first."""
    return list(
        entries(association_id)
        .filter(Q(kind=INBOUND) | Q(kind=RECEIVE, to_location__kind__in=DESTINATIONS))
        .values(donor_id=F("batch__donor_id"), public_name=F("batch__donor__public_name"))
        .annotate(
            batches=Count("batch", distinct=True),
            donated=_sum(kind=INBOUND),
            received=_sum(kind=RECEIVE),
        )
        .order_by("-donated", "donor_id")
    )


def by_district(association_id: int) -> list[dict]:
    """[{code, name, companies, sites, received}] per district (first 6 digits of the
    destination's division code), the name from geo in the same query."""
    name = Division.objects.filter(code=OuterRef("code")).values("name")[:1]
    return list(
        _received(association_id)
        .annotate(code=Substr("to_location__division_code", 1, 6))
        .values("code")
        .annotate(
            name=Subquery(name),
            companies=Count("to_location__company", distinct=True),
            sites=Count("to_location__site", distinct=True),
            received=Sum("quantity"),
        )
        .order_by("code")
    )


def by_company(association_id: int, term: str = "") -> QuerySet:
    """Rows {company_id, name, sites, received} (its store's and its sites' receipts),
    most received first; a queryset, so the page paginates it (count + one page)."""
    qs = _received(association_id)
    if term:
        qs = qs.filter(to_location__company__name__icontains=term)
    return (
        qs.values(company_id=F("to_location__company_id"), name=F("to_location__company__name"))
        .annotate(
            sites=Count("to_location__site", distinct=True),
            received=Sum("quantity"),
        )
        .order_by("-received", "company_id")
    )


def by_site(association_id: int, term: str = "") -> QuerySet:
    """Rows {location_id, name, company, division_code, received} per site."""
    qs = _received(association_id).filter(to_location__kind=Location.Kind.SITE)
    if term:
        qs = qs.filter(to_location__public_name__icontains=term)
    return (
        qs.values(
            location_id=F("to_location_id"),
            name=F("to_location__public_name"),
            company=F("to_location__company__name"),
            division_code=F("to_location__division_code"),
        )
        .annotate(received=Sum("quantity"))
        .order_by("-received", "location_id")
    )


def batches(association_id: int, term: str = "") -> QuerySet:
    """Rows {number, donor, received_at, warehouse_name, units} per batch, newest
    number first (units: what the batch brought in, from its lines)."""
    qs = InboundBatch.all_tenants.filter(association_id=association_id)
    if term.isdigit():
        qs = qs.filter(number=int(term))
    elif term:
        qs = qs.filter(donor__public_name__icontains=term)
    return (
        qs.values(
            "number",
            "received_at",
            donor_name=F("donor__public_name"),
            warehouse_name=F("warehouse__name"),
        )
        .annotate(units=Sum("lines__quantity"))
        .order_by("-number")
    )


# --- one batch -------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    batch: dict
    lines: list[dict]
    whereabouts_by_kind: list[dict]


def batch_of(association_id: int, number: int, *, donors=None) -> dict:
    """The batch's public fields, or 404. `donors` narrows to a donor's own batches."""
    qs = InboundBatch.all_tenants.filter(association_id=association_id)
    if donors is not None:
        qs = qs.filter(donor__in=donors)
    return get_object_or_404(
        qs.values(
            "id",
            "number",
            "received_at",
            "directed_division_code",
            donor_name=F("donor__public_name"),
            warehouse_name=F("warehouse__name"),
            directed_company_name=F("directed_company__name"),
            directed_site_name=F("directed_site__name"),
        ),
        number=number,
    )


def trace(batch: dict) -> Trace:
    """The batch's lines (item, lot, expiry, donated) and where its units are now, by
    kind of place (warehouse, transit, companies, sites, used, written off)."""
    lines = list(
        BatchLine.all_tenants.filter(batch_id=batch["id"])
        .values(
            "quantity",
            code=F("item__code"),
            name=F("item__name"),
            unit=F("item__unit"),
            lot_no=F("lot__lot_no"),
            expiry=F("lot__expiry_date"),
        )
        .order_by("item__code")
    )
    by_kind = list(
        _whereabouts(batch["id"])
        .values(kind=F("location__kind"))
        .annotate(quantity=Sum("quantity"))
        .order_by("kind")
    )
    labels = dict(Location.Kind.choices)
    for row in by_kind:
        row["label"] = labels.get(row["kind"], row["kind"])
    return Trace(batch=batch, lines=lines, whereabouts_by_kind=by_kind)


def _whereabouts(batch_id: int) -> QuerySet[Balance]:
    """Every place holding (or having used / written off) units of the batch: all
    balances but the donor's, which is the negative of everything given."""
    return (
        Balance.all_tenants.filter(batch_id=batch_id, quantity__gt=0)
        .exclude(location__kind=Location.Kind.DONOR)
        .order_by()
    )


def whereabouts(batch_id: int) -> QuerySet:
    """Rows {location_id, kind, name, division_code, code, item, quantity} per place
    and item, largest first; a queryset, so a page paginates it."""
    return (
        _whereabouts(batch_id)
        .values(
            "quantity",
            location_kind=F("location__kind"),
            location_name=F("location__public_name"),
            location_label=_labels("location__kind", Location.Kind.choices),
            division_code=F("location__division_code"),
            code=F("item__code"),
            item_name=F("item__name"),
        )
        .order_by("-quantity", "location_id", "item_id")
    )


def _labels(field: str, choices) -> Case:
    """A choice field's label in the current language, computed in the query."""
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=F(field),
    )


def trace_entries(batch_id: int) -> QuerySet:
    """The batch's entries in seq order with the places' public names (no actor)."""
    return (
        LedgerEntry.all_tenants.filter(batch_id=batch_id)
        .values(
            "seq",
            "at",
            "kind",
            "quantity",
            "reason",
            "from_location_id",
            "to_location_id",
            "hash",
            code=F("item__code"),
            item_name=F("item__name"),
            source=F("from_location__public_name"),
            target=F("to_location__public_name"),
            kind_label=_labels("kind", LedgerEntry.Kind.choices),
        )
        .order_by("seq")
    )
