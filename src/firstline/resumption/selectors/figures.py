"""Figures of back-to-work buildings.

    building(scope, site, day)   a building's tenants by state and resumed, staff
                                 registered, passes active, staff admitted that day,
                                 refusals at the gate that day and in all (by reason)
    association(scope, days)     buildings and tenants resumed by day (cumulative,
                                 counts under 5 shown as "<5")

Every read is through the caller's scope; a fixed number of queries.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db.models import Min
from django.utils import timezone

from firstline.access.models import AccessEvent, Decision, Direction, Pass
from firstline.core.personal.aggregates import suppress
from firstline.core.scope import Scope
from firstline.estates.models import Resident, Site
from firstline.resumption.models import Application, Tenant

MANAGE = "resumption.manage_building"
FIGURES = "resumption.view_figures"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def latest_states(applications) -> dict[int, str]:
    """tenant id → the state of its newest application."""
    states: dict[int, str] = {}
    for tenant_id, state in applications.order_by("tenant_id", "-created_at", "-id").values_list(
        "tenant_id", "state"
    ):
        states.setdefault(tenant_id, state)
    return states


def building(scope: Scope, site: Site, day: date | None = None) -> dict:
    day = day or timezone.localdate()
    start, end = day_bounds(day)
    scope = scope.for_perm(MANAGE)
    tenants = Tenant.objects.for_scope(scope).filter(site=site)
    households = list(tenants.values_list("household_id", flat=True))
    states = latest_states(Application.objects.for_scope(scope).filter(site=site))
    by_state = Counter(states.values())
    now = timezone.now()
    staff = Resident.objects.for_scope(scope).filter(site=site, household_id__in=households)
    passes = Pass.objects.for_scope(scope).filter(
        site=site,
        household_id__in=households,
        kind=Pass.Kind.RESIDENT,
        revoked_at__isnull=True,
        valid_until__gt=now,
    )
    events = AccessEvent.objects.for_scope(scope).filter(site=site)
    admitted = (
        events.filter(
            device_time__gte=start,
            device_time__lt=end,
            direction=Direction.IN,
            decision=Decision.ADMIT,
            household_id__in=households,
        )
        .exclude(resident_id=None)
        .values("resident_id")
        .distinct()
        .count()
    )
    refused_today: Counter = Counter()
    refused_total: Counter = Counter()
    today_count = total_count = 0
    for reasons, at in events.filter(decision=Decision.DENY).values_list("reasons", "device_time"):
        total_count += 1
        refused_total.update(reasons or [])
        if start <= at < end:
            today_count += 1
            refused_today.update(reasons or [])
    return {
        "day": day,
        "tenants": len(households),
        "resumed": by_state.get(Application.State.APPROVED, 0),
        "by_state": [(label, by_state.get(value, 0)) for value, label in Application.State.choices],
        "not_applied": len(households) - len(states),
        "staff": staff.count(),
        "passes_active": passes.count(),
        "admitted_today": admitted,
        "refused_today": today_count,
        "refused_total": total_count,
        "reasons": [
            {"reason": reason, "today": refused_today.get(reason, 0), "total": n}
            for reason, n in refused_total.most_common()
        ],
    }


def association(scope: Scope, *, days: int = 30, today: date | None = None) -> dict:
    """Buildings and tenants resumed by day, over the last `days` days: a tenant
    counts from the day its first approval was decided while its newest
    application is approved or suspended (it came back; a suspension shows in
    the state counts), a building from its first such tenant."""
    today = today or timezone.localdate()
    scope = scope.for_perm(FIGURES)
    applications = Application.objects.for_scope(scope)
    states = latest_states(applications)
    first = dict(
        applications.filter(decided_at__isnull=False, state__in=["approved", "suspended"])
        .values("tenant_id")
        .annotate(first=Min("decided_at"))
        .values_list("tenant_id", "first")
    )
    sites = dict(applications.values_list("tenant_id", "site_id").distinct())
    came_back = {
        t: timezone.localtime(at).date()
        for t, at in first.items()
        if states.get(t) in (Application.State.APPROVED, Application.State.SUSPENDED)
    }
    site_day: dict[int, date] = {}
    for tenant_id, on in came_back.items():
        site_id = sites[tenant_id]
        site_day[site_id] = min(on, site_day.get(site_id, on))
    series = []
    for n in range(days - 1, -1, -1):
        day = today - timedelta(days=n)
        tenants_n = sum(1 for on in came_back.values() if on <= day)
        sites_n = sum(1 for on in site_day.values() if on <= day)
        series.append({"day": day, "buildings": suppress(sites_n), "tenants": suppress(tenants_n)})
    by_state = Counter(states.values())
    return {
        "series": series,
        "applications": [
            (label, suppress(by_state.get(value, 0))) for value, label in Application.State.choices
        ],
        "buildings": suppress(len(site_day)),
        "tenants": suppress(len(came_back)),
    }


def building_sites(scope: Scope):
    """The office and commercial buildings the caller manages."""
    return Site.objects.for_scope(scope.for_perm(MANAGE)).filter(
        site_type__in=("office", "commercial")
    )


def tenants_listed(qs):
    """A tenant list's joins and columns: its unit, the state of its newest
    application and its staff, in subqueries (a fixed number of queries a page)."""
    from django.db.models import Count, OuterRef, Subquery

    newest = Application.all_tenants.filter(
        company_id=OuterRef("company_id"), tenant_id=OuterRef("pk")
    ).order_by("-created_at", "-id")
    staff = (
        Resident.all_tenants.filter(
            company_id=OuterRef("company_id"), household_id=OuterRef("household_id")
        )
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        qs.select_related("site", "household__building")
        .annotate(latest_state=Subquery(newest.values("state")[:1]), staff_count=Subquery(staff))
        .order_by("site__name", "name", "id")
    )


def tenant_passes(scope: Scope, tenant: Tenant) -> int:
    return (
        Pass.objects.for_scope(scope)
        .filter(
            household_id=tenant.household_id,
            kind=Pass.Kind.RESIDENT,
            revoked_at__isnull=True,
            valid_until__gt=timezone.now(),
        )
        .count()
    )
