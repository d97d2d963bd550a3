"""The public ledger over the API (/api/v1/supplies/public/…), with no login
(`auth=None` on each operation overrides the API's global auth): the same figures
and traces as /ledger/, from supplies/selectors/public.py. No personal data."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404
from ninja import Query, Router
from pydantic import Field

from firstline.core.api import INT_MAX, PositiveInt, Schema
from firstline.supplies.selectors import public

router = Router(tags=["supplies: public ledger"])

MAX_ENTRIES = 1000


class HeadlineOut(Schema):
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


class ItemTotalOut(Schema):
    code: str
    name: str
    unit: str
    donated: int
    received: int


class DonorTotalOut(Schema):
    public_name: str
    batches: int
    donated: int
    received: int


class DistrictTotalOut(Schema):
    code: str
    name: str | None
    companies: int
    sites: int
    received: int


class SummaryOut(Schema):
    association_id: int
    headline: HeadlineOut
    items: list[ItemTotalOut]
    donors: list[DonorTotalOut]
    districts: list[DistrictTotalOut]


class PublicBatchLineOut(Schema):
    code: str
    name: str
    unit: str
    lot_no: str | None
    expiry: date | None
    quantity: int


class KindTotalOut(Schema):
    kind: str
    label: str
    quantity: int


class PublicPlaceOut(Schema):
    location_kind: str
    location_name: str
    division_code: str
    code: str
    quantity: int


class PublicEntryOut(Schema):
    seq: int
    at: datetime
    kind: str
    code: str
    from_location_id: int
    to_location_id: int
    source: str
    target: str
    quantity: int
    reason: str
    hash: str


class PublicBatchOut(Schema):
    number: int
    donor: str
    received_at: datetime
    warehouse_name: str
    lines: list[PublicBatchLineOut]
    whereabouts_by_kind: list[KindTotalOut]
    whereabouts: list[PublicPlaceOut]
    entries_total: int
    entries: list[PublicEntryOut]


class EntryPage(Schema):
    offset: int = Field(0, ge=0, le=INT_MAX)
    limit: int = Field(200, ge=1, le=MAX_ENTRIES)


def _association() -> int:
    found = public.public_association_id()
    if found is None:
        raise Http404
    return found


@router.get(
    "/public/summary",
    auth=None,
    response=SummaryOut,
    summary="Public ledger: headline figures and totals by item, donor and district",
    operation_id="supplies_public_summary",
)
def public_summary(request):
    found = _association()
    head = public.headline(found)
    return {
        "association_id": found,
        "headline": head.__dict__,
        "items": public.by_item(found),
        "donors": public.by_donor(found),
        "districts": public.by_district(found),
    }


@router.get(
    "/public/batches/{int:number}",
    auth=None,
    response=PublicBatchOut,
    summary="Public ledger: one batch's trace (entries paged by offset/limit)",
    operation_id="supplies_public_batch",
)
def public_batch(request, number: PositiveInt, page: Query[EntryPage]):
    batch = public.batch_of(_association(), number)
    trace = public.trace(batch)
    entries = public.trace_entries(batch["id"])
    return {
        "number": batch["number"],
        "donor": batch["donor_name"],
        "received_at": batch["received_at"],
        "warehouse_name": batch["warehouse_name"],
        "lines": trace.lines,
        "whereabouts_by_kind": [
            {**row, "label": str(row["label"])} for row in trace.whereabouts_by_kind
        ],
        "whereabouts": list(public.whereabouts(batch["id"])),
        "entries_total": entries.count(),
        "entries": list(entries[page.offset : page.offset + page.limit]),
    }
