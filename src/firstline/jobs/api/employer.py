"""The employer's side: its registrations (booths), positions and interview slots,
and the applications to its own positions only (another employer's is 404)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field

from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.jobs.api.schemas import JobApplicantOut, JobEmployerOut, JobPositionOut, JobSlotOut
from firstline.jobs.models import Application, Employer, Fair, InterviewSlot, Position
from firstline.jobs.selectors import people
from firstline.jobs.services import applications, fairs
from firstline.orgs.api import AUTH
from firstline.orgs.models import Company

EMPLOY = people.EMPLOY

router = ScopedRouter(tags=["jobs"])


class JobBoothIn(Schema):
    booth_name: str = Field(..., min_length=1, max_length=128)
    contact_name: str = Field(..., min_length=1, max_length=64)
    phone: str = Field(..., min_length=1, max_length=20)
    booth_staff: int = Field(..., ge=1, le=200)
    introduction: str = Field("", max_length=5000)


class JobPositionIn(Schema):
    title: str = Field(..., min_length=1, max_length=128)
    city: str = Field(..., min_length=1, max_length=32)
    salary_min: int = Field(..., ge=0, le=1_000_000)
    salary_max: int = Field(..., ge=0, le=1_000_000)
    headcount: int = Field(1, ge=1, le=1000)
    requirements: str = Field("", max_length=5000)
    state: Choice(Position.State) = Position.State.OPEN


class JobSlotIn(Schema):
    starts_at: datetime
    ends_at: datetime
    meeting_link: str = Field(..., min_length=1, max_length=300)


class JobMoveIn(Schema):
    state: Choice(Application.State)
    note: str = Field("", max_length=500)
    offer_salary: int | None = Field(None, ge=1, le=1_000_000)


class JobInviteIn(Schema):
    slot_id: RowId | None = None


class JobApplicantFilter(Schema):
    state: Choice(Application.State) | None = None
    position_id: RowId | None = None


router.scoped_list(
    "/employer/booths",
    Employer,
    EMPLOY,
    JobEmployerOut,
    refine=lambda qs: qs.order_by("fair_id", "id"),
    name="list_my_job_booths",
    noun="the company's registrations (booths)",
)


@router.post(
    "/employer/fairs/{int:pk}/register",
    auth=AUTH,
    response=JobEmployerOut,
    operation_id="register_job_fair_booth",
    summary="Register the company for a fair with its booth (verified members only)",
)
def register(request, pk: RowId, payload: JobBoothIn):
    scope = perm_scope(request, EMPLOY)
    fair = scoped_object(request, Fair, EMPLOY, pk, refine=lambda qs: qs.filter(published=True))
    company_ids = people.employer_company_ids(scope)
    if not company_ids:
        raise Http404
    with validation_errors_as_422():
        return fairs.employer_register(
            actor=request.user,
            company=Company.objects.get(pk=company_ids[0]),
            fair=fair,
            data=payload.dict(),
        )


@router.post(
    "/employer/booths/{int:pk}",
    auth=AUTH,
    response=JobEmployerOut,
    operation_id="update_job_booth",
    summary="Edit the company's booth",
)
def booth_update(request, pk: RowId, payload: JobBoothIn):
    employer = scoped_object(request, Employer, EMPLOY, pk)
    with validation_errors_as_422():
        return fairs.employer_update(actor=request.user, employer=employer, data=payload.dict())


router.scoped_list(
    "/employer/positions",
    Position,
    EMPLOY,
    JobPositionOut,
    refine=lambda qs: qs.order_by("-created_at", "-id"),
    name="list_my_job_positions",
    noun="the company's positions",
)


@router.post(
    "/employer/booths/{int:pk}/positions",
    auth=AUTH,
    response=JobPositionOut,
    operation_id="create_job_position",
    summary="Post a position at a verified booth",
)
def position_create(request, pk: RowId, payload: JobPositionIn):
    employer = scoped_object(request, Employer, EMPLOY, pk)
    with validation_errors_as_422():
        return fairs.position_save(actor=request.user, employer=employer, data=payload.dict())


@router.post(
    "/employer/positions/{int:pk}",
    auth=AUTH,
    response=JobPositionOut,
    operation_id="update_job_position",
    summary="Edit (or close) one of the company's positions",
)
def position_update(request, pk: RowId, payload: JobPositionIn):
    position = scoped_object(
        request, Position, EMPLOY, pk, refine=lambda qs: qs.select_related("employer")
    )
    with validation_errors_as_422():
        return fairs.position_save(
            actor=request.user, employer=position.employer, position=position, data=payload.dict()
        )


@router.post(
    "/employer/positions/{int:pk}/slots",
    auth=AUTH,
    response=JobSlotOut,
    operation_id="create_job_interview_slot",
    summary="Add an online interview slot to one of the company's positions",
)
def slot_create(request, pk: RowId, payload: JobSlotIn):
    position = scoped_object(request, Position, EMPLOY, pk)
    with validation_errors_as_422():
        return applications.slot_create(actor=request.user, position=position, **payload.dict())


router.scoped_list(
    "/employer/applications",
    Application,
    EMPLOY,
    JobApplicantOut,
    refine=people.employer_applications,
    filters=JobApplicantFilter,
    name="list_my_job_applicants",
    noun="applications to the company's own positions",
)
router.scoped_detail(
    "/employer/applications/{int:pk}",
    Application,
    EMPLOY,
    JobApplicantOut,
    refine=people.employer_applications,
    name="get_my_job_applicant",
    noun="application to the company's own positions",
)


def _applicant(request, pk):
    return scoped_object(request, Application, EMPLOY, pk, refine=people.employer_applications)


@router.post(
    "/employer/applications/{int:pk}/move",
    auth=AUTH,
    response=JobApplicantOut,
    operation_id="decide_job_application",
    summary="Shortlist, mark interviewed, offer (with a salary) or reject an application",
)
def move(request, pk: RowId, payload: JobMoveIn):
    application = _applicant(request, pk)
    with validation_errors_as_422():
        applications.application_move(
            actor=request.user,
            application=application,
            state=payload.state,
            note=payload.note,
            offer_salary=payload.offer_salary,
        )
    return _applicant(request, pk)


@router.post(
    "/employer/applications/{int:pk}/invite",
    auth=AUTH,
    response=JobApplicantOut,
    operation_id="invite_job_application",
    summary="Invite to an online interview, offering the position's free slots or "
    "booking one (a taken slot is 422)",
)
def invite(request, pk: RowId, payload: JobInviteIn):
    application = _applicant(request, pk)
    slot = None
    with validation_errors_as_422(renames={"slot": "slot_id"}):
        if payload.slot_id is not None:
            slot = (
                InterviewSlot.objects.for_scope(perm_scope(request, EMPLOY))
                .filter(
                    company_id=application.company_id,
                    position_id=application.position_id,
                    pk=payload.slot_id,
                )
                .first()
            )
            if slot is None:
                raise ValidationError({"slot": "没有这个面试时段。"})
        applications.application_invite(actor=request.user, application=application, slot=slot)
    return _applicant(request, pk)
