"""Needs and allocation API (mounted under /api/v1/supplies/):

- GET   /needs                         the caller's needs with their lines (scoped)
- POST  /needs                         request supplies for a site or the company store
- GET   /plans, /plans/{id}            the coordinator's allocation plans (a plan with its
                                       totals per item)
- GET   /plans/{id}/lines              a plan's lines (paginated)
- POST  /plans                         propose a plan from one warehouse's stock
- PATCH /plans/{id}/lines/{line_id}    set one line's quantity (0 removes it)
- POST  /plans/{id}/approve            approve: commit the needs, make READY shipments
- POST  /plans/{id}/discard

Needs are tenant rows and plans the association's, both read through `for_scope`
(an id outside is 404). Endpoints are thin: the services in needs.py and
allocation.py do the work."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Prefetch, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Path
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate

from firstline.core.api import (
    ROW_ID_MAX,
    NonNegativeInt,
    PositiveInt,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.supplies.models import (
    AllocationLine,
    AllocationPlan,
    Item,
    Need,
    NeedLine,
    Warehouse,
)
from firstline.supplies.selectors.coordination import COORDINATE, VIEW_ALL
from firstline.supplies.services import allocation, needs

router = ScopedRouter(tags=["supplies"])

REQUEST = "supplies.request_supplies"


# --- needs --------------------------------------------------------------------------------


class NeedLineOut(Schema):
    id: int
    item_id: int
    quantity: int
    committed: int
    in_transit: int
    fulfilled: int
    state: str


class NeedOut(Schema):
    id: int
    company_id: int
    site_id: int | None
    state: str
    justification: str
    staff_on_duty: int
    isolation_cases: int
    requested_at: datetime
    lines: list[NeedLineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


def _needs(qs):
    # The needs' lines, through the same scope: one extra query.
    return qs.prefetch_related(
        Prefetch("lines", queryset=NeedLine.objects.for_scope(qs.scope).order_by("id"))
    ).order_by("-requested_at", "-id")


router.scoped_list(
    "/needs",
    Need,
    REQUEST,
    NeedOut,
    refine=_needs,
    name="list_supply_needs",
    noun="supply needs",
)


class NeedLineIn(Schema):
    item_id: RowId
    quantity: PositiveInt


class NeedIn(Schema):
    site_id: RowId | None = None
    company_id: RowId | None = None  # a company-store need (company admins); else the site's
    justification: str = Field(min_length=1, max_length=500)
    lines: list[NeedLineIn] = Field(min_length=1, max_length=needs.MAX_LINES)
    staff_on_duty: NonNegativeInt | None = None
    isolation_cases: NonNegativeInt | None = None


@router.post(
    "/needs",
    response=NeedOut,
    operation_id="create_supply_need",
    summary="Request supplies for a site or the company's store",
)
def create_need(request, payload: NeedIn):
    scope = perm_scope(request, REQUEST)
    site = None
    if payload.site_id is not None:
        site = Site.objects.for_scope(scope).filter(pk=payload.site_id).first()
        if site is None:
            raise Http404
        company = Company.objects.get(pk=site.company_id)
    else:
        if payload.company_id is None or payload.company_id not in scope.ids(Target.COMPANY):
            raise Http404
        company = Company.objects.get(pk=payload.company_id)
    items = Item.objects.in_bulk({line.item_id for line in payload.lines})
    for index, line in enumerate(payload.lines, start=1):
        if line.item_id not in items:
            raise NinjaValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ["body", "payload", "lines", index - 1, "item_id"],
                        "msg": _("第 %(n)d 行：物资不存在。") % {"n": index},
                    }
                ]
            )
    with validation_errors_as_422():
        need = needs.need_create(
            actor=request.user,
            scope=request.scope,
            company=company,
            site=site,
            justification=payload.justification,
            lines=[(items[line.item_id], line.quantity) for line in payload.lines],
            staff_on_duty=payload.staff_on_duty,
            isolation_cases=payload.isolation_cases,
        )
    return _needs(Need.objects.for_scope(scope)).get(pk=need.pk)


# --- plans --------------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    association_id: int
    warehouse_id: int
    state: str
    note: str
    created_at: datetime
    approved_at: datetime | None
    line_count: int = 0
    units: int = 0


class ItemTotal(Schema):
    item_id: int
    lines: int
    units: int


class PlanDetailOut(PlanOut):
    totals: list[ItemTotal]


class PlanLineOut(Schema):
    id: int
    need_line_id: int
    company_id: int
    site_id: int | None
    item_id: int
    batch_id: int
    quantity: int


def _plan(request, pk: int, perm: str = VIEW_ALL) -> AllocationPlan:
    return scoped_object(request, AllocationPlan, perm, pk)


def _with_counts(qs):
    return qs.annotate(line_count=Count("lines"), units=Sum("lines__quantity", default=0))


def _detail(scope: Scope, plan_id: int) -> dict:
    plan = _with_counts(AllocationPlan.objects.for_scope(scope).filter(pk=plan_id)).get()
    totals = (
        AllocationLine.objects.for_scope(scope)
        .filter(plan_id=plan_id)
        .values("item_id")
        .order_by("item_id")
        .annotate(lines=Count("id"), units=Sum("quantity"))
    )
    out = PlanOut.model_validate(plan).model_dump()
    out["totals"] = list(totals)
    return out


router.scoped_list(
    "/plans",
    AllocationPlan,
    VIEW_ALL,
    PlanOut,
    refine=lambda qs: _with_counts(qs).order_by("-created_at", "-id"),
    name="list_allocation_plans",
)


@router.get(
    "/plans/{int:pk}",
    response=PlanDetailOut,
    operation_id="get_allocation_plan",
    summary="One allocation plan with its totals (404 outside your association)",
)
def get_plan(request, pk: RowId):
    return _detail(perm_scope(request, VIEW_ALL), _plan(request, pk).pk)


@router.get(
    "/plans/{int:pk}/lines",
    response=list[PlanLineOut],
    operation_id="list_allocation_lines",
    summary="List an allocation plan's lines (paginated)",
)
@paginate(ScopedPagination)
def list_plan_lines(request, pk: int = Path(..., ge=1, le=ROW_ID_MAX)):
    # (a paginated view's annotations resolve in ninja's module: hence Path, not RowId)
    plan = _plan(request, pk)
    return (
        AllocationLine.objects.for_scope(perm_scope(request, VIEW_ALL))
        .filter(plan=plan)
        .order_by("item_id", "company_id", "id")
    )


class ProposeIn(Schema):
    warehouse_id: RowId
    item_ids: list[RowId] | None = Field(None, max_length=1000)
    note: str = Field(default="", max_length=200)


@router.post(
    "/plans",
    response=PlanDetailOut,
    operation_id="propose_allocation_plan",
    summary="Propose an allocation plan from a warehouse's stock (a draft)",
)
def propose_plan(request, payload: ProposeIn):
    warehouse = scoped_object(
        request,
        Warehouse,
        COORDINATE,
        payload.warehouse_id,
        refine=lambda qs: qs.select_related("district"),
    )
    with validation_errors_as_422():
        plan = allocation.plan_propose(
            actor=request.user,
            association_id=warehouse.association_id,
            warehouse=warehouse,
            item_ids=payload.item_ids,
            note=payload.note,
        )
    return _detail(perm_scope(request, COORDINATE), plan.pk)


class LineIn(Schema):
    quantity: NonNegativeInt


@router.patch(
    "/plans/{int:pk}/lines/{int:line_id}",
    response=PlanDetailOut,
    operation_id="set_allocation_line",
    summary="Change one line's quantity in a draft plan",
)
def set_plan_line(request, pk: RowId, line_id: RowId, payload: LineIn):
    plan = _plan(request, pk, COORDINATE)
    scope = perm_scope(request, COORDINATE)
    line = AllocationLine.objects.for_scope(scope).filter(plan=plan, pk=line_id).first()
    if line is None:
        raise Http404
    with validation_errors_as_422():
        allocation.plan_line_set(
            actor=request.user, plan=plan, line=line, quantity=payload.quantity
        )
    return _detail(scope, plan.pk)


class ShipmentRef(Schema):
    id: int
    number: str
    company_id: int
    site_id: int | None


class ApproveOut(Schema):
    plan: PlanDetailOut
    shipments: list[ShipmentRef]


@router.post(
    "/plans/{int:pk}/approve",
    response=ApproveOut,
    operation_id="approve_allocation_plan",
    summary="Approve a draft plan: commits the need lines and creates READY shipments",
)
def approve_plan(request, pk: RowId):
    plan = _plan(request, pk, COORDINATE)
    with validation_errors_as_422():
        shipments = allocation.plan_approve(actor=request.user, plan=plan)
    return {"plan": _detail(perm_scope(request, COORDINATE), plan.pk), "shipments": shipments}


@router.post(
    "/plans/{int:pk}/discard",
    response=PlanDetailOut,
    operation_id="discard_allocation_plan",
    summary="Discard a draft plan",
)
def discard_plan(request, pk: RowId):
    plan = _plan(request, pk, COORDINATE)
    with validation_errors_as_422():
        allocation.plan_discard(actor=request.user, plan=plan)
    return _detail(perm_scope(request, COORDINATE), plan.pk)
