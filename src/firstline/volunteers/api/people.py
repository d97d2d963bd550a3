"""Volunteers and teams (under /api/v1/volunteers/): the public sign-up and its
consent text, a company's sign-up, vetting, insurance, teams, my record, hours.
Personal values are masked in every answer."""

from datetime import date, datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query
from ninja.errors import HttpError
from ninja.pagination import paginate

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
from firstline.orgs.api import AUTH
from firstline.orgs.models import Association, Company
from firstline.volunteers.models import Availability, Skill, Team, Volunteer
from firstline.volunteers.selectors import people
from firstline.volunteers.services import people as services

VIEW = "volunteers.view_volunteer"
CHANGE = "volunteers.change_volunteer"
VET = "volunteers.vet_volunteer"

router = ScopedRouter(tags=["volunteers"])


class VolVolunteerOut(Schema):
    id: int
    association_id: int
    company_id: int | None
    team_id: int | None
    name: str
    phone: str = Field(alias="phone_masked")
    id_number: str = Field(alias="id_number_masked")
    emergency_name: str
    emergency_phone: str = Field(alias="emergency_phone_masked")
    skills: list[str]
    languages: str
    availability: str
    healthy: bool
    no_contact: bool
    consent_version: int
    state: str
    source: str
    insurer: str
    policy_no: str
    insured_from: date | None
    insured_to: date | None
    created_at: datetime

    @staticmethod
    def resolve_consent_version(obj) -> int:
        return obj.consent.version


class VolSignUpIn(Schema):
    name: str = Field(max_length=64)
    phone: str = Field(max_length=20)
    id_number: str = Field(max_length=24)
    skills: list[Choice(Skill)] = Field(default_factory=list, max_length=10)
    languages: str = Field("", max_length=100)
    availability: Choice(Availability) = Availability.FULL_TIME
    availability_note: str = Field("", max_length=200)
    emergency_name: str = Field(max_length=64)
    emergency_phone: str = Field(max_length=20)
    healthy: bool = False
    no_contact: bool = False
    health_note: str = Field("", max_length=200)
    consent_version: int = Field(ge=1, le=2**31 - 1, description="The version the person read.")
    agreed: bool = Field(description="The person agrees to that consent text.")


class VolCompanySignUpIn(VolSignUpIn):
    company_id: RowId


class VolSignedUpOut(Schema):
    id: int
    state: str
    message: str


class VolConsentOut(Schema):
    association_id: int
    version: int
    body: str


def _sign_up(request, association, payload: VolSignUpIn, company=None) -> Volunteer:
    data = payload.dict()
    with validation_errors_as_422():
        return services.volunteer_sign_up(
            actor=request.user,
            association=association,
            company=company,
            data={
                k: data[k]
                for k in (
                    "name",
                    "skills",
                    "languages",
                    "availability",
                    "availability_note",
                    "emergency_name",
                    "healthy",
                    "no_contact",
                    "health_note",
                )
            },
            phone=payload.phone,
            id_number=payload.id_number,
            emergency_phone=payload.emergency_phone,
            consent_version=payload.consent_version,
            agreed=payload.agreed,
        )


@router.get(
    "/consent/{int:association_id}",
    auth=None,
    response=VolConsentOut,
    operation_id="get_volunteer_consent",
    summary="The consent text in force (public)",
)
def consent_get(request, association_id: RowId):
    association = get_object_or_404(Association, pk=association_id)
    consent = services.consent_current(association)
    return {"association_id": association.pk, "version": consent.version, "body": consent.body}


@router.post(
    "/join/{int:association_id}",
    auth=None,
    response=VolSignedUpOut,
    operation_id="volunteer_sign_up_public",
    summary="Sign up as a volunteer (public; waits for vetting)",
)
def join(request, association_id: RowId, payload: VolSignUpIn):
    association = get_object_or_404(Association, pk=association_id)
    volunteer = _sign_up(request, association, payload)
    return {"id": volunteer.pk, "state": volunteer.state, "message": "报名已提交，等待审核。"}


def _visible(request):
    """The volunteers the caller may read: coordinators all of their association's, a
    company its own people, a volunteer their own record (and, as a team's leader,
    the team's); 403 without any of these permissions."""
    if not request.scope.for_any_perm(VIEW, people.OWN).grants:
        raise HttpError(403, "permission denied")
    return people.volunteers_visible(request.scope, request.user).select_related("consent")


class VolFilter(Schema):
    state: Choice(Volunteer.State) | None = None
    team_id: RowId | None = None
    company_id: RowId | None = None


@router.get(
    "/volunteers",
    auth=AUTH,
    response=list[VolVolunteerOut],
    operation_id="list_volunteers",
    summary="List volunteers (scoped, paginated; a volunteer sees their own, a leader the team)",
)
@paginate(ScopedPagination)
def volunteer_list(request, params: Query[VolFilter]):
    qs = _visible(request)
    for key, value in params.dict(exclude_none=True).items():
        qs = qs.filter(**{key: value})
    return qs.order_by("-created_at", "-id")


@router.get(
    "/volunteers/{int:pk}",
    auth=AUTH,
    response=VolVolunteerOut,
    operation_id="get_volunteer",
    summary="One volunteer (404 outside your scope)",
)
def volunteer_get(request, pk: RowId):
    volunteer = _visible(request).filter(pk=pk).first()
    if volunteer is None:
        raise Http404
    return volunteer


@router.post(
    "/volunteers",
    auth=AUTH,
    response=VolVolunteerOut,
    operation_id="volunteer_sign_up_company",
    summary="A company signs up one of its people",
)
def company_sign_up(request, payload: VolCompanySignUpIn):
    scope = perm_scope(request, CHANGE)
    if payload.company_id not in scope.ids("company"):
        raise Http404
    company = Company.objects.get(pk=payload.company_id)
    from firstline.orgs.models import Membership

    link = Membership.objects.filter(company=company).order_by("id").first()
    if link is None:
        raise HttpError(422, "该企业不是协会会员。")
    volunteer = _sign_up(
        request, Association.objects.get(pk=link.association_id), payload, company=company
    )
    return Volunteer.objects.for_scope(scope).select_related("consent").get(pk=volunteer.pk)


class VolVetIn(Schema):
    username: str = Field("", max_length=150, description="Link this login; empty: make one.")
    note: str = Field("", max_length=200)


class VolVetOut(Schema):
    id: int
    state: str
    user_id: int | None
    username: str
    password: str = Field(
        description="The new login's first password (only once); empty when linked."
    )


@router.post(
    "/volunteers/{int:pk}/approve",
    auth=AUTH,
    response=VolVetOut,
    operation_id="approve_volunteer",
    summary="Approve a sign-up: a login made or linked",
)
def approve(request, pk: RowId, payload: VolVetIn):
    volunteer = scoped_object(request, Volunteer, VET, pk)
    with validation_errors_as_422():
        volunteer, password = services.volunteer_approve(
            actor=request.user, volunteer=volunteer, username=payload.username, note=payload.note
        )
    from firstline.orgs.models import User

    username = User.objects.filter(pk=volunteer.user_id).values_list("username", flat=True).first()
    return {
        "id": volunteer.pk,
        "state": volunteer.state,
        "user_id": volunteer.user_id,
        "username": username or "",
        "password": password,
    }


@router.post(
    "/volunteers/{int:pk}/reject",
    auth=AUTH,
    response=VolSignedUpOut,
    operation_id="reject_volunteer",
    summary="Reject a sign-up, with the reason",
)
def reject(request, pk: RowId, payload: VolVetIn):
    volunteer = scoped_object(request, Volunteer, VET, pk)
    with validation_errors_as_422():
        volunteer = services.volunteer_reject(
            actor=request.user, volunteer=volunteer, note=payload.note
        )
    return {"id": volunteer.pk, "state": volunteer.state, "message": volunteer.vet_note}


class VolInsuranceIn(Schema):
    insurer: str = Field(max_length=100)
    policy_no: str = Field(max_length=64)
    insured_from: date
    insured_to: date


@router.post(
    "/volunteers/{int:pk}/insurance",
    auth=AUTH,
    response=VolVolunteerOut,
    operation_id="set_volunteer_insurance",
    summary="Record the volunteer's insurance policy",
)
def insurance(request, pk: RowId, payload: VolInsuranceIn):
    volunteer = scoped_object(request, Volunteer, VET, pk)
    with validation_errors_as_422():
        services.insurance_set(actor=request.user, volunteer=volunteer, data=payload.dict())
    return scoped_object(
        request, Volunteer, VET, pk, refine=lambda qs: qs.select_related("consent")
    )


class VolTeamOut(Schema):
    id: int
    association_id: int
    company_id: int | None
    name: str
    leader_id: int | None


class VolTeamIn(Schema):
    name: str = Field(max_length=64)


class VolMemberIn(Schema):
    volunteer_id: RowId
    leader: bool = False


router.scoped_list("/teams", Team, VIEW, VolTeamOut, name="list_volunteer_teams")


@router.post(
    "/teams",
    auth=AUTH,
    response=VolTeamOut,
    operation_id="create_volunteer_team",
    summary="A new team of the association",
)
def team_create(request, payload: VolTeamIn):
    scope = perm_scope(request, VET)
    association_id = sorted(scope.ids("association"))[0]
    with validation_errors_as_422():
        return services.team_create(
            actor=request.user,
            association=Association.objects.get(pk=association_id),
            name=payload.name,
        )


@router.post(
    "/teams/{int:pk}/members",
    auth=AUTH,
    response=VolTeamOut,
    operation_id="set_volunteer_team_member",
    summary="Put a volunteer into the team (or make them its leader)",
)
def team_member(request, pk: RowId, payload: VolMemberIn):
    team = scoped_object(request, Team, VET, pk)
    volunteer = scoped_object(request, Volunteer, VET, payload.volunteer_id)
    with validation_errors_as_422():
        return services.team_member_set(
            actor=request.user, team=team, volunteer=volunteer, leader=payload.leader
        )


class VolMeOut(Schema):
    volunteer: VolVolunteerOut | None
    hours: float
    team_id: int | None
    leads_team_id: int | None


@router.get(
    "/me",
    auth=AUTH,
    response=VolMeOut,
    operation_id="get_my_volunteer_record",
    summary="My own volunteer record and hours",
)
def me(request):
    perm_scope(request, people.OWN)
    volunteer = people.own_volunteer(request.scope, request.user)
    team = people.team_led_by(request.scope, request.user)
    minutes = people.minutes_of(volunteer, request.scope) if volunteer else 0
    return {
        "volunteer": volunteer,
        "hours": round(minutes / 60, 1),
        "team_id": volunteer.team_id if volunteer else None,
        "leads_team_id": team.pk if team else None,
    }


class VolHoursRow(Schema):
    id: int | None
    name: str | None
    hours: float


class VolHoursOut(Schema):
    teams: list[VolHoursRow]
    companies: list[VolHoursRow]


@router.get(
    "/hours",
    auth=AUTH,
    response=VolHoursOut,
    operation_id="get_volunteer_hours",
    summary="Closed hours per team and per company (the volunteers you may read)",
)
def hours(request):
    perm_scope(request, VIEW)
    return {
        "teams": [
            {"id": r["team_id"], "name": r["team_name"], "hours": r["hours"]}
            for r in people.hours_by_team(request.scope, request.user)
        ],
        "companies": [
            {"id": r["company_id"], "name": r["company_name"], "hours": r["hours"]}
            for r in people.hours_by_company(request.scope, request.user)
        ],
    }
