"""Donations and stock API (mounted under /api/v1/supplies/):

- GET  /items                 the catalogue (shared reference data; any signed-in user)
- GET  /donors                the coordinator's donors
- GET  /batches, /batches/{id} inbound batches (the detail with its lines)
- POST /batches               receive a batch (donor → warehouse entries), all or nothing
- GET  /stock                 balances: a coordinator's whole association, a company or
                              site user their own stores and sites

Association rows are filtered by `associations_for`; an id outside is 404. Lists are
paginated and run a fixed number of queries."""

from datetime import date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate

from firstline.core.api import ScopedPagination
from firstline.supplies.models import Campaign, Donor, Item, Location, Pledge, Warehouse
from firstline.supplies.selectors import donations as donations_selectors
from firstline.supplies.selectors.coordination import associations_for
from firstline.supplies.selectors.stock import scoped_locations
from firstline.supplies.services import donations as donations_services

router = Router(tags=["supplies"])

VIEW_ALL = "supplies.view_all"
COORDINATE = "supplies.coordinate"
VIEW_STOCK = "supplies.view_stock"


def _associations(request, perm: str) -> frozenset[int]:
    ids = associations_for(request.scope, perm)
    if not ids:
        raise HttpError(403, "permission denied")
    return ids


def _refusal(exc: DjangoValidationError) -> NinjaValidationError:
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
    return NinjaValidationError(
        [
            {
                "type": "value_error",
                "loc": ["body", "payload", name] if name else ["body", "payload"],
                "msg": m,
            }
            for name, messages in items
            for m in messages
        ]
    )


# --- schemas ----------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    name_en: str
    unit: str
    pack_size: int
    standard: str
    active: bool


class DonorOut(Schema):
    id: int
    association_id: int
    kind: str
    name: str
    public_name: str


class BatchOut(Schema):
    id: int
    association_id: int
    number: int
    donor_id: int
    donor_name: str = Field(alias="donor.name")
    warehouse_id: int
    warehouse_name: str = Field(alias="warehouse.name")
    campaign_id: int | None
    pledge_id: int | None
    directed_company_id: int | None
    directed_site_id: int | None
    directed_division_code: str
    received_at: datetime
    note: str


class BatchLineOut(Schema):
    item_id: int
    item_code: str = Field(alias="item.code")
    lot_no: str | None
    expiry_date: date | None
    quantity: int

    @staticmethod
    def resolve_lot_no(obj):
        return obj.lot.lot_no if obj.lot_id else None

    @staticmethod
    def resolve_expiry_date(obj):
        return obj.lot.expiry_date if obj.lot_id else None


class BatchDetailOut(BatchOut):
    lines: list[BatchLineOut] = Field(alias="line_rows")


class BatchLineIn(Schema):
    item_code: str
    lot_no: str | None = None
    expiry: date | None = None
    quantity: int = Field(gt=0)


class BatchIn(Schema):
    donor_id: int
    warehouse_id: int
    lines: list[BatchLineIn] = Field(min_length=1, max_length=100)
    campaign_id: int | None = None
    pledge_id: int | None = None
    directed_company_id: int | None = None
    directed_site_id: int | None = None
    directed_division_code: str = ""
    received_at: datetime | None = None
    note: str = Field("", max_length=200)


class StockOut(Schema):
    location_id: int
    location_name: str = Field(alias="location.public_name")
    location_kind: str = Field(alias="location.kind")
    company_id: int | None = Field(alias="location.company_id")
    site_id: int | None = Field(alias="location.site_id")
    item_id: int
    item_code: str = Field(alias="item.code")
    batch_id: int
    batch_number: int = Field(alias="batch.number")
    quantity: int


class StockFilter(Schema):
    item_code: str | None = None
    location_kind: str | None = None
    location_id: int | None = None


# --- endpoints ---------------------------------------------------------------------------------


@router.get(
    "/items",
    response=list[ItemOut],
    operation_id="list_supplies_items",
    summary="The item catalogue",
)
@paginate(ScopedPagination)
def items(request):
    return donations_selectors.items()


@router.get(
    "/donors",
    response=list[DonorOut],
    operation_id="list_supplies_donors",
    summary="Donors (coordinator)",
)
@paginate(ScopedPagination)
def donors(request):
    return donations_selectors.donors(_associations(request, VIEW_ALL))


@router.get(
    "/batches",
    response=list[BatchOut],
    operation_id="list_supplies_batches",
    summary="Inbound batches (coordinator)",
)
@paginate(ScopedPagination)
def batches(request):
    return donations_selectors.batches(_associations(request, VIEW_ALL))


def _detail(batch):
    """The batch with its lines loaded (item and lot joined), for BatchDetailOut."""
    batch.line_rows = list(donations_selectors.batch_lines(batch))
    return batch


@router.get(
    "/batches/{int:pk}",
    response=BatchDetailOut,
    operation_id="get_supplies_batch",
    summary="One inbound batch with its lines (404 outside your association)",
)
def batch_detail(request, pk: int):
    batch = donations_selectors.batch_for(_associations(request, VIEW_ALL), pk)
    if batch is None:
        raise Http404
    return _detail(batch)


def _own(model, ids, pk, field):
    """A row of the caller's associations by id, or a 422 naming the field."""
    if pk is None:
        return None
    lookup = "donor__association_id__in" if model is Pledge else "association_id__in"
    obj = model.objects.filter(**{lookup: sorted(ids)}, pk=pk).first()
    if obj is None:
        raise _refusal(DjangoValidationError({field: "不存在。"}))
    return obj


@router.post(
    "/batches",
    response=BatchDetailOut,
    operation_id="receive_supplies_batch",
    summary="Receive an inbound batch: lines posted donor → warehouse, all or nothing",
)
def batch_receive(request, payload: BatchIn):
    ids = _associations(request, COORDINATE)
    donor = _own(Donor, ids, payload.donor_id, "donor_id")
    warehouse = _own(Warehouse, ids, payload.warehouse_id, "warehouse_id")
    catalogue = {
        i.code: i for i in Item.objects.filter(code__in=[x.item_code for x in payload.lines])
    }
    lines = []
    for row, line in enumerate(payload.lines, start=1):
        item = catalogue.get(line.item_code)
        if item is None:
            raise _refusal(
                DjangoValidationError({"lines": f"第 {row} 行：物资编码 {line.item_code} 不存在。"})
            )
        lines.append(donations_services.Line(item, line.lot_no, line.expiry, line.quantity))
    direction = donations_services.Direction(
        payload.directed_company_id,
        payload.directed_site_id,
        payload.directed_division_code.strip(),
    )
    try:
        batch = donations_services.batch_receive(
            actor=request.user,
            association_id=donor.association_id,
            donor=donor,
            warehouse=warehouse,
            lines=lines,
            campaign=_own(Campaign, ids, payload.campaign_id, "campaign_id"),
            pledge=_own(Pledge, ids, payload.pledge_id, "pledge_id"),
            direction=direction if direction != donations_services.Direction() else None,
            received_at=payload.received_at,
            note=payload.note,
        )
    except DjangoValidationError as exc:
        raise _refusal(exc) from None
    return _detail(donations_selectors.batch_for(ids, batch.pk))


@router.get(
    "/stock",
    response=list[StockOut],
    operation_id="list_supplies_stock",
    summary="Stock on hand by location, item and batch (scoped)",
)
@paginate(ScopedPagination)
def stock(request, params: Query[StockFilter]):
    condition = Q(pk__in=[])
    if ids := associations_for(request.scope, VIEW_ALL):
        condition |= Q(pk__in=donations_selectors.association_locations(ids).values("pk"))
    own = request.scope.for_perm(VIEW_STOCK)
    if own.grants:
        condition |= Q(pk__in=scoped_locations(own).values("pk"))
    if not ids and not own.grants:
        raise HttpError(403, "permission denied")
    locations = Location.objects.filter(condition)
    if params.location_id:
        locations = locations.filter(pk=params.location_id)
    qs = donations_selectors.balances(locations, kind=params.location_kind)
    if params.item_code:
        qs = qs.filter(item__code=params.item_code)
    return qs
