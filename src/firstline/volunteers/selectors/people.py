"""Reads of volunteers, teams and hours.

Who sees which volunteer: the association's coordinators every volunteer of their
association, a company its own people (`volunteers.view_volunteer`, through the
grant's own path), and a volunteer login (`volunteers.view_own` over its
association) its own record and, as a team's leader, the team's. Outside that: 404.
"""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.supplies.selectors.coordination import member_sites_across_companies
from firstline.volunteers.models import Attendance, Deployment, Shift, Team, Volunteer

VIEW = "volunteers.view_volunteer"
OWN = "volunteers.view_own"


def own_filter(user) -> Q:
    return Q(user_id=user.pk) | Q(team__leader__user_id=user.pk)


def volunteers_visible(scope: Scope, user):
    """Every volunteer this user may read (coordinators, companies, own/team)."""
    managed = scope.for_perm(VIEW)
    own = Volunteer.objects.for_scope(scope.for_perm(OWN)).filter(own_filter(user))
    if not managed.grants:
        return own
    qs = Volunteer.objects.for_scope(managed)
    return (qs | own) if scope.for_perm(OWN).grants else qs


def own_volunteer(scope: Scope, user) -> Volunteer | None:
    return (
        Volunteer.objects.for_scope(scope.for_perm(OWN))
        .filter(user_id=user.pk)
        .select_related("team", "consent")
        .first()
    )


def team_led_by(scope: Scope, user) -> Team | None:
    return (
        Team.objects.for_scope(scope.for_perm(OWN))
        .filter(leader__user_id=user.pk)
        .select_related("leader")
        .first()
    )


READERS = (VIEW, OWN, "volunteers.view_duty")


def _attendances(scope: Scope):
    return Attendance.objects.for_scope(scope.for_any_perm(*READERS))


def _minutes(scope: Scope, **match):
    """Closed minutes of the attendances of deployments matching `match` (OuterRef)."""
    return Coalesce(
        Subquery(
            _attendances(scope)
            .filter(check_out_at__isnull=False, **match)
            .order_by()
            .values(*match.keys())
            .annotate(total=Sum("minutes"))
            .values("total")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def with_minutes(volunteers, scope: Scope):
    """Each volunteer's closed minutes on duty, one subquery (no query per row)."""
    return volunteers.annotate(minutes=_minutes(scope, deployment__volunteer_id=OuterRef("pk")))


def minutes_of(volunteer: Volunteer, scope: Scope) -> int:
    return (
        _attendances(scope)
        .filter(deployment__volunteer_id=volunteer.pk, check_out_at__isnull=False)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )


def hours_by_team(scope: Scope, user):
    """Per team: members and closed hours, over the volunteers this user may read."""
    rows = (
        volunteers_visible(scope, user)
        .filter(team__isnull=False)
        .values("team_id", team_name=F("team__name"))
        .annotate(minutes=Coalesce(Sum("deployments__attendances__minutes"), Value(0)))
        .order_by("team_name")
    )
    return [{**r, "hours": round(r["minutes"] / 60, 1)} for r in rows]


def hours_by_company(scope: Scope, user):
    """Per company (or none: signed up in person): closed hours of its volunteers."""
    rows = (
        volunteers_visible(scope, user)
        .values("company_id", company_name=F("company__name"))
        .annotate(
            people=Count("id", distinct=True),
            minutes=Coalesce(Sum("deployments__attendances__minutes"), Value(0)),
        )
        .order_by("company_name")
    )
    return [{**r, "hours": round(r["minutes"] / 60, 1)} for r in rows]


def my_deployments(scope: Scope, user):
    return Deployment.objects.for_scope(
        scope.for_any_perm("volunteers.view_own", "volunteers.do_task")
    ).filter(Q(volunteer__user_id=user.pk) | Q(staff__user_id=user.pk))


def my_shifts(scope: Scope, user, since):
    return (
        Shift.objects.for_scope(scope.for_any_perm("volunteers.view_own", "volunteers.do_task"))
        .filter(Q(deployment__volunteer__user_id=user.pk) | Q(deployment__staff__user_id=user.pk))
        .filter(ends_at__gte=since)
        .select_related("site", "deployment")
        .order_by("starts_at", "id")
    )


# --- sending volunteers (the association's coordinators) -------------------------------

DEPLOY = "volunteers.deploy_volunteer"
SUPPORT_SITE_TYPES = (Site.Type.HOSPITAL, Site.Type.ISOLATION)


def sites_to_send_to(scope: Scope):
    """The hospitals and isolation points of the member companies of the associations
    the user may send volunteers for: supplies' one read of member sites across
    companies (names only are shown)."""
    sending = scope.for_perm(DEPLOY)
    if not sending.grants:
        return Site.objects.none()
    return member_sites_across_companies(sending).filter(site_type__in=SUPPORT_SITE_TYPES)


def volunteers_to_send(scope: Scope):
    """The association's approved volunteers, whoever signed them up."""
    return Volunteer.objects.for_scope(scope.for_perm(DEPLOY)).filter(
        state=Volunteer.State.APPROVED
    )
