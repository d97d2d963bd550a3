"""The landing page at "/": the dashboard of the user's highest role.

Every dashboard is a fixed handful of aggregate queries (values/annotate and
correlated counts), so what it costs does not grow with the number of sites.
Tenant rows are read through `for_scope`, except the association's and the
authority's cross-company figures (reports/selectors/rollups.py's
`*_across_tenants`, health/selectors.py's `*_across_companies`), which leave this
module as counts only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from functools import reduce
from operator import or_

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.aggregates import SUPPRESSED, SUPPRESSION_THRESHOLD, suppress
from firstline.core.replicas import replica_reads
from firstline.core.roles import Role, Target
from firstline.core.scope import Scope
from firstline.estates.models import Building, Household, Resident, Site, Staff
from firstline.geo.models import Division
from firstline.health import selectors as health_selectors
from firstline.health.models import (
    Declaration,
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    Status,
    SupportRequest,
    VulnerableCheck,
    WorkItem,
)
from firstline.health.services.isolation import OPEN_STATES
from firstline.health.services.vulnerable import DUE_AFTER_DAYS
from firstline.notices.selectors import inbox as notice_inbox
from firstline.orgs.models import Association, Company, Membership
from firstline.reports.models import DailyReport
from firstline.reports.selectors import charts as report_charts
from firstline.reports.selectors import feed as command_feed
from firstline.reports.selectors import rollups
from firstline.reports.selectors.rollups import FOCUS_CITY_CODE
from firstline.sanitation.models import Task
from firstline.sanitation.selectors import compliance
from firstline.supplies.models import Shipment
from firstline.volunteers.models import Attendance, Team, Volunteer
from firstline.volunteers.selectors import figures as duty_figures

# Highest first: a user with several roles lands on the first one they hold.
ROLE_PRIORITY = (
    Role.ASSOCIATION_ADMIN,
    Role.ASSOCIATION_STAFF,
    Role.COMPANY_ADMIN,
    Role.SITE_MANAGER,
    Role.HEALTH_OFFICER,
    Role.AUTHORITY_VIEWER,
    Role.GUARD,
    Role.CLEANER,
    Role.RESIDENT,
    Role.DONOR,
)

DISTRICT_CODE_LENGTH = Division.CODE_LENGTHS[Division.Level.DISTRICT]

SITE_ROWS = 10  # sites listed on a dashboard; the full list is one click away

VULNERABLE = reduce(or_, (Q(**{name: True}) for name in Resident.VULNERABILITY_FIELDS))


def primary_role(roles) -> str | None:
    return next((role for role in ROLE_PRIORITY if role in roles), None)


@replica_reads
@login_required
def dashboard(request):
    role = primary_role(request.scope.roles)
    name, context = DASHBOARDS.get(role, _no_role)(request)
    context.update(role=role, role_label=Role(role).label if role else "")
    return render(request, f"reports/dashboard/{name}.html", context)


# --- association: aggregates of its member companies ---------------------------------


def _member_sites(association_ids: list[int]):
    """Sites of the associations' active member companies; counts only leave here."""
    return rollups.member_sites_across_tenants(association_ids)


def _association(request):
    association_ids = sorted(
        request.scope.for_perm("orgs.view_association").ids(Target.ASSOCIATION)
    )
    associations = list(
        Association.objects.filter(pk__in=association_ids).values_list("name", flat=True)
    )
    company_count = (
        Membership.objects.filter(
            association_id__in=association_ids, status=Membership.Status.ACTIVE
        )
        .values("company_id")
        .distinct()
        .count()
    )
    sites = _member_sites(association_ids)
    by_type = dict(sites.order_by().values_list("site_type").annotate(n=Count("id")))
    by_district = dict(
        sites.filter(community__code__startswith=FOCUS_CITY_CODE)
        .annotate(district=Substr("community__code", 1, DISTRICT_CODE_LENGTH))
        .order_by()
        .values_list("district")
        .annotate(n=Count("id"))
    )
    divisions = list(
        Division.objects.filter(
            Q(code=FOCUS_CITY_CODE)
            | Q(level=Division.Level.DISTRICT, code__startswith=FOCUS_CITY_CODE)
        )
        .order_by("code")
        .values("code", "name", "level")
    )
    city = next((d["name"] for d in divisions if d["code"] == FOCUS_CITY_CODE), "")
    districts = [
        {"name": d["name"], "count": suppress(by_district.get(d["code"], 0))}
        for d in divisions
        if d["level"] == Division.Level.DISTRICT
    ]
    site_total = sum(by_type.values())
    return "association", {
        "association_names": associations,
        "company_count": suppress(company_count),
        "site_total": suppress(site_total),
        "focus_site_total": suppress(sum(by_district.values())),
        "city": city,
        "type_rows": _type_rows(by_type, total=site_total, suppressed=True),
        "districts": districts,
        "district_chart": _district_chart(districts),
        "threshold": SUPPRESSION_THRESHOLD,
        "charts": report_charts.charts(report_charts.for_association(association_ids)),
        "volunteers": _volunteers(request.scope),
    }


def _volunteers(scope: Scope) -> dict | None:
    """The association's volunteers and the safety of its people on duty: vetted
    volunteers and teams, all hours served, and today's figures (people on duty,
    checks, kit per person-day, infections reported: None when no point reported).
    Counts of its own volunteers, no personal data. Five queries and the figures'."""
    people = scope.for_perm("volunteers.view_volunteer")
    duty = scope.for_perm("volunteers.view_duty")
    if not people.grants or not duty.grants:
        return None
    minutes = Attendance.objects.for_scope(duty).aggregate(total=Sum("minutes"))["total"] or 0
    return {
        "approved": Volunteer.objects.for_scope(people)
        .filter(state=Volunteer.State.APPROVED)
        .count(),
        "pending": Volunteer.objects.for_scope(people)
        .filter(state=Volunteer.State.PENDING)
        .count(),
        "teams": Team.objects.for_scope(people).count(),
        "hours": round(minutes / 60),
        "today": duty_figures.figures(duty),
    }


def _type_rows(by_type: dict[str, int], *, total: int, suppressed: bool) -> list[dict]:
    """One row per site type: its count, and its share as a bar (none for a suppressed cell)."""
    rows = []
    for value, label in Site.Type.choices:
        count = by_type.get(value, 0)
        shown = suppress(count) if suppressed else count
        if not suppressed and not count:
            continue
        percent = round(count * 100 / total) if total and shown != SUPPRESSED else None
        rows.append({"type": value, "label": label, "count": shown, "percent": percent})
    return rows


def _district_chart(districts: list[dict]) -> dict:
    """ECharts option: sites per district; a suppressed cell is a labelled empty bar."""
    data = []
    for district in districts:
        if district["count"] == SUPPRESSED:
            data.append(
                {
                    "value": 0,
                    "label": {
                        "show": True,
                        "position": "top",
                        "formatter": SUPPRESSED,
                        "color": "#98a2b3",
                    },
                    "tooltip": {"formatter": "{b}：&lt;5"},
                }
            )
        else:
            data.append({"value": district["count"]})
    return {
        "grid": {"left": 8, "right": 8, "top": 28, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}"},
        "xAxis": {
            "type": "category",
            "data": [d["name"] for d in districts],
            "axisLabel": {"interval": 0, "rotate": 35, "color": "#475467"},
            "axisTick": {"show": False},
            "axisLine": {"lineStyle": {"color": "#d0d5dd"}},
        },
        "yAxis": {
            "type": "value",
            "minInterval": 1,
            "splitLine": {"lineStyle": {"color": "#eef1f5"}},
        },
        "series": [
            {
                "type": "bar",
                "name": str(_("项目数")),
                "data": data,
                "barMaxWidth": 26,
                "itemStyle": {"borderRadius": [4, 4, 0, 0]},
                "label": {"show": True, "position": "top", "color": "#475467"},
            }
        ],
    }


# --- daily reports and the command centre (issue #6) ---------------------------------


def _reports(scope: Scope) -> dict:
    """The 30-day charts (two queries, with reports.view_dailyreport) and the command
    centre's open alerts (one query, with reports.view_command); nothing and no
    query for a role without the permission."""
    out = {"charts": report_charts.charts(report_charts.for_scope(scope)), "command": None}
    if scope.has_perm(command_feed.COMMAND_PERM):
        counts = command_feed.open_counts(scope)
        out["command"] = {"total": sum(c["count"] for c in counts), "counts": counts}
    return out


# --- health figures (issue #4) --------------------------------------------------------


def _today_bounds() -> tuple[datetime, datetime]:
    today = timezone.localdate()
    start = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    return start, start + timedelta(days=1)


def _health(scope: Scope) -> dict | None:
    """The health officer's figures over the scope: six aggregate queries, each read
    through `for_scope` with the permission its list page asks for. None (and no
    query) when the scope may see none of them."""
    if not scope.has_perm("health.view_declaration"):
        return None
    start, end = _today_bounds()
    declarations = (
        Declaration.objects.for_scope(scope.for_perm("health.view_declaration"))
        .filter(current=True)
        .aggregate(
            red=Count("id", filter=Q(status=Status.RED)),
            yellow=Count("id", filter=Q(status=Status.YELLOW)),
        )
    )
    work = (
        WorkItem.objects.for_scope(scope.for_perm("health.view_workitem"))
        .exclude(state=WorkItem.State.CLOSED)
        .aggregate(
            open=Count("id"),
            new=Count("id", filter=Q(state=WorkItem.State.OPEN)),
        )
    )
    isolation = (
        IsolationCase.objects.for_scope(scope.for_perm("health.view_isolation"))
        .filter(state__in=OPEN_STATES)
        .aggregate(
            active=Count("id"),
            escalated=Count("id", filter=Q(state=IsolationCase.State.ESCALATED)),
        )
    )
    alerts = HealthAlert.objects.for_scope(scope.for_perm("health.view_alert")).aggregate(
        missed_today=Count(
            "id",
            filter=Q(kind=HealthAlert.Kind.MISSED_CHECK, due_at__gte=start, due_at__lt=end),
        ),
        unacknowledged=Count("id", filter=Q(acknowledged_at__isnull=True)),
    )
    support = (
        SupportRequest.objects.for_scope(scope.for_perm("health.view_support"))
        .filter(state__in=[SupportRequest.State.OPEN, SupportRequest.State.ASSIGNED])
        .aggregate(
            open=Count("id"),
            urgent=Count("id", filter=Q(urgency=SupportRequest.Urgency.URGENT)),
        )
    )
    called = VulnerableCheck.objects.for_scope(scope.for_perm("health.view_vulnerable")).filter(
        resident_id=OuterRef("pk"),
        called_at__gte=timezone.now() - timedelta(days=DUE_AFTER_DAYS),
    )
    vulnerable_due = (
        Resident.objects.for_scope(scope.for_perm("health.view_vulnerable"))
        .filter(VULNERABLE)
        .filter(~Exists(called))
        .count()
    )
    return {
        "red": declarations["red"],
        "yellow": declarations["yellow"],
        "work_open": work["open"],
        "work_new": work["new"],
        "isolation_active": isolation["active"],
        "isolation_escalated": isolation["escalated"],
        "missed_today": alerts["missed_today"],
        "alerts_open": alerts["unacknowledged"],
        "support_open": support["open"],
        "support_urgent": support["urgent"],
        "vulnerable_due": vulnerable_due,
        "due_after_days": DUE_AFTER_DAYS,
    }


def _sanitation(scope: Scope) -> dict | None:
    """Today's disinfection compliance and the tasks overdue now, over the scope: two
    aggregate queries. None (and no query) without the compliance permission."""
    if not scope.has_perm("sanitation.view_compliance"):
        return None
    now = timezone.now()
    today = timezone.localdate()
    figure = compliance.total(
        Task.objects.for_scope(scope.for_perm("sanitation.view_compliance")), day=today, now=now
    )
    overdue = (
        Task.objects.for_scope(scope.for_perm("sanitation.view_alert"))
        .filter(state=Task.State.PENDING, due_at__lt=now)
        .count()
    )
    return {"today": figure, "overdue": overdue}


def _cleaner_tasks(scope: Scope) -> dict | None:
    """The cleaner's day: tasks to do today, of which due already, and done: one query."""
    if not scope.has_perm("sanitation.view_task"):
        return None
    now = timezone.now()
    return (
        Task.objects.for_scope(scope.for_perm("sanitation.view_task"))
        .filter(day=timezone.localdate())
        .aggregate(
            to_do=Count("id", filter=Q(state=Task.State.PENDING)),
            due_now=Count("id", filter=Q(state=Task.State.PENDING, due_at__lte=now)),
            done=Count("id", filter=Q(state=Task.State.DONE)),
        )
    )


def _flagged(sites) -> dict:
    """Flagged cases (current reds and yellows, open isolation cases) of `sites`:
    counts only, for the authority viewer (see `_division_sites`)."""
    return health_selectors.flagged_counts_across_companies(sites.values("pk"))


def _household_checks(scope: Scope, household_ids: list[int]) -> dict[int, list[dict]]:
    """Open isolation cases of the resident's households with today's two checks:
    one query."""
    if not scope.has_perm("health.record_own_check"):
        return {}
    today = timezone.localdate()
    checks = IsolationCheck.objects.for_scope(scope.for_perm("health.record_own_check")).filter(
        case_id=OuterRef("pk"), day=today
    )
    rows = (
        IsolationCase.objects.for_scope(scope.for_perm("health.record_own_check"))
        .filter(household_id__in=household_ids, state__in=OPEN_STATES)
        .annotate(
            am_done=Exists(checks.filter(slot=IsolationCheck.Slot.AM)),
            pm_done=Exists(checks.filter(slot=IsolationCheck.Slot.PM)),
        )
        .order_by("household_id", "id")
        .values(
            "id",
            "household_id",
            "resident__name",
            "kind",
            "start_date",
            "planned_end",
            "am_done",
            "pm_done",
        )
    )
    kinds = dict(IsolationCase.Kind.choices)
    out: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        row["kind_label"] = kinds.get(row["kind"], "")
        row["days_left"] = max((row["planned_end"] - today).days, 0)
        row["to_do"] = not (row["am_done"] and row["pm_done"])
        out[row["household_id"]].append(row)
    return out


# --- company, site manager, health officer ----------------------------------------


def _per_site_count(qs, condition: Q | None = None):
    """A correlated COUNT for each site of the outer query, over a scoped queryset."""
    sub = qs.filter(site_id=OuterRef("pk"))
    if condition is not None:
        sub = sub.filter(condition)
    sub = sub.order_by().values("site_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _site_rows(scope: Scope, *, limit: int = SITE_ROWS) -> list[dict]:
    """The first sites in scope with their households, residents and vulnerable
    residents: one query, the counts as correlated subqueries, each scoped."""
    households = Household.objects.for_scope(scope.for_perm("estates.view_household"))
    residents = Resident.objects.for_scope(scope.for_perm("estates.view_resident"))
    rows = list(
        Site.objects.for_scope(scope.for_perm("estates.view_site"))
        .order_by("name", "id")
        .annotate(
            household_count=_per_site_count(households),
            resident_count=_per_site_count(residents),
            vulnerable_count=_per_site_count(residents, VULNERABLE),
        )
        .values(
            "id",
            "name",
            "site_type",
            "community__name",
            "household_count",
            "resident_count",
            "vulnerable_count",
        )[:limit]
    )
    labels = dict(Site.Type.choices)
    for row in rows:
        row["type_label"] = labels.get(row["site_type"], row["site_type"])
    return rows


def _resident_totals(scope: Scope) -> dict:
    return Resident.objects.for_scope(scope.for_perm("estates.view_resident")).aggregate(
        total=Count("id"), vulnerable=Count("id", filter=VULNERABLE)
    )


def _company(request):
    scope = request.scope
    company_ids = sorted(scope.for_perm("estates.view_site").ids(Target.COMPANY))
    companies = list(
        Company.objects.filter(pk__in=company_ids).order_by("name").values_list("name", flat=True)
    )
    by_type = dict(
        Site.objects.for_scope(scope.for_perm("estates.view_site"))
        .order_by()
        .values_list("site_type")
        .annotate(n=Count("id"))
    )
    building_count = Building.objects.for_scope(scope.for_perm("estates.view_building")).count()
    household_count = Household.objects.for_scope(scope.for_perm("estates.view_household")).count()
    residents = _resident_totals(scope)
    staff = Staff.objects.for_scope(scope.for_perm("estates.view_staff")).aggregate(
        total=Count("id"), on_duty=Count("id", filter=Q(on_duty=True))
    )
    site_total = sum(by_type.values())
    type_rows = _type_rows(by_type, total=site_total, suppressed=False)
    return "company", {
        "company_names": companies,
        "site_total": site_total,
        "building_count": building_count,
        "household_count": household_count,
        "resident_count": residents["total"],
        "vulnerable_count": residents["vulnerable"],
        "staff_total": staff["total"],
        "staff_on_duty": staff["on_duty"],
        "site_rows": _site_rows(scope),
        "type_chart": _type_chart(type_rows),
        "has_types": bool(type_rows),
        "health": _health(scope),
        "sanitation": _sanitation(scope),
        **_reports(scope),
    }


def _type_chart(type_rows: list[dict]) -> dict:
    """ECharts option: a doughnut of sites by type."""
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}（{d}%）"},
        "legend": {"bottom": 0, "icon": "circle", "itemWidth": 8, "itemHeight": 8},
        "series": [
            {
                "type": "pie",
                "radius": ["48%", "72%"],
                "center": ["50%", "44%"],
                "avoidLabelOverlap": True,
                "itemStyle": {"borderColor": "#fff", "borderWidth": 2},
                "label": {"show": False},
                "data": [{"name": str(row["label"]), "value": row["count"]} for row in type_rows],
            }
        ],
    }


def _duties(scope: Scope, sanitation: dict | None, command: dict | None) -> dict:
    """The site manager's morning, first on the page: today's reports still to submit
    (and yesterday's missed), shipments on their way to sign for, tasks overdue, and
    the open alerts: the command centre's one count, the same figure the command card
    shows. Two queries beside the figures the page reads anyway."""
    today = timezone.localdate()
    reports = {"due_today": 0, "missed_yesterday": 0}
    if scope.has_perm("reports.submit_report"):
        reports = DailyReport.objects.for_scope(scope.for_perm("reports.submit_report")).aggregate(
            due_today=Count("id", filter=Q(day=today, state=DailyReport.State.DRAFT)),
            missed_yesterday=Count(
                "id",
                filter=Q(
                    day=today - timedelta(days=1),
                    state=DailyReport.State.DRAFT,
                    due_at__lt=timezone.now(),
                ),
            ),
        )
    incoming = None
    if scope.has_perm("supplies.receive_shipment"):
        incoming = (
            Shipment.objects.for_scope(scope.for_perm("supplies.receive_shipment"))
            .filter(state=Shipment.State.IN_TRANSIT)
            .count()
        )
    return {
        **reports,
        "incoming": incoming,
        "overdue_tasks": sanitation["overdue"] if sanitation else None,
        "open_alerts": command["total"] if command else None,
    }


def _site_manager(request):
    scope = request.scope
    site_rows = _site_rows(scope)
    site_total = Site.objects.for_scope(scope.for_perm("estates.view_site")).count()
    household_count = Household.objects.for_scope(scope.for_perm("estates.view_household")).count()
    residents = _resident_totals(scope)
    sanitation = _sanitation(scope)
    reports = _reports(scope)
    return "site", {
        "duties": _duties(scope, sanitation, reports["command"]),
        "site_rows": site_rows,
        "site_total": site_total,
        "household_count": household_count,
        "resident_count": residents["total"],
        "vulnerable_count": residents["vulnerable"],
        "health": _health(scope),
        "sanitation": sanitation,
        **reports,
    }


# --- front-line staff --------------------------------------------------------------


def _my_sites(scope: Scope) -> list[dict]:
    return list(
        Site.objects.for_scope(scope.for_perm("estates.view_site"))
        .order_by("name", "id")
        .values("id", "name")[:SITE_ROWS]
    )


def _guard(request):
    return "guard", {"sites": _my_sites(request.scope)}


def _cleaner(request):
    return "cleaner", {
        "sites": _my_sites(request.scope),
        "tasks": _cleaner_tasks(request.scope),
    }


# --- authority: sites of its divisions, counts only -----------------------------------


def _division_sites(codes: list[str]):
    """Sites of the authority's divisions; counts per district and type only leave here."""
    return rollups.division_sites_across_tenants(codes)


def _authority(request):
    codes = sorted({g.target_id for g in request.scope.grants if g.role == Role.AUTHORITY_VIEWER})
    divisions = list(
        Division.objects.filter(code__in=codes).order_by("code").values_list("name", flat=True)
    )
    counts = list(
        _division_sites(codes)
        .order_by()
        .values("community__parent__parent__code", "community__parent__parent__name", "site_type")
        .annotate(n=Count("id"))
    )
    types = Site.Type.choices
    table: dict[str, dict] = {}
    type_totals: dict[str, int] = defaultdict(int)
    for row in counts:
        district = table.setdefault(
            row["community__parent__parent__code"] or "",
            {
                "name": row["community__parent__parent__name"],
                "counts": dict.fromkeys((v for v, _label in types), 0),
                "total": 0,
            },
        )
        district["counts"][row["site_type"]] += row["n"]
        district["total"] += row["n"]
        type_totals[row["site_type"]] += row["n"]
    rows = [
        {"name": d["name"], "cells": [d["counts"][v] for v, _label in types], "total": d["total"]}
        for _code, d in sorted(table.items())
    ]
    return "authority", {
        "division_names": divisions,
        "type_labels": [label for _v, label in types],
        "rows": rows,
        "type_totals": [type_totals[v] for v, _label in types],
        "site_total": sum(type_totals.values()),
        "residential_total": type_totals[Site.Type.RESIDENTIAL],
        "district_count": len(rows),
        "flagged": (
            _flagged(_division_sites(codes))
            if codes and request.scope.has_perm("health.view_flagged")
            else None
        ),
        **_reports(request.scope),
    }


# --- resident, donor, nobody ----------------------------------------------------------


def _resident(request):
    scope = request.scope
    household_ids = sorted(scope.ids(Target.HOUSEHOLD))
    households = list(
        Household.objects.for_scope(scope.for_perm("estates.view_household"))
        .filter(pk__in=household_ids)
        .select_related("building", "site")
        .order_by("id")
    )
    relations = dict(Resident.Relation.choices)
    statuses = dict(Status.choices)
    residents = Resident.objects.for_scope(scope.for_perm("estates.view_resident")).filter(
        household_id__in=household_ids
    )
    if scope.has_perm("health.declare_own"):
        # Each member's current declaration, in the same query as the members.
        declaration = Declaration.objects.for_scope(scope.for_perm("health.declare_own")).filter(
            resident_id=OuterRef("pk"), current=True
        )
        residents = residents.annotate(
            declaration_status=Subquery(declaration.values("status")[:1]),
            declared_at=Subquery(declaration.values("submitted_at")[:1]),
        )
    members = defaultdict(list)
    for member in residents.order_by("household_id", "id").values(
        "household_id",
        "name",
        "relation",
        "phone_masked",
        *(("declaration_status", "declared_at") if scope.has_perm("health.declare_own") else ()),
    ):
        member["relation_label"] = relations.get(member["relation"], "")
        status = member.get("declaration_status")
        member["status_label"] = statuses.get(status, "") if status else ""
        members[member["household_id"]].append(member)
    cases = _household_checks(scope, household_ids)
    return "resident", {
        "households": [
            {"household": h, "members": members[h.pk], "cases": cases.get(h.pk, [])}
            for h in households
        ],
        "can_declare": scope.has_perm("health.declare_own"),
        # Unread and urgent notices first of all (notices' own selector, two queries).
        "notices": notice_inbox.dashboard_notices(scope, request.user.pk),
    }


def _donor(request):
    return "donor", {}


def _no_role(request):
    return "none", {}


DASHBOARDS = {
    Role.ASSOCIATION_ADMIN: _association,
    Role.ASSOCIATION_STAFF: _association,
    Role.COMPANY_ADMIN: _company,
    Role.SITE_MANAGER: _site_manager,
    Role.HEALTH_OFFICER: _site_manager,
    Role.AUTHORITY_VIEWER: _authority,
    Role.GUARD: _guard,
    Role.CLEANER: _cleaner,
    Role.RESIDENT: _resident,
    Role.DONOR: _donor,
}
