"""Staff safety (under /api/v1/volunteers/): daily checks, kit, incidents and their
follow-up, the day's infection count, the figures and the alerts."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query

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
from firstline.estates.models import Site
from firstline.orgs.api import AUTH
from firstline.supplies.models import Item
from firstline.volunteers.models import (
    Deployment,
    ExposureIncident,
    HealthCheck,
    KitIssue,
    SafetyAlert,
    Shift,
    Symptom,
)
from firstline.volunteers.selectors import figures as figures_selectors
from firstline.volunteers.services import safety

VIEW_DUTY = "volunteers.view_duty"
MANAGE = "volunteers.manage_duty"
CHECK = "volunteers.record_check"

router = ScopedRouter(tags=["volunteers"])
TARGETS = {Deployment: "deployment", ExposureIncident: "incident", Site: "site"}


def _managed(request, model, pk: int, service, fields: dict):
    """`service` by the caller on the `model` row `pk` they manage (404 outside their
    scope), passed as its keyword (`TARGETS`), with the payload's other `fields`;
    what the service refuses is a 422."""
    target = scoped_object(request, model, MANAGE, pk)
    with validation_errors_as_422():
        return service(actor=request.user, **{TARGETS[model]: target}, **fields)


class VolCheckOut(Schema):
    id: int
    company_id: int
    site_id: int
    deployment_id: int
    day: date
    temperature: Decimal
    symptoms: list[str]
    result: str
    shifts_removed: int


class VolCheckIn(Schema):
    deployment_id: RowId
    temperature: Decimal = Field(ge=30, le=45, max_digits=3, decimal_places=1)
    symptoms: list[Choice(Symptom)] = Field(default_factory=list, max_length=10)


class VolDayFilter(Schema):
    site_id: RowId | None = None
    day: date | None = None


router.scoped_list(
    "/checks",
    HealthCheck,
    VIEW_DUTY,
    VolCheckOut,
    refine=lambda qs: qs.order_by("-day", "-id"),
    filters=VolDayFilter,
    name="list_health_checks",
)


@router.post(
    "/checks",
    auth=AUTH,
    response=VolCheckOut,
    operation_id="record_health_check",
    summary="Today's health check of a person on duty (red: off the next shifts, alert)",
)
def check_create(request, payload: VolCheckIn):
    deployment = scoped_object(request, Deployment, CHECK, payload.deployment_id)
    with validation_errors_as_422():
        return safety.check_record(
            actor=request.user,
            deployment=deployment,
            temperature=payload.temperature,
            symptoms=[str(s) for s in payload.symptoms],
        )


class VolKitOut(Schema):
    id: int
    company_id: int
    site_id: int
    deployment_id: int
    shift_id: int | None
    day: date
    item_id: int
    item_name: str = Field(alias="item.name")
    quantity: int
    ledger_seqs: list[int]

    @staticmethod
    def resolve_ledger_seqs(obj) -> list[int]:
        return sorted(e.seq for e in obj.entries.all())


class VolKitIn(Schema):
    deployment_id: RowId
    item_id: RowId
    quantity: PositiveInt = Field(le=1000)
    shift_id: RowId | None = None


def _kit(qs):
    return qs.select_related("item").prefetch_related("entries").order_by("-day", "-id")


router.scoped_list(
    "/kit",
    KitIssue,
    VIEW_DUTY,
    VolKitOut,
    refine=_kit,
    filters=VolDayFilter,
    name="list_kit_issues",
)


@router.post(
    "/kit",
    auth=AUTH,
    response=VolKitOut,
    operation_id="issue_kit",
    summary="Kit to one person, drawn from the site's stock through the supplies ledger",
)
def kit_create(request, payload: VolKitIn):
    deployment = scoped_object(request, Deployment, MANAGE, payload.deployment_id)
    site = scoped_object(request, Site, MANAGE, deployment.site_id)
    item = Item.objects.filter(pk=payload.item_id).first()
    if item is None:
        from django.http import Http404

        raise Http404
    shift = scoped_object(request, Shift, MANAGE, payload.shift_id) if payload.shift_id else None
    with validation_errors_as_422():
        issue = safety.kit_issue(
            actor=request.user,
            scope=request.scope,
            deployment=deployment,
            site=site,
            item=item,
            quantity=payload.quantity,
            shift=shift,
        )
    return scoped_object(request, KitIssue, VIEW_DUTY, issue.pk, refine=_kit)


class VolIncidentOut(Schema):
    id: int
    company_id: int
    site_id: int
    deployment_id: int
    occurred_at: datetime
    kind: str
    description: str
    action_taken: str
    state: str
    outcome: str
    follow_ups: list[dict]


class VolIncidentIn(Schema):
    deployment_id: RowId
    occurred_at: datetime
    kind: Choice(ExposureIncident.Kind)
    description: str = Field(max_length=2000)
    action_taken: str = Field("", max_length=200)


class VolFollowUpIn(Schema):
    note: str = Field(max_length=500)
    outcome: Choice(ExposureIncident.Outcome)
    close: bool = False


router.scoped_list(
    "/incidents",
    ExposureIncident,
    VIEW_DUTY,
    VolIncidentOut,
    refine=lambda qs: qs.order_by("-occurred_at", "-id"),
    name="list_exposure_incidents",
)
router.scoped_detail(
    "/incidents/{int:pk}",
    ExposureIncident,
    VIEW_DUTY,
    VolIncidentOut,
    name="get_exposure_incident",
)


@router.post(
    "/incidents",
    auth=AUTH,
    response=VolIncidentOut,
    operation_id="record_exposure_incident",
    summary="An exposure on duty",
)
def incident_create(request, payload: VolIncidentIn):
    fields = payload.dict(exclude={"deployment_id"})
    return _managed(request, Deployment, payload.deployment_id, safety.incident_record, fields)


@router.post(
    "/incidents/{int:pk}/follow-ups",
    auth=AUTH,
    response=VolIncidentOut,
    operation_id="follow_up_exposure_incident",
    summary="One follow-up of an exposure (outcome so far; close it)",
)
def incident_follow_up(request, pk: RowId, payload: VolFollowUpIn):
    return _managed(request, ExposureIncident, pk, safety.incident_follow_up, payload.dict())


class VolInfectionIn(Schema):
    site_id: RowId
    day: date
    infections: NonNegativeInt = Field(description="Reported: 0 when none.")
    note: str = Field("", max_length=200)


class VolInfectionOut(Schema):
    id: int
    company_id: int
    site_id: int
    day: date
    infections: int


@router.post(
    "/infections",
    auth=AUTH,
    response=VolInfectionOut,
    operation_id="report_infections",
    summary="A site's count of staff and volunteers infected on a day (0 is a report)",
)
def infection_report(request, payload: VolInfectionIn):
    fields = payload.dict(exclude={"site_id"})
    return _managed(request, Site, payload.site_id, safety.infection_report, fields)


class VolFiguresOut(Schema):
    day: date
    on_duty: int
    checks_done: int
    checks_red: int
    checks_missing: int
    kit_units: int
    kit_per_person_day: float | None
    incidents: int
    incidents_open: int
    infections: int | None = Field(description="None: no site reported for the day.")
    infection_reports: int
    tasks_due: int
    tasks_done: int
    tasks_overdue: int
    waste_kg: Decimal
    hours: float


class VolPointOut(Schema):
    site_id: int
    site_name: str
    site_type: str
    due: int
    done: int
    overdue: int
    waste_kg: Decimal


class VolFiguresAll(Schema):
    figures: VolFiguresOut
    points: list[VolPointOut]


class VolFiguresQuery(Schema):
    day: date | None = None


@router.get(
    "/figures",
    auth=AUTH,
    response=VolFiguresAll,
    operation_id="get_front_line_figures",
    summary="The day's figures of the people on duty, and per hospital or isolation point",
)
def figures(request, params: Query[VolFiguresQuery]):
    perm_scope(request, VIEW_DUTY)
    return {
        "figures": figures_selectors.figures(request.scope, params.day),
        "points": figures_selectors.points(request.scope, params.day),
    }


class VolAlertOut(Schema):
    id: int
    company_id: int
    site_id: int
    kind: str
    message: str
    created_at: datetime
    acknowledged_at: datetime | None


router.scoped_list(
    "/alerts",
    SafetyAlert,
    VIEW_DUTY,
    VolAlertOut,
    refine=lambda qs: qs.order_by("-created_at", "-id"),
    name="list_safety_alerts",
)
