"""The public fair (no login): its page's data, position search, graduate sign-up."""

from django.http import Http404
from ninja import Field, Query, Router
from ninja.pagination import paginate

from firstline.core.api import RowId, Schema, ScopedPagination, validation_errors_as_422
from firstline.jobs.api.schemas import JobFairOut, JobFiguresOut
from firstline.jobs.selectors import figures, people
from firstline.jobs.selectors.search import search
from firstline.jobs.services import graduates

router = Router(tags=["jobs"])


class JobPublicFairOut(Schema):
    fair: JobFairOut
    employers: list[str]
    figures: JobFiguresOut


class JobPublicPositionOut(Schema):
    id: int
    title: str
    city: str
    salary_min: int
    salary_max: int
    headcount: int
    employer: str = Field(alias="employer.booth_name")


class JobSearchQuery(Schema):
    q: str | None = Field(None, max_length=100)


class JobSignUpIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=128)
    name: str = Field(..., min_length=1, max_length=64)
    school: str = Field(..., min_length=1, max_length=128)
    major: str = Field(..., min_length=1, max_length=128)
    graduation_year: int = Field(..., ge=1900, le=2100)
    phone: str = Field(..., min_length=1, max_length=20)
    id_number: str = Field(..., min_length=1, max_length=24)
    consent: bool


class JobSignedUpOut(Schema):
    id: int
    username: str


def _fair(pk):
    fair = people.public_fair(pk)
    if fair is None:
        raise Http404
    return fair


@router.get(
    "/public/fairs/{int:pk}",
    auth=None,
    response=JobPublicFairOut,
    operation_id="get_public_job_fair",
    summary="A published fair: dates, employers and live figures (public)",
)
def public_fair(request, pk: RowId):
    fair = _fair(pk)
    numbers = figures.fair_figures(fair)
    return {
        "fair": fair,
        "employers": [e.booth_name for e in people.public_employers(fair)],
        "figures": numbers,
    }


@router.get(
    "/public/fairs/{int:pk}/positions",
    auth=None,
    response=list[JobPublicPositionOut],
    operation_id="search_public_job_positions",
    summary="Search a published fair's open positions (public, Chinese search)",
)
@paginate(ScopedPagination)
def public_positions(request, pk: RowId, params: Query[JobSearchQuery]):
    return search(people.public_positions(_fair(pk)), params.q or "")


@router.post(
    "/public/fairs/{int:pk}/sign-up",
    auth=None,
    response=JobSignedUpOut,
    operation_id="sign_up_job_graduate",
    summary="Sign up as a graduate of a published fair (public; the CV is uploaded on the profile page)",
)
def sign_up(request, pk: RowId, payload: JobSignUpIn):
    fair = _fair(pk)
    data = payload.dict()
    with validation_errors_as_422():
        graduate = graduates.graduate_sign_up(
            fair=fair, username=data.pop("username"), password=data.pop("password"), data=data
        )
    return {"id": graduate.pk, "username": graduate.user.username}
