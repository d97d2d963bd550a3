"""The tenant admin's side: its own unit, application, staff and passes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Field

from firstline.core.api import (
    NonNegativeInt,
    RowId,
    Schema,
    ScopedRouter,
    Text,
    scoped_object,
    validation_errors_as_422,
)
from firstline.estates.models import Resident
from firstline.orgs.api import AUTH
from firstline.resumption.api.building import (
    ResApplicationOut,
    ResTenantFilter,
    ResTenantOut,
    _applications,
    _tenants,
)
from firstline.resumption.models import Application, Tenant
from firstline.resumption.services import applications, staff
from firstline.resumption.services.applications import latest_for

ACT = "resumption.act_tenant"

router = ScopedRouter(tags=["resumption"])


class ResApplicationIn(Schema):
    planned_date: date
    headcount: int = Field(..., ge=1, le=100_000)
    origin_codes: list[Annotated[Text, Field(max_length=12)]] = Field(
        default_factory=list, max_length=100
    )
    prevention_plan: str = Field(..., min_length=1, max_length=5000)
    person_in_charge: str = Field(..., min_length=1, max_length=64)


class ResStaffIn(Schema):
    name: str = Field(..., min_length=1, max_length=64)
    phone: str = Field(..., min_length=1, max_length=20)
    id_number: str = Field(..., min_length=1, max_length=24)


class ResStaffOut(Schema):
    id: int
    company_id: int
    site_id: int
    household_id: int
    name: str
    phone: str = Field(alias="phone_masked")


class ResPassesOut(Schema):
    issued: NonNegativeInt
    already: NonNegativeInt
    over_cap: NonNegativeInt


router.scoped_list(
    "/my/tenants",
    Tenant,
    ACT,
    ResTenantOut,
    refine=_tenants,
    filters=ResTenantFilter,
    name="list_my_resumption_tenants",
)


@router.post(
    "/my/tenants/{int:pk}/application",
    auth=AUTH,
    response=ResApplicationOut,
    operation_id="save_my_resumption_application",
    summary="Create the tenant's draft application, or edit it while it is a draft",
)
def application_save(request, pk: RowId, payload: ResApplicationIn):
    tenant = scoped_object(request, Tenant, ACT, pk)
    current = latest_for(tenant)
    draft = current if current and current.state == Application.State.DRAFT else None
    with validation_errors_as_422():
        application = applications.application_save(
            actor=request.user, tenant=tenant, data=payload.dict(), application=draft
        )
    return scoped_object(request, Application, ACT, application.pk, refine=_applications)


@router.post(
    "/my/tenants/{int:pk}/submit",
    auth=AUTH,
    response=ResApplicationOut,
    operation_id="submit_my_resumption_application",
    summary="Submit the tenant's draft application to the building's manager",
)
def application_submit(request, pk: RowId):
    tenant = scoped_object(request, Tenant, ACT, pk)
    current = latest_for(tenant)
    with validation_errors_as_422():
        if current is None:
            from django.core.exceptions import ValidationError

            raise ValidationError("没有可提交的复工申请。")
        application = applications.application_submit(actor=request.user, application=current)
    return scoped_object(request, Application, ACT, application.pk, refine=_applications)


router.scoped_list(
    "/my/staff",
    Resident,
    ACT,
    ResStaffOut,
    refine=lambda qs: qs.order_by("household_id", "id"),
    name="list_my_resumption_staff",
    noun="returning staff of the tenant's units",
)


@router.post(
    "/my/tenants/{int:pk}/staff",
    auth=AUTH,
    response=ResStaffOut,
    operation_id="register_my_resumption_staff",
    summary="Register one returning employee (a resident of the tenant's unit)",
)
def staff_register(request, pk: RowId, payload: ResStaffIn):
    tenant = scoped_object(request, Tenant, ACT, pk)
    with validation_errors_as_422():
        resident = staff.staff_register(
            actor=request.user,
            tenant=tenant,
            name=payload.name,
            phone=payload.phone,
            id_number=payload.id_number,
        )
    return resident


@router.post(
    "/my/tenants/{int:pk}/passes",
    auth=AUTH,
    response=ResPassesOut,
    operation_id="issue_my_resumption_passes",
    summary="Passes for staff who hold none, up to the approved headcount",
)
def passes_issue(request, pk: RowId):
    tenant = scoped_object(request, Tenant, ACT, pk)
    with validation_errors_as_422():
        result = staff.passes_issue(actor=request.user, tenant=tenant)
    return result
