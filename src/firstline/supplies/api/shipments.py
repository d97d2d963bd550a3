"""Shipments, receipts and use in the API (under /api/v1/supplies/):

- GET  /shipments?state=&company_id=       scoped, paginated: a company's or site's
                                           own; a coordinator's, those its ledger sent
- GET  /shipments/{id}                     with its lines (404 outside the scope)
- POST /shipments/{id}/dispatch            coordinator: READY → IN_TRANSIT
- POST /shipments/{id}/receive             receiving company/site: {lines: [{line_id,
                                           received_quantity, reason}]}
- POST /sites/{id}/consumption             {lines: [{item_code, quantity}], reason}

Thin: each write is one service of supplies/services/shipments.py; its ValidationError
answers 422 naming the field or the line."""

from datetime import datetime

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate

from firstline.core.api import (
    Choice,
    NonNegativeInt,
    PositiveInt,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    validation_errors_as_422,
)
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.orgs.api import AUTH
from firstline.supplies.models import Item, Shipment, ShipmentLine
from firstline.supplies.selectors.coordination import COORDINATE, VIEW_ALL
from firstline.supplies.services.shipments import (
    consumption_record,
    shipment_dispatch,
    shipment_receive,
)

VIEW_STOCK = "supplies.view_stock"
RECEIVE = "supplies.receive_shipment"
CONSUME = "supplies.record_consumption"

router = ScopedRouter(tags=["supplies"])


class ShipmentOut(Schema):
    id: int
    number: str
    company_id: int
    company_name: str = Field(alias="company.name")
    site_id: int | None
    plan_id: int | None
    to: str = Field(alias="to_location.public_name")
    state: str
    dispatched_at: datetime | None
    received_at: datetime | None


class LineOut(Schema):
    id: int
    item_code: str = Field(alias="item.code")
    item_name: str = Field(alias="item.name")
    batch_number: int = Field(alias="batch.number")
    need_line_id: int | None
    quantity: int
    received_quantity: int | None
    difference_reason: str


class ShipmentDetailOut(ShipmentOut):
    lines: list[LineOut]


class ShipmentFilter(Schema):
    state: Choice(Shipment.State) | None = None
    company_id: RowId | None = None


def _scope(request) -> Scope:
    """Who may read shipments: companies and sites their own (view_stock), a
    coordinator those its ledger sent (view_all). Neither → 403."""
    scope = request.scope.for_any_perm(VIEW_STOCK, VIEW_ALL)
    if not scope.grants:
        raise HttpError(403, "permission denied")
    return scope


def _shown(qs):
    return qs.select_related("company", "to_location").order_by("-created_at", "-id")


def _detail(scope: Scope, pk: int) -> Shipment:
    """The shipment with its lines (item and batch joined): three queries."""
    lines = ShipmentLine.objects.for_scope(scope).select_related("item", "batch").order_by("pk")
    return (
        _shown(Shipment.objects.for_scope(scope).filter(pk=pk))
        .prefetch_related(Prefetch("lines", queryset=lines))
        .get()
    )


@router.get(
    "/shipments",
    auth=AUTH,
    response=list[ShipmentOut],
    operation_id="list_supplies_shipments",
    summary="List shipments (scoped, paginated)",
)
@paginate(ScopedPagination)
def shipment_list(request, params: Query[ShipmentFilter]):
    qs = Shipment.objects.for_scope(_scope(request))
    if params.state:
        qs = qs.filter(state=params.state)
    if params.company_id:
        qs = qs.filter(company_id=params.company_id)
    return _shown(qs)


@router.get(
    "/shipments/{int:pk}",
    auth=AUTH,
    response=ShipmentDetailOut,
    operation_id="get_supplies_shipment",
    summary="One shipment with its lines (404 outside your scope)",
)
def shipment_detail(request, pk: RowId):
    scope = _scope(request)
    if not Shipment.objects.for_scope(scope).filter(pk=pk).exists():
        raise Http404
    return _detail(scope, pk)


@router.post(
    "/shipments/{int:pk}/dispatch",
    auth=AUTH,
    response=ShipmentDetailOut,
    operation_id="dispatch_supplies_shipment",
    summary="Dispatch a READY shipment (coordinator; a repeat changes nothing)",
)
def shipment_dispatch_api(request, pk: RowId):
    scope = perm_scope(request, COORDINATE)
    shipment = Shipment.objects.for_scope(scope).filter(pk=pk).only("id").first()
    if shipment is None:
        raise Http404
    with validation_errors_as_422():
        shipment_dispatch(actor=request.user, shipment=shipment)
    return _detail(scope, pk)


class ReceivedLineIn(Schema):
    line_id: RowId
    received_quantity: NonNegativeInt
    reason: str = Field("", max_length=200)


class ReceiveIn(Schema):
    lines: list[ReceivedLineIn] = Field(..., max_length=1000)


@router.post(
    "/shipments/{int:pk}/receive",
    auth=AUTH,
    response=ShipmentDetailOut,
    operation_id="receive_supplies_shipment",
    summary="Sign for a shipment in transit, line by line (a difference needs a reason)",
)
def shipment_receive_api(request, pk: RowId, payload: ReceiveIn):
    scope = perm_scope(request, RECEIVE)
    shipment = Shipment.objects.for_scope(scope).filter(pk=pk).only("id").first()
    if shipment is None:
        raise Http404
    received = {line.line_id: (line.received_quantity, line.reason) for line in payload.lines}
    with validation_errors_as_422():
        shipment_receive(
            actor=request.user, scope=request.scope, shipment=shipment, received=received
        )
    return _detail(scope, pk)


class UsedLineIn(Schema):
    item_code: str = Field(..., max_length=32)
    quantity: PositiveInt


class ConsumptionIn(Schema):
    lines: list[UsedLineIn] = Field(..., min_length=1, max_length=100)
    reason: str = Field(..., max_length=200)


class EntryOut(Schema):
    seq: int
    item_code: str
    batch_id: int
    quantity: int


class ConsumptionOut(Schema):
    site_id: int
    entries: list[EntryOut]


@router.post(
    "/sites/{int:pk}/consumption",
    auth=AUTH,
    response=ConsumptionOut,
    operation_id="record_supplies_consumption",
    summary="Units a site used (drawn from the batches expiring first)",
)
def consumption_api(request, pk: RowId, payload: ConsumptionIn):
    scope = perm_scope(request, CONSUME)
    site = Site.objects.for_scope(scope).filter(pk=pk).only("id", "company_id").first()
    if site is None:
        raise Http404
    codes = {line.item_code for line in payload.lines}
    items = {item.code: item for item in Item.objects.filter(code__in=sorted(codes))}
    unknown = sorted(codes - set(items))
    if unknown:
        raise NinjaValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ["body", "payload", "lines", index, "item_code"],
                    "msg": _("物资编码 %(code)s 不存在。") % {"code": line.item_code},
                }
                for index, line in enumerate(payload.lines)
                if line.item_code in unknown
            ]
        )
    with validation_errors_as_422():
        entries = consumption_record(
            actor=request.user,
            scope=request.scope,
            site=site,
            lines=[(items[line.item_code], line.quantity) for line in payload.lines],
            reason=payload.reason,
        )
    codes_by_id = {item.pk: code for code, item in items.items()}
    return {
        "site_id": site.pk,
        "entries": [
            {
                "seq": e.seq,
                "item_code": codes_by_id[e.item_id],
                "batch_id": e.batch_id,
                "quantity": e.quantity,
            }
            for e in entries
        ],
    }
