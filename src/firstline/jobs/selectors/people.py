"""Whose rows a caller reaches. A graduate's grant is over the whole association, so
every graduate read is narrowed here to the caller's own profile and applications;
an employer's reads are its company's rows (the scope does that)."""

from __future__ import annotations

from firstline.core.scope import Scope
from firstline.jobs.models import Employer, Fair, Graduate, Position

APPLY = "jobs.apply"
EMPLOY = "jobs.employ"
MANAGE = "jobs.manage_fair"
FIGURES = "jobs.view_figures"


def own_graduate(scope: Scope, user) -> Graduate | None:
    return (
        Graduate.objects.for_scope(scope.for_perm(APPLY))
        .filter(user_id=user.pk)
        .order_by("id")
        .first()
    )


def own_applications(qs, user):
    """A graduate's own applications, with what its pages show."""
    return qs.filter(graduate__user_id=user.pk).select_related(
        "position", "position__employer", "fair"
    )


def employer_applications(qs):
    return qs.select_related("position", "graduate", "fair")


def open_positions(qs):
    """Positions a graduate may apply to: open, at a published fair, at a verified booth."""
    return qs.filter(
        state=Position.State.OPEN,
        fair__published=True,
        employer__state=Employer.State.VERIFIED,
    ).select_related("employer", "fair")


def public_fair(pk) -> Fair | None:
    """A published fair, for its public page (no login: no scope; published fairs only)."""
    return Fair.all_tenants.filter(pk=pk, published=True).first()


def public_positions(fair: Fair):
    """A published fair's open positions at verified booths (public page)."""
    return Position.all_tenants.filter(
        fair=fair, state=Position.State.OPEN, employer__state=Employer.State.VERIFIED
    ).select_related("employer")


def public_employers(fair: Fair):
    return Employer.all_tenants.filter(fair=fair, state=Employer.State.VERIFIED).order_by(
        "booth_name", "id"
    )


def employer_company_ids(scope: Scope) -> list[int]:
    return sorted(scope.for_perm(EMPLOY).ids("company"))
