"""Authorities' reads of daily reports are logged (DESIGN.md: authorities read across
companies by design, only their own divisions' reports, and every read is logged).

- A read that shows reports of named sites (the report list, a report, the roll-up's
  site table) writes one AccessLog row per company whose reports it showed, so each
  company sees in its own log that the authority read them.
- A roll-up of divisions shows sums, no site: it writes one audit row naming the
  division and the day.
Company users read their own company's reports; those reads are not logged here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from firstline.core.models import AuditEvent
from firstline.core.personal.access_log import Read, access_log_record
from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.core.services import stored_actor
from firstline.reports.models import AuditAction

OBJECT_TYPE = "reports.dailyreport"
FIELD = "daily_report"
PURPOSE = "辖区信息报送查阅"  # stored in Chinese, like the other logged purposes


def is_authority(scope: Scope) -> bool:
    """Does this (page-permission) scope read through a division grant?"""
    return any(g.target == Target.DIVISION for g in scope.grants)


def reports_read(request, scope: Scope, reports: Iterable[tuple[int, int, int]]) -> None:
    """Log an authority's read of reports given as (company id, site id, report id)."""
    if not is_authority(scope):
        return
    by_company: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for company_id, site_id, report_id in reports:
        by_company[company_id].append((site_id, report_id))
    access_log_record(
        actor=request.user,
        reads=[
            Read(
                company_id=company_id,
                site_id=rows[0][0] if len(rows) == 1 else None,
                object_type=OBJECT_TYPE,
                object_id=",".join(str(r) for _s, r in rows),
                object_label=f"每日报告 {len(rows)} 份",
            )
            for company_id, rows in sorted(by_company.items())
        ],
        field=FIELD,
        purpose=PURPOSE,
        ip=request.META.get("REMOTE_ADDR"),
    )


def rollup_read(request, scope: Scope, *, division: str, day) -> None:
    """Log an authority's read of a division roll-up (sums only) as one audit row."""
    if not is_authority(scope):
        return
    AuditEvent.objects.create(
        company_id=None,
        actor=stored_actor(request.user),
        action=AuditAction.ROLLUP_READ,
        object_type="reports.rollup",
        object_id=division,
        changes={"day": day.isoformat()},
    )
