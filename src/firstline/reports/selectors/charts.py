"""The dashboards' charts over the last 30 days, read from the daily reports:
fevers, people in isolation, disinfection compliance and report punctuality.

All four series come from ONE grouped query over `DailyReport` (values("day") with
sums and filtered counts), plus one count of the sites in scope (a report that was
never made still counts as missing): two queries whatever the number of sites.

Scopes:
- company admin, site manager, authority viewer: `DailyReport.objects.for_scope`
  with reports.view_dailyreport (company, sites, or the division prefix on the
  report's division_code). The authority's sites are counted from `all_tenants`
  restricted to its division prefixes (Site has no division path), a count only.
- the association: its active members' reports read across tenants, which leave
  this module as daily totals; counts of people (fevers, isolation) under
  `core.personal.aggregates.SUPPRESSION_THRESHOLD` are suppressed (shown as a gap, "<5").

Compliance is Σ done ÷ Σ due of the day. Punctuality per day: submitted on time,
submitted late, and missing = sites in scope − submitted, once the day's cut-off
(settings.FIRSTLINE_REPORT_CUTOFF the next morning) has passed; none before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.aggregates import suppress as suppress_cell
from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.orgs.models import Membership
from firstline.reports.models import DailyReport

DAYS = 30
VIEW = "reports.view_dailyreport"
SUPPRESSED = "<5"


def days_ending(end: date, n: int = DAYS) -> list[date]:
    return [end - timedelta(days=n - 1 - i) for i in range(n)]


def cutoff_of(day: date) -> datetime:
    """When the report of `day` is due: the cut-off time on the next day, local."""
    hour, minute = (int(part) for part in settings.FIRSTLINE_REPORT_CUTOFF.split(":"))
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(hour, minute)))


@dataclass
class Series:
    days: list[date]
    fevers: list = field(default_factory=list)
    isolation: list = field(default_factory=list)
    compliance: list = field(default_factory=list)  # percent with one decimal, or None
    on_time: list = field(default_factory=list)
    late: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # None before the day's cut-off
    site_total: int = 0
    suppressed: bool = False


def series(reports, site_total: int, *, end: date | None = None, suppress: bool = False):
    """The four series over the 30 days up to `end` (today): one grouped query."""
    end = end or timezone.localdate()
    days = days_ending(end)
    submitted = Q(state=DailyReport.State.SUBMITTED)
    rows = {
        row["day"]: row
        for row in reports.filter(day__gte=days[0], day__lte=end)
        .order_by()
        .values("day")
        .annotate(
            fevers=Sum("fevers"),
            isolation=Sum("isolation_active"),
            due=Sum("sanitation_due"),
            done=Sum("sanitation_done"),
            on_time=Count("id", filter=submitted & Q(late=False)),
            late=Count("id", filter=submitted & Q(late=True)),
        )
    }
    now = timezone.now()
    out = Series(days=days, site_total=site_total, suppressed=suppress)
    for day in days:
        row = rows.get(day, {})
        fevers, isolation = row.get("fevers") or 0, row.get("isolation") or 0
        out.fevers.append(suppress_cell(fevers) if suppress else fevers)
        out.isolation.append(suppress_cell(isolation) if suppress else isolation)
        due, done = row.get("due") or 0, row.get("done") or 0
        out.compliance.append(round(done * 100 / due, 1) if due else None)
        on_time, late = row.get("on_time", 0), row.get("late", 0)
        out.on_time.append(on_time)
        out.late.append(late)
        out.missing.append(max(site_total - on_time - late, 0) if now >= cutoff_of(day) else None)
    return out


def division_codes(scope: Scope) -> list[str]:
    return sorted(str(code) for code in scope.for_perm(VIEW).ids(Target.DIVISION))


def for_scope(scope: Scope, *, end: date | None = None) -> Series | None:
    """Company admin, site manager, authority viewer: None (no query) without the
    permission."""
    view = scope.for_perm(VIEW)
    if not view.grants:
        return None
    reports = DailyReport.objects.for_scope(view)
    if codes := division_codes(scope):
        # Authorities: sites of their divisions across companies, as a count only.
        in_divisions = reduce(or_, (Q(community__code__startswith=c) for c in codes))
        tenant = view.q(**Site.scope_paths)
        condition = in_divisions | tenant if tenant is not None else in_divisions
        site_total = Site.all_tenants.filter(condition).count()
    else:
        site_total = Site.objects.for_scope(view).count()
    return series(reports, site_total, end=end)


def for_association(association_ids: list[int], *, end: date | None = None) -> Series | None:
    """The members' daily totals, small counts of people suppressed."""
    if not association_ids:
        return None
    members = Membership.objects.filter(
        association_id__in=association_ids, status=Membership.Status.ACTIVE
    ).values("company_id")
    # Across tenants by design: the association sees aggregates of its members only.
    reports = DailyReport.all_tenants.filter(company_id__in=members)
    site_total = Site.all_tenants.filter(company_id__in=members).count()
    return series(reports, site_total, end=end, suppress=True)


# --- ECharts options ----------------------------------------------------------------------


def _points(values: list) -> list:
    """A suppressed cell is a gap in the line (ECharts' "-"), never the number."""
    return ["-" if v == SUPPRESSED or v is None else v for v in values]


def _base(days: list[date], *, y_axis: dict | None = None) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": [d.strftime("%m-%d") for d in days]},
        "yAxis": y_axis or {"type": "value", "minInterval": 1},
    }


def options(data: Series) -> list[dict]:
    """The four charts: {key, title, element_id, option, note}."""
    note = _("少于 %(n)d 的人数不显示。") % {"n": 5} if data.suppressed else ""
    fevers = _base(data.days)
    fevers["series"] = [
        {"type": "bar", "name": str(_("发热人次")), "data": _points(data.fevers), "barMaxWidth": 14}
    ]
    isolation = _base(data.days)
    isolation["series"] = [
        {
            "type": "line",
            "name": str(_("在隔离")),
            "data": _points(data.isolation),
            "smooth": True,
            "areaStyle": {"opacity": 0.15},
        }
    ]
    compliance = _base(
        data.days,
        y_axis={"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
    )
    compliance["series"] = [
        {
            "type": "line",
            "name": str(_("消杀完成率")),
            "data": _points(data.compliance),
            "connectNulls": False,
        }
    ]
    punctuality = _base(data.days)
    punctuality["series"] = [
        {"type": "bar", "stack": "r", "name": str(label), "data": _points(values), "color": color}
        for label, values, color in (
            (_("按时报送"), data.on_time, "#12b76a"),
            (_("逾期报送"), data.late, "#f79009"),
            (_("未报送"), data.missing, "#d92d20"),
        )
    ]
    return [
        {"key": "fevers", "title": _("发热人次"), "option": fevers, "note": note},
        {"key": "isolation", "title": _("在隔离人数"), "option": isolation, "note": note},
        {"key": "compliance", "title": _("消杀完成率"), "option": compliance, "note": ""},
        {"key": "punctuality", "title": _("报告报送情况"), "option": punctuality, "note": ""},
    ]


def charts(data: Series | None) -> list[dict] | None:
    """What `reports/_charts.html` renders (None: no charts for this user)."""
    if data is None:
        return None
    return [{**c, "element_id": f"report-chart-{c['key']}"} for c in options(data)]
