"""Care API under /api/v1/health/: isolation cases and their checks (staff, or the
resident's app reporting their own), support requests with assignment and delivery.
Thin: scoped lookups, one service call each; a refused input answers 422 with the
field and its message, like a schema error."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import Field

from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    unprocessable,
    validation_errors_as_422,
)
from firstline.estates.models import Household, Resident, Staff
from firstline.health.forms.care import company_facilities
from firstline.health.models import IsolationCase, IsolationCheck, SupportRequest
from firstline.health.services import isolation, support

router = ScopedRouter(tags=["health"])


# --- isolation ------------------------------------------------------------------------------


class CheckOut(Schema):
    id: int
    day: date
    slot: str
    temperature: Decimal
    symptoms: list[str]
    by: str
    taken_at: datetime


class CaseOut(Schema):
    id: int
    company_id: int
    site_id: int
    resident_id: int
    resident_name: str
    household_id: int
    kind: str
    whole_household: bool = Field(
        description="Home isolation of the whole household: every member is refused at the gate."
    )
    facility_id: int | None
    reason: str
    start_date: date
    planned_end: date
    state: str
    released_at: datetime | None

    @staticmethod
    def resolve_resident_name(obj) -> str:
        return obj.resident.name


class CaseDetailOut(CaseOut):
    checks: list[CheckOut]

    @staticmethod
    def resolve_checks(obj):
        return obj.check_rows


class CaseFilter(Schema):
    q: str | None = None
    state: Choice(IsolationCase.State) | None = None
    kind: Choice(IsolationCase.Kind) | None = None
    site_id: RowId | None = None


class CaseIn(Schema):
    resident_id: RowId
    kind: Choice(IsolationCase.Kind) = IsolationCase.Kind.HOME
    whole_household: bool | None = Field(
        None,
        description="Home isolation of the whole household. Left out: yes for a close contact"
        " of a confirmed case (current declaration), no otherwise; not for a centralised case.",
    )
    facility_id: RowId | None = Field(None, description="Required for a centralised case.")
    reason: str = Field(max_length=200)
    start_date: date
    planned_end: date | None = Field(None, description="Start + 14 days when left out.")


class CheckIn(Schema):
    temperature: Decimal = Field(description="°C, 34.0–43.0.")
    symptoms: list[str] = Field(default_factory=list, description="Codes: fever, cough, …")
    day: date | None = Field(None, description="Today (local) when left out.")
    slot: IsolationCheck.Slot | None = Field(None, description="The current slot when left out.")


class CheckResultOut(Schema):
    check: CheckOut
    escalated: bool
    case_state: str


router.scoped_list(
    "/isolation-cases",
    IsolationCase,
    "health.view_isolation",
    CaseOut,
    refine=lambda qs: qs.select_related("resident").order_by("-start_date", "-id"),
    search=lambda term: Q(resident__name__icontains=term),
    filters=CaseFilter,
    name="list_health_isolation_cases",
)


@router.get(
    "/isolation-cases/{pk}",
    response=CaseDetailOut,
    summary="One isolation case with its checks (404 outside your scope)",
)
def case_detail(request, pk: RowId):
    case = scoped_object(
        request,
        IsolationCase,
        "health.view_isolation",
        pk,
        refine=lambda qs: qs.select_related("resident"),
    )
    case.check_rows = list(
        IsolationCheck.objects.for_scope(perm_scope(request, "health.view_isolation"))
        .filter(case_id=case.pk)
        .order_by("day", "slot")
    )
    return case


@router.post("/isolation-cases", response=CaseOut, summary="Open an isolation case")
def case_open(request, payload: CaseIn):
    resident = scoped_object(request, Resident, "health.change_isolation", payload.resident_id)
    facility = None
    if payload.facility_id is not None:
        scope = perm_scope(request, "health.change_isolation")
        facility = company_facilities(scope).filter(pk=payload.facility_id).first()
        if facility is None:
            raise unprocessable(ValidationError({"facility_id": "没有这个隔离点。"}))
    with validation_errors_as_422(renames={"resident": "resident_id", "facility": "facility_id"}):
        case = isolation.isolation_open(
            actor=request.user,
            resident=resident,
            kind=payload.kind,
            facility=facility,
            reason=payload.reason,
            start_date=payload.start_date,
            planned_end=payload.planned_end,
            whole_household=payload.whole_household,
        )
    case.resident = resident
    return case


def _case_for_check(request, pk: int) -> tuple[IsolationCase, str]:
    """Staff with record_check over the case record as staff; a resident with
    record_own_check over their household reports as self. Anything else: 404."""
    for permission, by in (
        ("health.record_check", IsolationCheck.By.STAFF),
        ("health.record_own_check", IsolationCheck.By.SELF),
    ):
        scope = request.scope.for_perm(permission)
        if not scope.grants:
            continue
        case = (
            IsolationCase.objects.for_scope(scope).select_related("resident").filter(pk=pk).first()
        )
        if case is not None:
            return case, by
    raise Http404


@router.post(
    "/isolation-cases/{pk}/checks",
    response=CheckResultOut,
    summary="Report a temperature check (staff, or the resident's own app)",
)
def case_check(request, pk: RowId, payload: CheckIn):
    case, by = _case_for_check(request, pk)
    now = timezone.now()
    with validation_errors_as_422():
        result = isolation.check_record(
            case=case,
            day=payload.day or timezone.localdate(now),
            slot=payload.slot or isolation.current_slot(now),
            temperature=payload.temperature,
            symptoms=payload.symptoms,
            by=by,
            actor=request.user,
            now=now,
        )
    return {"check": result.check, "escalated": result.escalated, "case_state": case.state}


# --- support --------------------------------------------------------------------------------


class SupportOut(Schema):
    id: int
    company_id: int
    site_id: int
    household_id: int
    resident_id: int | None
    case_id: int | None
    kind: str
    urgency: str
    details: str
    state: str
    requested_at: datetime
    assigned_to_id: int | None
    assigned_at: datetime | None
    done_at: datetime | None
    proof_note: str


class SupportFilter(Schema):
    q: str | None = None
    state: Choice(SupportRequest.State) | None = None
    kind: Choice(SupportRequest.Kind) | None = None
    urgency: SupportRequest.Urgency | None = None
    site_id: RowId | None = None


class SupportIn(Schema):
    household_id: RowId
    resident_id: RowId | None = None
    case_id: RowId | None = None
    kind: Choice(SupportRequest.Kind)
    urgency: SupportRequest.Urgency = SupportRequest.Urgency.NORMAL
    details: str = Field(max_length=500)


class SupportAssignIn(Schema):
    staff_id: RowId


class SupportCompleteIn(Schema):
    proof_note: str = Field(max_length=500, description="The photo is uploaded on the page.")


router.scoped_list(
    "/support-requests",
    SupportRequest,
    "health.view_support",
    SupportOut,
    refine=lambda qs: qs.order_by("state", "-requested_at", "-id"),
    search=lambda term: Q(details__icontains=term),
    filters=SupportFilter,
    name="list_health_support_requests",
)


@router.post(
    "/support-requests",
    response=SupportOut,
    summary="Ask for support for a household (staff, or the resident for their own)",
)
def support_create(request, payload: SupportIn):
    permission = (
        "health.change_support"
        if request.scope.for_perm("health.change_support").grants
        else "health.request_support"
    )
    household = scoped_object(request, Household, permission, payload.household_id)
    scope = perm_scope(request, permission)
    resident = case = None
    if payload.resident_id is not None:
        resident = Resident.objects.for_scope(scope).filter(pk=payload.resident_id).first()
        if resident is None:
            raise unprocessable(ValidationError({"resident_id": "没有这位居民。"}))
    if payload.case_id is not None:
        case = IsolationCase.objects.for_scope(scope).filter(pk=payload.case_id).first()
        if case is None:
            raise unprocessable(ValidationError({"case_id": "没有这个隔离观察。"}))
    with validation_errors_as_422():
        return support.request_create(
            actor=request.user,
            household=household,
            resident=resident,
            case=case,
            kind=payload.kind,
            urgency=payload.urgency,
            details=payload.details,
        )


@router.post(
    "/support-requests/{pk}/assign", response=SupportOut, summary="Assign to a staff member"
)
def support_assign(request, pk: RowId, payload: SupportAssignIn):
    req = scoped_object(request, SupportRequest, "health.change_support", pk)
    staff = (
        Staff.objects.for_scope(perm_scope(request, "health.change_support"))
        .filter(pk=payload.staff_id)
        .first()
    )
    with validation_errors_as_422(renames={"assigned_to": "staff_id"}):
        return support.request_assign(actor=request.user, req=req, staff=staff)


@router.post(
    "/support-requests/{pk}/complete",
    response=SupportOut,
    summary="Mark delivered, with the proof note",
)
def support_complete(request, pk: RowId, payload: SupportCompleteIn):
    req = scoped_object(request, SupportRequest, "health.change_support", pk)
    with validation_errors_as_422():
        return support.request_complete(actor=request.user, req=req, proof_note=payload.proof_note)
