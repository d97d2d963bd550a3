"""Daily reports API under /api/v1/reports/: the list (filters day, site, state,
late; paginated, scoped), one report, and the submission. Thin: scoped lookups,
one service call; a refused input answers 422 naming the field."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field

from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedRouter,
    scoped_object,
    validation_errors_as_422,
)
from firstline.reports.models import DailyReport
from firstline.reports.selectors import daily as selectors
from firstline.reports.services.daily import NOTES_MAX, report_submit

VIEW = "reports.view_dailyreport"
SUBMIT = "reports.submit_report"

router = ScopedRouter(tags=["reports"])


class DailyOut(Schema):
    id: int
    company_id: int
    site_id: int
    site_name: str
    day: date
    division_code: str
    state: str
    due_at: datetime
    prefilled_at: datetime | None
    submitted_at: datetime | None
    late: bool
    missing: bool = Field(description="A draft past its due time.")
    version: int
    residents: int
    households: int
    entries: int
    exits: int
    denied: int
    referred: int
    fevers: int
    declarations: int
    declarations_green: int
    declarations_yellow: int
    declarations_red: int
    isolation_new: int
    isolation_active: int
    isolation_released: int
    support_requested: int
    support_done: int
    sanitation_due: int
    sanitation_done: int
    staff_on_duty: int
    stock: dict[str, int]
    notes: str
    help_needed: str

    @staticmethod
    def resolve_site_name(obj) -> str:
        return obj.site.name


class DailyFilter(Schema):
    day: date | None = None
    site_id: RowId | None = None
    state: Choice(DailyReport.State) | None = None
    late: bool | None = None


class SubmitIn(Schema):
    notes: str = Field("", max_length=NOTES_MAX)
    help_needed: str = Field("", max_length=NOTES_MAX)


def _refine(qs):
    return selectors.with_missing(qs.select_related("site")).order_by("-day", "site_id", "id")


router.scoped_list(
    "/daily",
    DailyReport,
    VIEW,
    DailyOut,
    refine=_refine,
    filters=DailyFilter,
    name="list_reports_daily",
)
router.scoped_detail(
    "/daily/{int:pk}", DailyReport, VIEW, DailyOut, refine=_refine, name="get_reports_daily"
)


@router.post(
    "/daily/{int:pk}/submit",
    response=DailyOut,
    summary="Submit (or re-submit) a daily report with its current figures",
)
def daily_submit(request, pk: RowId, payload: SubmitIn):
    report = scoped_object(request, DailyReport, SUBMIT, pk)
    with validation_errors_as_422():
        report = report_submit(
            actor=request.user,
            report=report,
            notes=payload.notes,
            help_needed=payload.help_needed,
        )
    return scoped_object(request, DailyReport, SUBMIT, report.pk, refine=_refine)
