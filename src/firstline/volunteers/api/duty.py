"""Deployments, shifts, scans and certificates (under /api/v1/volunteers/):

- POST /scans   a check-in or check-out from the phone: {client_uuid, token, kind, at}.
                The phone's queue replays a scan made offline with its original UUID
                and time; the server stores a UUID once and answers a replay with the
                original result (`duplicate: true`).
- GET  /certificates/{code}/verify   public: masked name, hours, dates.
"""

import uuid
from datetime import date, datetime, time

from django.http import Http404
from django.utils import timezone
from ninja import Field
from ninja.pagination import paginate
from pydantic import AwareDatetime

from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.estates.models import Site, Staff
from firstline.orgs.api import AUTH
from firstline.volunteers.models import Certificate, Deployment, Scan, Shift, Volunteer
from firstline.volunteers.selectors import people
from firstline.volunteers.services import duty

VIEW_DUTY = "volunteers.view_duty"
MANAGE = "volunteers.manage_duty"

router = ScopedRouter(tags=["volunteers"])


class VolDeploymentOut(Schema):
    id: int
    company_id: int
    site_id: int
    site_name: str = Field(alias="site.name")
    volunteer_id: int | None
    staff_id: int | None
    person_name: str = Field(alias="person_masked")
    starts_on: date
    ends_on: date
    duty: str
    state: str


class VolDeploymentIn(Schema):
    site_id: RowId
    volunteer_id: RowId | None = None
    staff_id: RowId | None = None
    starts_on: date
    ends_on: date
    duty: str = Field("", max_length=64)


class VolDeploymentFilter(Schema):
    site_id: RowId | None = None
    state: Choice(Deployment.State) | None = None


def _deployments(qs):
    return qs.select_related("site").order_by("-starts_on", "-id")


router.scoped_list(
    "/deployments",
    Deployment,
    VIEW_DUTY,
    VolDeploymentOut,
    refine=_deployments,
    filters=VolDeploymentFilter,
    name="list_deployments",
)
router.scoped_detail(
    "/deployments/{int:pk}",
    Deployment,
    VIEW_DUTY,
    VolDeploymentOut,
    refine=_deployments,
    name="get_deployment",
)


@router.post(
    "/deployments",
    auth=AUTH,
    response=VolDeploymentOut,
    operation_id="create_deployment",
    summary="Deploy a volunteer or a staff member to a site for dates",
)
def deployment_create(request, payload: VolDeploymentIn):
    site = scoped_object(request, Site, MANAGE, payload.site_id)
    volunteer = (
        scoped_object(request, Volunteer, people.VIEW, payload.volunteer_id)
        if payload.volunteer_id
        else None
    )
    staff = scoped_object(request, Staff, MANAGE, payload.staff_id) if payload.staff_id else None
    with validation_errors_as_422():
        deployment = duty.deployment_create(
            actor=request.user,
            site=site,
            volunteer=volunteer,
            staff=staff,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            duty=payload.duty,
        )
    return scoped_object(request, Deployment, VIEW_DUTY, deployment.pk, refine=_deployments)


class VolSendIn(Schema):
    site_id: RowId
    volunteer_id: RowId
    starts_on: date
    ends_on: date
    duty: str = Field("", max_length=64)


@router.post(
    "/deployments/send",
    auth=AUTH,
    response=VolDeploymentOut,
    operation_id="send_volunteer",
    summary="The association's coordinator sends a volunteer to a member's hospital or "
    "isolation point",
)
def volunteer_send(request, payload: VolSendIn):
    site = people.sites_to_send_to(request.scope).filter(pk=payload.site_id).first()
    volunteer = people.volunteers_to_send(request.scope).filter(pk=payload.volunteer_id).first()
    if site is None or volunteer is None:
        raise Http404
    with validation_errors_as_422():
        deployment = duty.deployment_create(
            actor=request.user,
            site=site,
            volunteer=volunteer,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            duty=payload.duty,
        )
    return scoped_object(request, Deployment, VIEW_DUTY, deployment.pk, refine=_deployments)


class VolShiftOut(Schema):
    id: int
    company_id: int
    site_id: int
    deployment_id: int
    starts_at: datetime
    ends_at: datetime
    state: str
    removed_reason: str


class VolShiftsIn(Schema):
    first_day: date
    last_day: date
    start: time
    end: time = Field(description="At or before `start`: the next morning.")


class VolShiftFilter(Schema):
    site_id: RowId | None = None
    deployment_id: RowId | None = None
    state: Choice(Shift.State) | None = None


router.scoped_list(
    "/shifts",
    Shift,
    VIEW_DUTY,
    VolShiftOut,
    refine=lambda qs: qs.order_by("starts_at", "id"),
    filters=VolShiftFilter,
    name="list_shifts",
)


@router.post(
    "/deployments/{int:pk}/shifts",
    auth=AUTH,
    response=list[VolShiftOut],
    operation_id="create_shifts",
    summary="One shift a day over a range of days",
)
def shifts_create(request, pk: RowId, payload: VolShiftsIn):
    deployment = scoped_object(request, Deployment, MANAGE, pk)
    with validation_errors_as_422():
        return duty.shifts_create(
            actor=request.user,
            deployment=deployment,
            first_day=payload.first_day,
            last_day=payload.last_day,
            start=payload.start,
            end=payload.end,
        )


class VolMyShiftOut(Schema):
    id: int
    site_id: int
    site_name: str = Field(alias="site.name")
    starts_at: datetime
    ends_at: datetime
    state: str


@router.get(
    "/me/shifts",
    auth=AUTH,
    response=list[VolMyShiftOut],
    operation_id="list_my_shifts",
    summary="My shifts from 12 hours ago on (paginated)",
)
@paginate(ScopedPagination)
def my_shifts(request):
    if not request.scope.for_any_perm("volunteers.view_own", "volunteers.do_task").grants:
        from ninja.errors import HttpError

        raise HttpError(403, "permission denied")
    since = timezone.now() - timezone.timedelta(hours=12)
    return people.my_shifts(request.scope, request.user, since)


class VolScanIn(Schema):
    client_uuid: uuid.UUID = Field(description="Made by the phone; a replay is stored once.")
    token: str = Field(max_length=200, description="The site's check-in code (from its QR code).")
    kind: Choice(Scan.Kind)
    at: AwareDatetime | None = Field(
        None, description="When the phone scanned (ISO 8601 with offset); now when omitted."
    )


class VolScanOut(Schema):
    client_uuid: uuid.UUID
    kind: str
    at: datetime
    attendance_id: int | None
    site_id: int | None
    check_in_at: datetime | None
    check_out_at: datetime | None
    hours: float
    duplicate: bool
    message: str


@router.post(
    "/scans",
    auth=AUTH,
    response=VolScanOut,
    operation_id="record_scan",
    summary="Check in or out by the site's QR code (idempotent on client_uuid)",
)
def scan(request, payload: VolScanIn):
    if not request.scope.for_any_perm(*duty.OWN_PERMS).grants:
        from ninja.errors import HttpError

        raise HttpError(403, "permission denied")
    with validation_errors_as_422():
        result = duty.scan_record(
            user=request.user,
            scope=request.scope,
            token=payload.token,
            kind=payload.kind,
            client_uuid=payload.client_uuid,
            at=payload.at,
        )
    a = result.attendance
    return {
        "client_uuid": result.scan.client_uuid,
        "kind": result.scan.kind,
        "at": result.scan.at,
        "attendance_id": a.pk if a else None,
        "site_id": a.site_id if a else None,
        "check_in_at": a.check_in_at if a else None,
        "check_out_at": a.check_out_at if a else None,
        "hours": a.hours if a else 0,
        "duplicate": result.duplicate,
        "message": result.message,
    }


class VolCertificateOut(Schema):
    code: str
    association_name: str
    name: str = Field(alias="name_masked")
    hours: float
    first_day: date
    last_day: date
    sites: int
    issued_at: datetime


@router.post(
    "/me/certificate",
    auth=AUTH,
    response=VolCertificateOut,
    operation_id="issue_my_certificate",
    summary="A certificate of service for my hours to date",
)
def my_certificate(request):
    perm_scope(request, people.OWN)
    volunteer = people.own_volunteer(request.scope, request.user)
    if volunteer is None:
        raise Http404
    with validation_errors_as_422(loc=("body",)):
        return duty.certificate_issue(actor=request.user, volunteer=volunteer)


@router.get(
    "/certificates/{code}/verify",
    auth=None,
    response=VolCertificateOut,
    operation_id="verify_certificate",
    summary="Verify a certificate by its code (public: masked name, hours, dates)",
)
def verify(request, code: str):
    certificate = Certificate.objects.filter(code=code.strip().upper()[:16]).first()
    if certificate is None:
        raise Http404
    return certificate
