"""Donations and stock API (mounted under /api/v1/supplies/):

- GET  /items                 the catalogue (shared reference data; any signed-in user)
- GET  /donors                the coordinator's donors
- GET  /batches, /batches/{id} inbound batches (the detail with its lines)
- POST /batches               receive a batch (donor → warehouse entries), all or nothing
- GET  /stock                 balances: a coordinator's whole association, a company or
                              site user their own stores and sites

Association rows are read through `for_scope` (the models declare the association's
path); an id outside is 404. Lists are paginated and run a fixed number of queries."""

from datetime import date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Field, Query
from ninja.errors import HttpError
from ninja.pagination import paginate

from firstline.core.api import (
    PositiveInt,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    unprocessable,
    validation_errors_as_422,
)
from firstline.core.scope import Scope
from firstline.supplies.models import Campaign, Donor, InboundBatch, Item, Pledge, Warehouse
from firstline.supplies.selectors import donations as donations_selectors
from firstline.supplies.selectors.coordination import COORDINATE, VIEW_ALL
from firstline.supplies.services import donations as donations_services

router = ScopedRouter(tags=["supplies"])

VIEW_STOCK = "supplies.view_stock"


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


class InboundBatchOut(Schema):
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


class BatchDetailOut(InboundBatchOut):
    lines: list[BatchLineOut] = Field(alias="line_rows")


class BatchLineIn(Schema):
    item_code: str = Field(max_length=32)
    lot_no: str | None = Field(None, max_length=64)
    expiry: date | None = None
    quantity: PositiveInt


class InboundBatchIn(Schema):
    donor_id: RowId
    warehouse_id: RowId
    lines: list[BatchLineIn] = Field(min_length=1, max_length=100)
    campaign_id: RowId | None = None
    pledge_id: RowId | None = None
    directed_company_id: RowId | None = None
    directed_site_id: RowId | None = None
    directed_division_code: str = Field("", max_length=12)
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
    location_id: RowId | None = None


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


router.scoped_list(
    "/donors",
    Donor,
    VIEW_ALL,
    DonorOut,
    refine=lambda qs: qs.order_by("name", "id"),
    name="list_supplies_donors",
)
router.scoped_list(
    "/batches",
    InboundBatch,
    VIEW_ALL,
    InboundBatchOut,
    refine=donations_selectors.batch_rows,
    name="list_supplies_batches",
)


def _detail(scope: Scope, batch):
    """The batch with its lines loaded (item and lot joined), for BatchDetailOut."""
    batch.line_rows = list(donations_selectors.batch_lines(scope, batch))
    return batch


@router.get(
    "/batches/{int:pk}",
    response=BatchDetailOut,
    operation_id="get_supplies_batch",
    summary="One inbound batch with its lines (404 outside your association)",
)
def batch_detail(request, pk: RowId):
    batch = scoped_object(request, InboundBatch, VIEW_ALL, pk, donations_selectors.batch_detail)
    return _detail(perm_scope(request, VIEW_ALL), batch)


def _own(qs, pk, field):
    """A row of the caller's scoped queryset by id, or a 422 naming the field."""
    if pk is None:
        return None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise unprocessable(DjangoValidationError({field: "不存在。"}))
    return obj


@router.post(
    "/batches",
    response=BatchDetailOut,
    operation_id="receive_supplies_batch",
    summary="Receive an inbound batch: lines posted donor → warehouse, all or nothing",
)
def batch_receive(request, payload: InboundBatchIn):
    scope = perm_scope(request, COORDINATE)
    donor = _own(Donor.objects.for_scope(scope), payload.donor_id, "donor_id")
    warehouse = _own(
        Warehouse.objects.for_scope(scope).select_related("district"),
        payload.warehouse_id,
        "warehouse_id",
    )
    catalogue = {
        i.code: i for i in Item.objects.filter(code__in=[x.item_code for x in payload.lines])
    }
    lines = []
    for row, line in enumerate(payload.lines, start=1):
        item = catalogue.get(line.item_code)
        if item is None:
            raise unprocessable(
                DjangoValidationError({"lines": f"第 {row} 行：物资编码 {line.item_code} 不存在。"})
            )
        lines.append(donations_services.Line(item, line.lot_no, line.expiry, line.quantity))
    direction = donations_services.Direction(
        payload.directed_company_id,
        payload.directed_site_id,
        payload.directed_division_code.strip(),
    )
    with validation_errors_as_422():
        batch = donations_services.batch_receive(
            actor=request.user,
            association_id=donor.association_id,
            donor=donor,
            warehouse=warehouse,
            lines=lines,
            campaign=_own(Campaign.objects.for_scope(scope), payload.campaign_id, "campaign_id"),
            pledge=_own(Pledge.objects.for_scope(scope), payload.pledge_id, "pledge_id"),
            direction=direction if direction != donations_services.Direction() else None,
            received_at=payload.received_at,
            note=payload.note,
        )
    return _detail(scope, donations_selectors.batch_for(scope, batch.pk))


@router.get(
    "/stock",
    response=list[StockOut],
    operation_id="list_supplies_stock",
    summary="Stock on hand by location, item and batch (scoped)",
)
@paginate(ScopedPagination)
def stock(request, params: Query[StockFilter]):
    """A coordinator reads its association's stock, a company or site user its own
    stores' and sites': one scope of both kinds of grant."""
    scope = request.scope.for_any_perm(VIEW_ALL, VIEW_STOCK)
    if not scope.grants:
        raise HttpError(403, "permission denied")
    locations = donations_selectors.locations(scope)
    if params.location_id:
        locations = locations.filter(pk=params.location_id)
    qs = donations_selectors.balances(scope, locations, kind=params.location_kind)
    if params.item_code:
        qs = qs.filter(item__code=params.item_code)
    return qs
