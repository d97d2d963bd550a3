"""The association's side: its fairs, the registrations to verify, a fair's figures."""

from __future__ import annotations

from datetime import date

from ninja import Field

from firstline.core.api import (
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.jobs.api.schemas import JobEmployerOut, JobFairOut, JobFiguresOut
from firstline.jobs.models import Employer, Fair
from firstline.jobs.selectors import figures, people
from firstline.jobs.services import fairs
from firstline.orgs.api import AUTH
from firstline.orgs.models import Association

MANAGE = people.MANAGE
FIGURES = people.FIGURES

router = ScopedRouter(tags=["jobs"])


class JobFairIn(Schema):
    title: str = Field(..., min_length=1, max_length=128)
    starts_on: date
    ends_on: date
    description: str = Field("", max_length=5000)
    published: bool = False


class JobDecideIn(Schema):
    verified: bool
    note: str = Field("", max_length=200)


router.scoped_list(
    "/fairs", Fair, MANAGE, JobFairOut, name="list_job_fairs", noun="the association's fairs"
)


@router.post(
    "/fairs",
    auth=AUTH,
    response=JobFairOut,
    operation_id="create_job_fair",
    summary="Create a fair of the caller's association",
)
def fair_create(request, payload: JobFairIn):
    scope = perm_scope(request, MANAGE)
    association = Association.objects.get(pk=sorted(scope.ids("association"))[0])
    with validation_errors_as_422():
        return fairs.fair_save(actor=request.user, association=association, data=payload.dict())


@router.post(
    "/fairs/{int:pk}",
    auth=AUTH,
    response=JobFairOut,
    operation_id="update_job_fair",
    summary="Edit one of the association's fairs",
)
def fair_update(request, pk: RowId, payload: JobFairIn):
    fair = scoped_object(request, Fair, MANAGE, pk)
    with validation_errors_as_422():
        return fairs.fair_save(actor=request.user, association=None, fair=fair, data=payload.dict())


@router.get(
    "/fairs/{int:pk}/figures",
    auth=AUTH,
    response=JobFiguresOut,
    operation_id="get_job_fair_figures",
    summary="A fair's figures, live and afterwards",
)
def fair_figures(request, pk: RowId):
    return figures.fair_figures(scoped_object(request, Fair, FIGURES, pk))


router.scoped_list(
    "/employers",
    Employer,
    MANAGE,
    JobEmployerOut,
    refine=lambda qs: qs.order_by("fair_id", "booth_name", "id"),
    name="list_job_employers",
    noun="member companies' registrations for the association's fairs",
)


@router.post(
    "/employers/{int:pk}/decide",
    auth=AUTH,
    response=JobEmployerOut,
    operation_id="decide_job_employer",
    summary="Verify or refuse a member company's registration",
)
def employer_decide(request, pk: RowId, payload: JobDecideIn):
    employer = scoped_object(request, Employer, MANAGE, pk)
    with validation_errors_as_422():
        return fairs.employer_decide(
            actor=request.user, employer=employer, verified=payload.verified, note=payload.note
        )
