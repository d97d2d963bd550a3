"""The graduate's side: its own profile, open positions, applying, its own
applications (another graduate's is 404), picking an interview slot, withdrawing."""

from django.core.exceptions import ValidationError
from ninja import Field, Query
from ninja.errors import HttpError
from ninja.pagination import paginate

from firstline.core.api import (
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    scoped_queryset,
    validation_errors_as_422,
)
from firstline.jobs.api.schemas import JobApplicationOut, JobPositionOut, JobSlotOut
from firstline.jobs.models import Application, InterviewSlot, Position
from firstline.jobs.selectors import people
from firstline.jobs.selectors.search import search
from firstline.jobs.services import applications
from firstline.jobs.services.applications import free_slots
from firstline.orgs.api import AUTH

APPLY = people.APPLY

router = ScopedRouter(tags=["jobs"])


class JobGraduateOut(Schema):
    id: int
    association_id: int
    name: str
    school: str
    major: str
    graduation_year: int
    phone: str = Field(alias="phone_masked")
    id_number: str = Field(alias="id_number_masked")
    cv_name: str
    consent: bool


class JobApplyIn(Schema):
    cover_note: str = Field("", max_length=500)


class JobPickIn(Schema):
    slot_id: RowId


def _graduate(request):
    graduate = people.own_graduate(perm_scope(request, APPLY), request.user)
    if graduate is None:
        raise HttpError(404, "Not Found")
    return graduate


def _own(request, pk):
    return scoped_object(
        request, Application, APPLY, pk, refine=lambda qs: people.own_applications(qs, request.user)
    )


@router.get(
    "/me",
    auth=AUTH,
    response=JobGraduateOut,
    operation_id="get_my_job_profile",
    summary="The caller's own graduate profile (phone and ID masked)",
)
def me(request):
    return _graduate(request)


class JobPositionQuery(Schema):
    q: str | None = Field(None, max_length=100)


@router.get(
    "/positions",
    auth=AUTH,
    response=list[JobPositionOut],
    operation_id="list_open_job_positions",
    summary="Open positions of published fairs; `q` searches them (Chinese words, "
    "ranked by title matches)",
)
@paginate(ScopedPagination)
def positions(request, params: Query[JobPositionQuery]):
    return search(people.open_positions(scoped_queryset(request, Position, APPLY)), params.q or "")


@router.post(
    "/positions/{int:pk}/apply",
    auth=AUTH,
    response=JobApplicationOut,
    operation_id="apply_job_position",
    summary="Apply to an open position (a daily limit per graduate)",
)
def apply(request, pk: RowId, payload: JobApplyIn):
    position = scoped_object(request, Position, APPLY, pk, refine=people.open_positions)
    graduate = _graduate(request)
    with validation_errors_as_422():
        application = applications.application_submit(
            actor=request.user, graduate=graduate, position=position, cover_note=payload.cover_note
        )
    return _own(request, application.pk)


@router.get(
    "/my/applications",
    auth=AUTH,
    response=list[JobApplicationOut],
    operation_id="list_my_job_applications",
    summary="The caller's own applications (paginated)",
)
@paginate(ScopedPagination)
def my_applications(request):
    return people.own_applications(scoped_queryset(request, Application, APPLY), request.user)


@router.get(
    "/my/applications/{int:pk}",
    auth=AUTH,
    response=JobApplicationOut,
    operation_id="get_my_job_application",
    summary="One of the caller's own applications (another's is 404)",
)
def my_application(request, pk: RowId):
    return _own(request, pk)


@router.get(
    "/my/applications/{int:pk}/slots",
    auth=AUTH,
    response=list[JobSlotOut],
    operation_id="list_my_job_application_slots",
    summary="The free interview slots offered to one of the caller's applications",
)
def my_slots(request, pk: RowId):
    application = _own(request, pk)
    if application.state != Application.State.INVITED:
        return []
    return list(free_slots(application))


@router.post(
    "/my/applications/{int:pk}/pick",
    auth=AUTH,
    response=JobSlotOut,
    operation_id="pick_my_job_interview_slot",
    summary="Pick an interview slot (a slot holds one interview: a taken one is 422)",
)
def pick(request, pk: RowId, payload: JobPickIn):
    application = _own(request, pk)
    slot = (
        InterviewSlot.objects.for_scope(perm_scope(request, APPLY))
        .filter(
            company_id=application.company_id,
            position_id=application.position_id,
            pk=payload.slot_id,
        )
        .first()
    )
    with validation_errors_as_422(renames={"slot": "slot_id"}):
        if slot is None:
            raise ValidationError({"slot": "没有这个面试时段。"})
        applications.interview_pick(actor=request.user, application=application, slot=slot)
    return slot


@router.post(
    "/my/applications/{int:pk}/withdraw",
    auth=AUTH,
    response=JobApplicationOut,
    operation_id="withdraw_my_job_application",
    summary="Withdraw one of the caller's own applications",
)
def withdraw(request, pk: RowId):
    application = _own(request, pk)
    with validation_errors_as_422():
        applications.application_withdraw(actor=request.user, application=application)
    return _own(request, pk)
