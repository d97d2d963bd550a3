"""Demo data of daily reporting (issue #6): 30 days of reports for every demo site.

What it tells, relative to the moment the demo is built:

- Every site has a report for each of the last 30 days, today included, with its
  figures from the app's own prefill (reports/selectors/prefill.py) over the records the
  earlier steps made, so a report always equals the records behind it.
- Past reports were submitted at realistic times: most in the hour or two before
  the next morning's cut-off, about 8% late (after it, some hours into the day),
  about 3% never (left DRAFT: missing). A report whose submission time is still in
  the future at build time stays a draft (yesterday's, built early in the morning).
- The demo logins' site (the first) has yesterday's report not yet submitted, so
  `manager_1` has one to do, and every site has today's draft.

Set-based: the app's prefill computes the 30 days of every site in one pass
(`services.draft_reports`, a fixed number of queries), the submissions are set on
those rows, and they go in with one bulk insert: no update afterwards. A system job
across tenants: `all_tenants` managers.

    report = build_reports(rng=rng, now=timezone.now(), sites=sites)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from firstline.estates.models import Site
from firstline.orgs.models import RoleAssignment
from firstline.reports.models import DailyReport
from firstline.reports.services.daily import draft_reports, prefill_sites
from firstline.scenario.world import insert_rows

DAYS = 30  # days of reports, today included
LATE_SHARE = 0.08
MISSING_SHARE = 0.03
NOTES = (
    "小区封闭管理运行平稳，门岗测温登记正常。",
    "今日完成公共区域消杀，居民生活物资配送有序。",
    "",
    "",
)
HELP = (
    "",
    "",
    "",
    "口罩库存偏紧，请协调调拨。",
    "消毒液即将用完，请协调补充。",
)


@dataclass
class ReportsReport:
    reports: int = 0
    submitted: int = 0
    late: int = 0
    missing: int = 0
    drafts: int = 0

    def figures(self) -> dict[str, int]:
        """Figures for the world builder's step report."""
        return {
            "daily_reports": self.reports,
            "reports_submitted": self.submitted,
            "reports_late": self.late,
            "reports_missing": self.missing,
            "reports_draft": self.drafts,
        }


def _managers(site_ids: list[int]) -> dict[int, int]:
    """{site id: a site manager's user id} (one query)."""
    out: dict[int, int] = {}
    rows = RoleAssignment.objects.filter(role="site_manager", site_id__in=site_ids).order_by("id")
    for site_id, user_id in rows.values_list("site_id", "user_id"):
        out.setdefault(site_id, user_id)
    return out


def _insert(rows: list[DailyReport], now: datetime) -> None:
    """The reports through the world builder's bulk path (COPY / executemany):
    bulk_create's per-value compilation costs more than the insert itself. Only the
    columns whose Python value is not what the driver takes are prepared."""
    fields = [f for f in DailyReport._meta.concrete_fields if not f.primary_key]
    prepared = {
        f.attname
        for f in fields
        if isinstance(f, (models.DateField, models.JSONField))  # DateTimeField is a DateField
    }
    for row in rows:
        row.created_at = row.updated_at = row.submitted_at or now
    with transaction.atomic():
        insert_rows(
            DailyReport,
            [
                {
                    f.attname: (
                        f.get_db_prep_save(getattr(row, f.attname), connection)
                        if f.attname in prepared
                        else getattr(row, f.attname)
                    )
                    for f in fields
                }
                for row in rows
            ],
        )


def build_reports(*, rng: random.Random, now: datetime, sites: Sequence[Site]) -> ReportsReport:
    report = ReportsReport()
    site_ids = [site.pk for site in sites]
    if not site_ids:
        return report
    today = timezone.localdate(now)
    days = [today - timedelta(days=i) for i in range(DAYS - 1, -1, -1)]
    # Site order as given: sites[0] is the demo logins' site.
    order = {pk: i for i, pk in enumerate(site_ids)}
    chosen = sorted(prefill_sites(site_ids), key=lambda row: order[row[0]])
    rows = draft_reports(days, chosen, now=now)
    managers = _managers(site_ids)
    first, yesterday = site_ids[0], today - timedelta(days=1)
    for row in rows:
        if row.day == today or (row.site_id == first and row.day == yesterday):
            continue  # today's drafts; manager_1's report to do
        draw = rng.random()
        if draw < MISSING_SHARE:
            continue
        late = draw < MISSING_SHARE + LATE_SHARE
        if late:
            at = row.due_at + timedelta(minutes=rng.randrange(10, 10 * 60))
        else:
            at = row.due_at - timedelta(minutes=rng.randrange(5, 4 * 60))
        if at > now:
            continue  # not submitted yet at build time
        row.state = DailyReport.State.SUBMITTED
        row.submitted_at = at
        row.submitted_by_id = managers.get(row.site_id)
        row.late = late
        row.version = 1
        row.notes = rng.choice(NOTES)
        row.help_needed = rng.choice(HELP)
        report.submitted += 1
        report.late += late
    _insert(rows, now)
    report.reports = len(rows)
    report.drafts = report.reports - report.submitted
    report.missing = sum(1 for r in rows if r.state == DailyReport.State.DRAFT and r.due_at < now)
    return report
