"""Roll-ups of the daily reports for one day: up the division hierarchy for authority
viewers, by company and site for companies, and the association's overview.

Roll-ups count SUBMITTED reports only: a draft is the system's prefill that nobody
has vouched for yet, so its figures are not added up; its site counts as pending
(before the cut-off) or missing (after it). Each figure of a row is the SUM over the
submitted reports of the row's sites; compliance % is sum(sanitation_done) /
sum(sanitation_due) of the same reports.

Everything is set-based and a fixed number of queries whatever the number of sites:
one query for division names, one for site counts grouped by code prefix
(`Substr(community code, 1, n)`), one for the report sums grouped the same way
(`Substr("division_code", 1, n)`); the total row is added up in Python from the rows.

Reading across companies:
- Reports are always read through `DailyReport.objects.for_scope(scope.for_perm(VIEW))`
  (an authority's division grant filters them by code prefix).
- An authority's site counts and its community's site list come from
  `Site.all_tenants` restricted to a division the authority holds (a site carries no
  division scope path): the sites of its jurisdiction are what it oversees.
- The association overview reads `DailyReport.all_tenants`/`Site.all_tenants` of its
  active member companies and leaves this module as suppressed counts only, never a
  site-level row (DESIGN.md: association figures are aggregates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.aggregates import SUPPRESSED, suppress
from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Company, Membership
from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.services.daily import report_cutoff

VIEW = "reports.view_rollup"
OVERVIEW = "reports.view_overview"
SITE_ROWS = 50  # sites per page of a site-level table
MAX_SERIES_DAYS = 92

LEVEL_BY_LENGTH = {length: level for level, length in Division.CODE_LENGTHS.items()}
# A roll-up goes one level down: (province →) city → districts → streets → communities
# (→ sites).
CHILD_LENGTH = {2: 4, 4: 6, 6: 9, 9: 12}
SUBMITTED = DailyReport.State.SUBMITTED

# The front line of the reference scenario is Wuhan (city code 4201): the association's
# overview and dashboard show the sites of its members per district of that city.
FOCUS_CITY_CODE = "4201"


def figure_labels() -> list[str]:
    """The Chinese labels of FIGURES in model order (headers of pages and exports)."""
    return [str(DailyReport._meta.get_field(name).verbose_name) for name in FIGURES]


def _aggregates() -> dict:
    sums = {name: Sum(name, default=0) for name in FIGURES}
    return {
        "submitted": Count("id"),
        "late": Count("id", filter=Q(late=True)),
        **sums,
    }


@dataclass
class Row:
    """One line of a roll-up: a division, a company, or the total."""

    key: str | int
    name: str
    sites: int = 0
    submitted: int = 0
    late: int = 0
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    overdue: bool = False  # past the cut-off: unreported sites are missing, not pending

    @property
    def on_time(self) -> int:
        return self.submitted - self.late

    @property
    def unreported(self) -> int:
        return max(self.sites - self.submitted, 0)

    @property
    def missing(self) -> int:
        return self.unreported if self.overdue else 0

    @property
    def pending(self) -> int:
        return 0 if self.overdue else self.unreported

    @property
    def compliance_percent(self) -> float | None:
        due = self.figures["sanitation_due"]
        return round(self.figures["sanitation_done"] * 100 / due, 1) if due else None

    def figure_list(self) -> list[int]:
        return [self.figures[name] for name in FIGURES]

    def add(self, other: Row) -> None:
        self.sites += other.sites
        self.submitted += other.submitted
        self.late += other.late
        for name in FIGURES:
            self.figures[name] += other.figures[name]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "sites": self.sites,
            "submitted": self.submitted,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "pending": self.pending,
            "compliance_percent": self.compliance_percent,
            "figures": dict(self.figures),
        }


def _row(key, name: str, sites: int, agg: dict | None, *, overdue: bool) -> Row:
    row = Row(key=key, name=name, sites=sites, overdue=overdue)
    if agg:
        row.submitted, row.late = agg["submitted"], agg["late"]
        row.figures = {name: agg[name] or 0 for name in FIGURES}
    return row


@dataclass
class SiteRow:
    """One site's report of the day (None when it has not submitted one)."""

    site_id: int
    name: str
    company_id: int
    company_name: str
    state: str  # submitted | late | missing | pending
    report: dict | None = None

    STATE_LABELS = {
        "submitted": _("按时报送"),
        "late": _("逾期报送"),
        "missing": _("缺报"),
        "pending": _("待报送"),
    }

    @property
    def state_label(self) -> str:
        return str(self.STATE_LABELS[self.state])

    @property
    def report_id(self) -> int | None:
        return self.report["id"] if self.report else None

    def figure_list(self) -> list[int | None]:
        return [self.report[name] if self.report else None for name in FIGURES]

    @property
    def compliance_percent(self) -> float | None:
        if not self.report or not self.report["sanitation_due"]:
            return None
        return round(self.report["sanitation_done"] * 100 / self.report["sanitation_due"], 1)

    def as_dict(self) -> dict:
        report = self.report or {}
        return {
            "site_id": self.site_id,
            "name": self.name,
            "company_id": self.company_id,
            "company_name": self.company_name,
            "state": self.state,
            "report_id": report.get("id"),
            "submitted_at": report["submitted_at"].isoformat() if report else None,
            "figures": {name: report[name] for name in FIGURES} if report else None,
            "compliance_percent": self.compliance_percent,
            "notes": report.get("notes", ""),
            "help_needed": report.get("help_needed", ""),
        }


REPORT_FIELDS = ("id", "site_id", "late", "submitted_at", *FIGURES, "notes", "help_needed")
SITE_FIELDS = ("id", "name", "company_id", "company__name")


def site_rows(sites: list[dict], reports, *, day: date, overdue: bool) -> list[SiteRow]:
    """The given sites (dicts of SITE_FIELDS) with their submitted report of the day:
    one query for the reports of these sites."""
    found = {
        r["site_id"]: r
        for r in reports.filter(
            day=day, state=SUBMITTED, site_id__in=[s["id"] for s in sites]
        ).values(*REPORT_FIELDS)
    }
    rows = []
    for site in sites:
        report = found.get(site["id"])
        if report:
            state = "late" if report["late"] else "submitted"
        else:
            state = "missing" if overdue else "pending"
        rows.append(
            SiteRow(
                site_id=site["id"],
                name=site["name"],
                company_id=site["company_id"],
                company_name=site["company__name"],
                state=state,
                report=report,
            )
        )
    return rows


@dataclass
class Rollup:
    """One roll-up page: what it is about, its rows (or sites) and the total."""

    day: date
    kind: str  # "division" | "company" | "sites"
    title: str  # the division's or company's name, or "all companies"
    overdue: bool
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    sites_page: Page | None = None  # kind == "sites": one page of SiteRow
    site_rows: list[SiteRow] = field(default_factory=list)
    division: dict | None = None  # {"code", "name", "level"} in division mode
    parent: dict | None = None  # where "up" goes: {"division": code} or {"company": None}
    company_id: int | None = None
    # What the sites of a site-level table are (export streams all of them, in chunks).
    sites_qs: object = None
    reports_qs: object = None

    @property
    def child_kind(self) -> str:
        if self.kind == "sites":
            return "site"
        if self.kind == "company":
            return "company"
        return "division"


def _total(rows: list[Row], *, overdue: bool, name: str) -> Row:
    total = Row(key="", name=name, overdue=overdue)
    for row in rows:
        total.add(row)
    return total


def _is_overdue(day: date, now: datetime | None) -> bool:
    return (now or timezone.now()) > report_cutoff(day)


# --- authority viewers: down the division hierarchy -----------------------------------------


def division_codes(scope: Scope) -> list[str]:
    """The divisions whose roll-ups this scope may see (most general first)."""
    return sorted(scope.for_perm(VIEW).ids(Target.DIVISION), key=lambda c: (len(c), c))


def division_rollup(
    scope: Scope, *, code: str, day: date, page: int | str = 1, now: datetime | None = None
) -> Rollup:
    """The roll-up of `code` (a city, district or street: one row per child division;
    a community: one row per site). Outside the scope's division grants → 404."""
    scope = scope.for_perm(VIEW)
    if len(code) not in LEVEL_BY_LENGTH or not any(
        code.startswith(granted) for granted in division_codes(scope)
    ):
        raise Http404
    level = LEVEL_BY_LENGTH[len(code)]
    names = list(
        Division.objects.filter(code__startswith=code, level__in=(level, level + 1))
        .order_by("code")
        .values("id", "code", "name", "level")
    )
    this = next((d for d in names if d["code"] == code), None)
    if this is None:
        raise Http404
    overdue = _is_overdue(day, now)
    reports = DailyReport.objects.for_scope(scope).filter(division_code__startswith=code)
    parent_code = code[: max((n for n in LEVEL_BY_LENGTH if n < len(code)), default=0)]
    can_go_up = any(parent_code.startswith(g) for g in division_codes(scope)) and parent_code
    rollup = Rollup(
        day=day,
        kind="division",
        title=this["name"],
        overdue=overdue,
        division=this,
        parent={"division": parent_code} if can_go_up else None,
    )
    if len(code) not in CHILD_LENGTH:  # a community: its sites
        sites = Site.all_tenants.filter(community__code=code)
        return _fill_sites(rollup, sites, reports, page=page)
    n = CHILD_LENGTH[len(code)]
    site_counts = dict(
        Site.all_tenants.filter(community__code__startswith=code)
        .annotate(k=Substr("community__code", 1, n))
        .order_by()
        .values_list("k")
        .annotate(c=Count("id"))
    )
    sums = {
        r["k"]: r
        for r in reports.filter(day=day, state=SUBMITTED)
        .annotate(k=Substr("division_code", 1, n))
        .order_by()
        .values("k")
        .annotate(**_aggregates())
    }
    rollup.rows = [
        _row(
            d["code"],
            d["name"],
            site_counts.get(d["code"], 0),
            sums.get(d["code"]),
            overdue=overdue,
        )
        for d in names
        if d["level"] == level + 1
    ]
    rollup.total = _total(rollup.rows, overdue=overdue, name=str(_("合计")))
    return rollup


# --- companies: by company, then by site ----------------------------------------------------


def company_rollup(
    scope: Scope,
    *,
    day: date,
    company_id: int | None = None,
    page: int | str = 1,
    now: datetime | None = None,
) -> Rollup:
    """Without a company: one row per company of the scope. With one (of the scope,
    else 404): one row per site of it that the scope reaches."""
    scope = scope.for_perm(VIEW)
    companies = scope.company_ids
    overdue = _is_overdue(day, now)
    sites = Site.objects.for_scope(scope)
    reports = DailyReport.objects.for_scope(scope)
    if company_id is not None:
        if company_id not in companies:
            raise Http404
        name = Company.objects.filter(pk=company_id).values_list("name", flat=True).first()
        rollup = Rollup(
            day=day,
            kind="company",
            title=name or "",
            overdue=overdue,
            company_id=company_id,
            parent={"company": None} if len(companies) > 1 else None,
        )
        return _fill_sites(
            rollup,
            sites.filter(company_id=company_id),
            reports.filter(company_id=company_id),
            page=page,
        )
    names = list(
        Company.objects.filter(pk__in=sorted(companies)).order_by("name", "id").values("id", "name")
    )
    site_counts = dict(sites.order_by().values_list("company_id").annotate(c=Count("id")))
    sums = {
        r["company_id"]: r
        for r in reports.filter(day=day, state=SUBMITTED)
        .order_by()
        .values("company_id")
        .annotate(**_aggregates())
    }
    rows = [
        _row(c["id"], c["name"], site_counts.get(c["id"], 0), sums.get(c["id"]), overdue=overdue)
        for c in names
    ]
    return Rollup(
        day=day,
        kind="company",
        title=str(_("全部企业")),
        overdue=overdue,
        rows=rows,
        total=_total(rows, overdue=overdue, name=str(_("合计"))),
    )


def _fill_sites(rollup: Rollup, sites, reports, *, page) -> Rollup:
    """A site-level table: one page of sites with their reports, and the total over
    all of them (a count and one aggregate query, whatever the number of sites)."""
    rollup.kind = "sites"
    rollup.sites_qs, rollup.reports_qs = sites, reports
    ordered = sites.order_by("name", "id").values(*SITE_FIELDS)
    paginator = Paginator(ordered, SITE_ROWS)
    rollup.sites_page = paginator.get_page(page)
    rollup.site_rows = site_rows(
        list(rollup.sites_page.object_list), reports, day=rollup.day, overdue=rollup.overdue
    )
    agg = (
        reports.filter(day=rollup.day, state=SUBMITTED, site_id__in=sites.values("id"))
        .order_by()
        .aggregate(**_aggregates())
    )
    rollup.total = _row("", str(_("合计")), paginator.count, agg, overdue=rollup.overdue)
    return rollup


def all_site_rows(rollup: Rollup, *, chunk_size: int = 500):
    """Every site of a site-level roll-up (exports): keyset chunks on (name, id), each
    chunk's reports in one query, so memory stays flat."""
    last = None
    sites = rollup.sites_qs.order_by("name", "id")
    while True:
        chunk = sites
        if last is not None:
            chunk = chunk.filter(Q(name__gt=last[0]) | Q(name=last[0], id__gt=last[1]))
        chunk = list(chunk.values(*SITE_FIELDS)[:chunk_size])
        if not chunk:
            return
        yield from site_rows(chunk, rollup.reports_qs, day=rollup.day, overdue=rollup.overdue)
        last = (chunk[-1]["name"], chunk[-1]["id"])


# --- series over a date range ---------------------------------------------------------------


def punctuality_series(scope: Scope, *, start: date, end: date, division: str = "") -> list[dict]:
    """Per day over start..end: reports submitted, on time and late, and the sums of
    fevers and active isolation, for the scope's reports (one query)."""
    if end < start or (end - start).days + 1 > MAX_SERIES_DAYS:
        raise ValueError("bad range")
    reports = DailyReport.objects.for_scope(scope.for_perm(VIEW)).filter(
        day__range=(start, end), state=SUBMITTED
    )
    if division:
        reports = reports.filter(division_code__startswith=division)
    by_day = {
        r["day"]: r
        for r in reports.order_by()
        .values("day")
        .annotate(
            submitted=Count("id"),
            late=Count("id", filter=Q(late=True)),
            fevers=Sum("fevers", default=0),
            isolation_active=Sum("isolation_active", default=0),
        )
    }
    out = []
    day = start
    while day <= end:
        r = by_day.get(day, {})
        submitted, late = r.get("submitted", 0), r.get("late", 0)
        out.append(
            {
                "day": day,
                "submitted": submitted,
                "on_time": submitted - late,
                "late": late,
                "fevers": r.get("fevers", 0),
                "isolation_active": r.get("isolation_active", 0),
            }
        )
        day += timedelta(days=1)
    return out


# --- the association: aggregates of its members, suppressed ---------------------------------

OVERVIEW_COLUMNS = ("companies", "sites", "reporting", "on_time", "late", "unreported")


def _suppressed_row(name: str, sites: dict, agg: dict | None, *, overdue: bool) -> dict:
    agg = agg or {}
    submitted = agg.get("submitted", 0)
    late = agg.get("late", 0)
    unreported = max(sites.get("n", 0) - submitted, 0)
    punctual = round((submitted - late) * 100 / submitted, 1) if submitted else None
    return {
        "name": name,
        "companies": suppress(agg.get("companies", 0)),
        "sites": suppress(sites.get("n", 0)),
        "reporting": suppress(submitted),
        "on_time": suppress(submitted - late),
        "late": suppress(late),
        "unreported": suppress(unreported),
        # A share of a suppressed count would give the count away.
        "punctuality": punctual if submitted >= 5 and punctual is not None else SUPPRESSED,
        "figures": [suppress(agg.get(name) or 0) for name in FIGURES],
        "overdue": overdue,
    }


def member_sites_across_tenants(association_ids) -> QuerySet[Site]:
    """Sites of the associations' active member companies: an association's scope
    reaches none of them, and callers (its dashboard) take counts only."""
    members = Membership.objects.filter(
        association_id__in=association_ids, status=Membership.Status.ACTIVE
    )
    return Site.all_tenants.filter(company_id__in=members.values("company_id"))


def division_sites_across_tenants(codes) -> QuerySet[Site]:
    """Sites whose community lies in one of the divisions (an authority's): callers
    (its dashboard) take counts per district and type only."""
    condition = Q(pk__in=[])
    for code in codes:
        condition |= Q(community__code__startswith=code)
    return Site.all_tenants.filter(condition)


def association_overview(scope: Scope, *, day: date, now: datetime | None = None) -> dict:
    """Member companies' reports of the day per district of the focus city and in
    total, every cell suppressed under the threshold. Counts only leave here."""
    association_ids = sorted(scope.for_perm(OVERVIEW).ids(Target.ASSOCIATION))
    members = Membership.objects.filter(
        association_id__in=association_ids, status=Membership.Status.ACTIVE
    ).values("company_id")
    overdue = _is_overdue(day, now)
    district_len = Division.CODE_LENGTHS[Division.Level.DISTRICT]
    divisions = list(
        Division.objects.filter(
            Q(code=FOCUS_CITY_CODE)
            | Q(level=Division.Level.DISTRICT, code__startswith=FOCUS_CITY_CODE)
        )
        .order_by("code")
        .values("code", "name", "level")
    )
    sites = Site.all_tenants.filter(
        company_id__in=members, community__code__startswith=FOCUS_CITY_CODE
    )
    reports = DailyReport.all_tenants.filter(
        company_id__in=members,
        day=day,
        state=SUBMITTED,
        division_code__startswith=FOCUS_CITY_CODE,
    )
    aggs = {**_aggregates(), "companies": Count("company_id", distinct=True)}
    site_counts = {
        r["k"]: r
        for r in sites.annotate(k=Substr("community__code", 1, district_len))
        .order_by()
        .values("k")
        .annotate(n=Count("id"))
    }
    sums = {
        r["k"]: r
        for r in reports.annotate(k=Substr("division_code", 1, district_len))
        .order_by()
        .values("k")
        .annotate(**aggs)
    }
    total_sites = sites.order_by().aggregate(n=Count("id"))
    total = reports.order_by().aggregate(**aggs)
    city = next((d["name"] for d in divisions if d["code"] == FOCUS_CITY_CODE), "")
    return {
        "day": day,
        "city": city,
        "overdue": overdue,
        "rows": [
            _suppressed_row(
                d["name"], site_counts.get(d["code"], {}), sums.get(d["code"]), overdue=overdue
            )
            for d in divisions
            if d["level"] == Division.Level.DISTRICT
        ],
        "total": _suppressed_row(str(_("合计")), total_sites, total, overdue=overdue),
    }
