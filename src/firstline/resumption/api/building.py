"""The building manager's side: tenants, applications and their decisions, figures."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field

from firstline.core.api import (
    Choice,
    NonNegativeInt,
    PositiveInt,
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.estates.models import Building, Site
from firstline.orgs.api import AUTH
from firstline.resumption.models import Application, Tenant
from firstline.resumption.selectors import figures as figures_selectors
from firstline.resumption.services import applications, tenants

MANAGE = "resumption.manage_building"

router = ScopedRouter(tags=["resumption"])


class ResTenantOut(Schema):
    id: int
    company_id: int
    site_id: int
    household_id: int
    name: str
    credit_code: str
    floors: str
    contact_name: str
    phone: str = Field(alias="phone_masked")
    unit: str = Field(alias="household.label")


class ResTenantIn(Schema):
    building_id: RowId
    floor: str = Field(..., min_length=1, max_length=16)
    room: str = Field(..., min_length=1, max_length=16)
    name: str = Field(..., max_length=128)
    credit_code: str = Field(..., max_length=40)
    floors: str = Field("", max_length=32)
    contact_name: str = Field(..., max_length=64)
    phone: str = Field(..., max_length=20)


class ResTenantFilter(Schema):
    site_id: RowId | None = None


class ResApplicationOut(Schema):
    id: int
    company_id: int
    site_id: int
    tenant_id: int
    tenant_name: str = Field(alias="tenant.name")
    state: str
    planned_date: date
    headcount: int
    origin_codes: list[str]
    prevention_plan: str
    person_in_charge: str
    submitted_at: datetime | None
    decided_at: datetime | None
    approved_headcount: int | None
    conditions: str
    refused_reason: str
    suspended_reason: str


class ResApplicationFilter(Schema):
    site_id: RowId | None = None
    state: Choice(Application.State) | None = None


class ResApproveIn(Schema):
    approved_headcount: PositiveInt
    conditions: str = Field("", max_length=2000)


class ResReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class ResReasonCount(Schema):
    reason: str
    today: int
    total: int


class ResBuildingFiguresOut(Schema):
    day: date
    tenants: NonNegativeInt
    resumed: NonNegativeInt
    not_applied: NonNegativeInt
    staff: NonNegativeInt
    passes_active: NonNegativeInt
    admitted_today: NonNegativeInt
    refused_today: NonNegativeInt
    refused_total: NonNegativeInt
    reasons: list[ResReasonCount]


def _tenants(qs):
    return qs.select_related("household__building").order_by("site_id", "name", "id")


def _applications(qs):
    return qs.select_related("tenant").order_by("-created_at", "-id")


router.scoped_list(
    "/tenants",
    Tenant,
    MANAGE,
    ResTenantOut,
    refine=_tenants,
    filters=ResTenantFilter,
    name="list_resumption_tenants",
)
router.scoped_detail(
    "/tenants/{int:pk}", Tenant, MANAGE, ResTenantOut, refine=_tenants, name="get_resumption_tenant"
)


@router.post(
    "/tenants",
    auth=AUTH,
    response=ResTenantOut,
    operation_id="register_resumption_tenant",
    summary="Register a tenant company on a unit of an office or commercial building",
)
def tenant_register(request, payload: ResTenantIn):
    building = scoped_object(
        request, Building, MANAGE, payload.building_id, refine=lambda q: q.select_related("site")
    )
    with validation_errors_as_422(renames={"building": "building_id"}):
        tenant = tenants.tenant_register(
            actor=request.user,
            building=building,
            floor=payload.floor,
            room=payload.room,
            data=payload.dict(),
            phone=payload.phone,
        )
    return scoped_object(request, Tenant, MANAGE, tenant.pk, refine=_tenants)


router.scoped_list(
    "/applications",
    Application,
    MANAGE,
    ResApplicationOut,
    refine=_applications,
    filters=ResApplicationFilter,
    name="list_resumption_applications",
)
router.scoped_detail(
    "/applications/{int:pk}",
    Application,
    MANAGE,
    ResApplicationOut,
    refine=_applications,
    name="get_resumption_application",
)


def _decided(request, application):
    return scoped_object(request, Application, MANAGE, application.pk, refine=_applications)


@router.post(
    "/applications/{int:pk}/approve",
    auth=AUTH,
    response=ResApplicationOut,
    operation_id="approve_resumption_application",
    summary="Approve a submitted (or resume a suspended) application, with conditions",
)
def application_approve(request, pk: RowId, payload: ResApproveIn):
    application = scoped_object(request, Application, MANAGE, pk)
    with validation_errors_as_422():
        application = applications.application_approve(
            actor=request.user,
            application=application,
            approved_headcount=payload.approved_headcount,
            conditions=payload.conditions,
        )
    return _decided(request, application)


@router.post(
    "/applications/{int:pk}/refuse",
    auth=AUTH,
    response=ResApplicationOut,
    operation_id="refuse_resumption_application",
    summary="Refuse a submitted application, with the reason",
)
def application_refuse(request, pk: RowId, payload: ResReasonIn):
    application = scoped_object(request, Application, MANAGE, pk)
    with validation_errors_as_422():
        application = applications.application_refuse(
            actor=request.user, application=application, reason=payload.reason
        )
    return _decided(request, application)


@router.post(
    "/applications/{int:pk}/suspend",
    auth=AUTH,
    response=ResApplicationOut,
    operation_id="suspend_resumption_application",
    summary="Suspend an approved application: its staff's passes are revoked",
)
def application_suspend(request, pk: RowId, payload: ResReasonIn):
    application = scoped_object(request, Application, MANAGE, pk)
    with validation_errors_as_422():
        application = applications.application_suspend(
            actor=request.user, application=application, reason=payload.reason
        )
    return _decided(request, application)


@router.get(
    "/buildings/{int:pk}/figures",
    auth=AUTH,
    response=ResBuildingFiguresOut,
    operation_id="get_resumption_building_figures",
    summary="A building's figures today: tenants resumed, staff back, refused at the gate",
)
def building_figures(request, pk: RowId):
    site = scoped_object(request, Site, MANAGE, pk)
    return figures_selectors.building(perm_scope(request, MANAGE), site)
