"""`GET /api/v1/reports/rollup?day=&division=&company=&page=`: the roll-up page's rows as
JSON, scoped the same way (rollups.py answers 404 outside the caller's divisions or
companies). `items` are the child divisions, the companies, or one page of sites."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router

from firstline.core.api import MAX_PAGE, RowId, Schema, perm_scope, unprocessable
from firstline.core.replicas import run_reading_replica
from firstline.reports.selectors import rollups

router = Router(tags=["reports"])


class RollupQuery(Schema):
    day: date | None = None
    division: str | None = None
    company: RowId | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Of the sites; past the end, the last.")


class RollupOut(Schema):
    day: date
    kind: str = Field(description="divisions, companies, company (its sites) or sites")
    title: str
    division: str | None
    overdue: bool
    figures: list[str] = Field(description="The names of the figures in each row's `figures`.")
    items: list[dict[str, Any]] = Field(
        description="Child divisions or companies (key, name, sites, submitted, on_time, late, "
        "missing, pending, compliance_percent, figures), or one page of sites (site_id, name, "
        "company_id, company_name, state, report_id, submitted_at, figures, compliance_percent, "
        "notes, help_needed)."
    )
    total: dict[str, Any] | None
    count: int
    page: int
    pages: int


@router.get(
    "/rollup",
    response=RollupOut,
    operation_id="reports_rollup",
    summary="Roll-up of one day (scoped)",
)
def rollup(request, params: Query[RollupQuery]):
    """Read from a replica when there is one (core/replicas.py): the caller and its
    scope were read from the primary by then, the figures are read-only."""
    scope = perm_scope(request, rollups.VIEW)
    return run_reading_replica(request, lambda: _rollup(scope, params))


def _rollup(scope, params: RollupQuery) -> dict:
    day = params.day or timezone.localdate()
    division = params.division or ""
    if division and (not division.isdigit() or len(division) not in rollups.LEVEL_BY_LENGTH):
        raise unprocessable(
            ValidationError({"division": "a division code of 4, 6, 9 or 12 digits"}),
            loc=("query",),
        )
    if not division and params.company is None:
        held = rollups.division_codes(scope)
        division = held[0] if held else ""
    if division:
        result = rollups.division_rollup(scope, code=division, day=day, page=params.page)
    else:
        result = rollups.company_rollup(scope, day=day, company_id=params.company, page=params.page)
    if result.kind == "sites":
        items = [row.as_dict() for row in result.site_rows]
        paging = {
            "count": result.sites_page.paginator.count,
            "page": result.sites_page.number,
            "pages": result.sites_page.paginator.num_pages,
        }
    else:
        items = [
            {**row.as_dict(), "company_id": row.key} if result.kind == "company" else row.as_dict()
            for row in result.rows
        ]
        paging = {"count": len(items), "page": 1, "pages": 1}
    return {
        "day": result.day.isoformat(),
        "kind": result.kind,
        "title": result.title,
        "division": result.division["code"] if result.division else None,
        "overdue": result.overdue,
        "figures": list(rollups.FIGURES),
        "items": items,
        "total": result.total.as_dict() if result.total else None,
        **paging,
    }
