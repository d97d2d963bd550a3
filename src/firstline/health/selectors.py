"""Reads of the health app that cross companies by design.

The authority viewer (街道/社区) sees flagged cases (red and yellow current
declarations, open isolation cases) of the sites in its divisions, whichever company
runs them (DESIGN.md). No model declares a division path to residents' health data,
so `for_scope` shows an authority nothing; these functions are the one place that
reads it, from the division grants alone. The pages mask every person and log every
read (health/views/authority.py); the dashboards take counts only."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.health.models import Declaration, IsolationCase, Status
from firstline.health.services.isolation import OPEN_STATES

FLAGGED = (Status.RED, Status.YELLOW)


def division_sites_across_companies(scope: Scope) -> QuerySet[Site]:
    """Sites whose community lies in one of the scope's divisions. Company and site
    grants play no part: only the division grants are asked for."""
    divisions = Scope(scope.user_id, tuple(g for g in scope.grants if g.target == Target.DIVISION))
    condition = divisions.q(division="community__code")
    if condition is None:
        return Site.objects.none()
    return Site.all_tenants.filter(condition)


def flagged_declarations_across_companies(site_ids) -> QuerySet[Declaration]:
    """Current red and yellow declarations at the sites (ids, or a subquery of them,
    from `division_sites_across_companies`)."""
    return Declaration.all_tenants.filter(site_id__in=site_ids, current=True, status__in=FLAGGED)


def open_cases_across_companies(site_ids) -> QuerySet[IsolationCase]:
    """Open isolation cases at the sites (as above)."""
    return IsolationCase.all_tenants.filter(site_id__in=site_ids, state__in=OPEN_STATES)


def flagged_counts_across_companies(site_ids) -> dict:
    """{red, yellow, isolation}: the counts the authority's dashboard shows."""
    declarations = flagged_declarations_across_companies(site_ids).aggregate(
        red=Count("id", filter=Q(status=Status.RED)),
        yellow=Count("id", filter=Q(status=Status.YELLOW)),
    )
    return {**declarations, "isolation": open_cases_across_companies(site_ids).count()}
