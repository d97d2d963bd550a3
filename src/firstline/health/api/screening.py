"""Screening API (mounted at /api/v1/health/): declarations, a resident's screening
status, and the risk lists in force.

Declarations and statuses are scoped like every tenant endpoint (another company's
row answers 404). Risk lists are public reference data: any signed-in user reads them.
Health details are only in the detail endpoint; personal identifiers stay masked.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from ninja import Field, Query
from ninja.pagination import paginate

from firstline.core.api import (
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    unprocessable,
    validation_errors_as_422,
)
from firstline.estates.models import Resident
from firstline.health.models import (
    Declaration,
    DeclarationPlace,
    IsolationCase,
    RiskList,
    Status,
    Symptom,
)
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_reasons,
    declaration_submit,
)

VIEW = "health.view_declaration"
ADD = "health.add_declaration"

router = ScopedRouter(tags=["health"])


# --- schemas -------------------------------------------------------------------------------


class DeclarationOut(Schema):
    id: int
    company_id: int
    site_id: int
    resident_id: int
    resident_name: str
    household_label: str
    channel: str
    submitted_at: datetime
    status: str
    screened_at: datetime | None

    @staticmethod
    def resolve_resident_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_household_label(obj) -> str:
        return obj.household.label


class PlaceOut(Schema):
    place_name: str
    division_code: str
    visited_on: date


class DeclarationDetailOut(DeclarationOut):
    current: bool
    return_date: date | None
    transport: str
    contact_confirmed: bool
    contact_suspected: bool
    symptoms: list[str]
    temperature: Decimal | None
    places: list[PlaceOut]
    reasons: list[str]
    phone_masked: str

    @staticmethod
    def resolve_phone_masked(obj) -> str:
        return obj.resident.phone_masked

    @staticmethod
    def resolve_places(obj) -> list:
        return obj.places_list

    @staticmethod
    def resolve_reasons(obj) -> list[str]:
        return obj.reasons


class DeclarationFilter(Schema):
    status: Status | None = None
    site_id: RowId | None = None
    current: bool | None = True


class PlaceIn(Schema):
    place_name: str = Field(max_length=100)
    visited_on: date
    division_code: str = Field("", max_length=12)


class DeclarationIn(Schema):
    resident_id: RowId
    consent: bool = Field(
        description="The resident agreed to the processing of health data; must be true."
    )
    return_date: date | None = None
    transport: str = Field("", max_length=64)
    contact_confirmed: bool = False
    contact_suspected: bool = False
    symptoms: list[Symptom] = Field(default_factory=list, max_length=len(Symptom.values))
    temperature: Decimal | None = Field(None, max_digits=3, decimal_places=1)
    places: list[PlaceIn] = Field(default_factory=list, max_length=50)


class StatusOut(Schema):
    resident_id: int
    company_id: int
    declaration_id: int | None
    status: str
    isolated: bool
    reasons: list[str]


class RiskListOut(Schema):
    id: int
    name: str
    version: int
    source: str
    published_at: datetime
    imported_at: datetime
    area_count: int
    current: bool


# --- declarations --------------------------------------------------------------------------


def _with_people(qs):
    return qs.select_related("resident", "household__building")


router.scoped_list(
    "/declarations",
    Declaration,
    VIEW,
    DeclarationOut,
    refine=_with_people,
    filters=DeclarationFilter,
    name="list_health_declarations",
    noun="travel and health declarations",
)


def _detail(scope, declaration: Declaration) -> Declaration:
    declaration.places_list = list(
        DeclarationPlace.objects.for_scope(scope)
        .filter(declaration_id=declaration.pk)
        .only("place_name", "division_code", "visited_on")
    )
    declaration.reasons = declaration_reasons(declaration)
    return declaration


@router.get(
    "/declarations/{pk}",
    response=DeclarationDetailOut,
    operation_id="get_health_declaration",
    summary="One declaration with its places and the reasons for its status (404 outside your scope)",
)
def declaration_detail(request, pk: RowId):
    declaration = scoped_object(request, Declaration, VIEW, pk, refine=_with_people)
    return _detail(perm_scope(request, VIEW), declaration)


@router.post(
    "/declarations",
    response=DeclarationDetailOut,
    summary="Submit a declaration for a resident of your scope (staff, with the resident's consent)",
)
def declaration_create(request, payload: DeclarationIn):
    resident = scoped_object(request, Resident, ADD, payload.resident_id)
    if not payload.consent:
        raise unprocessable(
            DjangoValidationError({"consent": ["需要本人同意处理健康信息后才能申报。"]})
        )
    data = DeclarationInput(
        return_date=payload.return_date,
        transport=payload.transport,
        contact_confirmed=payload.contact_confirmed,
        contact_suspected=payload.contact_suspected,
        symptoms=tuple(s.value for s in payload.symptoms),
        temperature=payload.temperature,
        places=tuple(
            PlaceInput(
                place_name=p.place_name, visited_on=p.visited_on, division_code=p.division_code
            )
            for p in payload.places
        ),
    )
    with validation_errors_as_422():
        consent = consent_record(
            resident=resident, channel=Declaration.Channel.STAFF, actor=request.user
        )
        declaration = declaration_submit(
            resident=resident,
            data=data,
            channel=Declaration.Channel.STAFF,
            consent=consent,
            actor=request.user,
        )
    scope = perm_scope(request, ADD)
    return _detail(
        scope, _with_people(Declaration.objects.for_scope(scope).filter(pk=declaration.pk)).get()
    )


# --- a resident's status -------------------------------------------------------------------


@router.get(
    "/residents/{pk}/status",
    response=StatusOut,
    operation_id="get_health_resident_status",
    summary="A resident's screening status, isolation and reasons (as the gate reads them)",
)
def resident_status(request, pk: RowId):
    scope = perm_scope(request, VIEW)
    isolation = (
        IsolationCase.objects.for_scope(scope)
        .filter(start_date__lte=timezone.localdate())
        .filter(  # their own case, or a whole-household case of their household
            Q(resident_id=OuterRef("pk"))
            | Q(whole_household=True, household_id=OuterRef("household_id"))
        )
        .exclude(state=IsolationCase.State.RELEASED)
    )
    resident = scoped_object(
        request,
        Resident,
        VIEW,
        pk,
        refine=lambda qs: qs.annotate(isolated=Exists(isolation)).only("pk", "company_id"),
    )
    declaration = (
        Declaration.objects.for_scope(scope)
        .filter(resident_id=resident.pk, current=True)
        .order_by()
        .first()
    )
    return {
        "resident_id": resident.pk,
        "company_id": resident.company_id,
        "declaration_id": declaration.pk if declaration else None,
        "status": declaration.status if declaration else Status.GREEN.value,
        "isolated": resident.isolated,
        "reasons": declaration_reasons(declaration) if declaration else [],
    }


# --- risk lists (public reference data) ----------------------------------------------------


class RiskListFilter(Schema):
    current: bool | None = True
    name: str | None = None


@router.get(
    "/risk-lists",
    response=list[RiskListOut],
    operation_id="list_health_risk_lists",
    summary="Risk-area lists (the versions in force by default; current=false for history)",
)
@paginate(ScopedPagination)
def risk_lists(request, params: Query[RiskListFilter]):
    qs = RiskList.objects.order_by("name", "-version")
    if params.current is not None:
        qs = qs.filter(current=params.current)
    if params.name:
        qs = qs.filter(name=params.name)
    return qs
