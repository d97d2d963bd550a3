"""Reads of daily reports: the list's columns and joins, the late/missing filters,
the rows of a detail page. Callers pass a queryset from
`DailyReport.objects.for_scope(...)`; nothing here widens it.

"Missing" is computed, not stored: a report still DRAFT past its due time. "Late"
is stored at submission (submitted after the due time)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from firstline.reports.models import FIGURES, DailyReport

# The key figures a list row shows (the detail page shows all of FIGURES).
KEY_FIGURES = ("residents", "entries", "exits", "fevers", "declarations_red", "isolation_active")
LIST_FIELDS = (
    "id",
    "company_id",
    "site_id",
    "site__name",
    "day",
    "division_code",
    "state",
    "due_at",
    "submitted_at",
    "late",
    "version",
    "sanitation_due",
    "sanitation_done",
    *KEY_FIGURES,
)
FLAGS = {"late": "late", "missing": "missing", "on_time": "on_time"}


def missing_q(now: datetime | None = None) -> Q:
    """Reports missing at `now`: still drafts past their due time."""
    return Q(state=DailyReport.State.DRAFT, due_at__lt=now or timezone.now())


def with_missing(qs: QuerySet, now: datetime | None = None) -> QuerySet:
    return qs.annotate(
        missing=Case(
            When(missing_q(now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def flag_filter(qs: QuerySet, flag: str, now: datetime | None = None) -> QuerySet:
    """?flag= late | missing | on_time; anything else leaves the list as it is."""
    if flag == "late":
        return qs.filter(state=DailyReport.State.SUBMITTED, late=True)
    if flag == "missing":
        return qs.filter(missing_q(now))
    if flag == "on_time":
        return qs.filter(state=DailyReport.State.SUBMITTED, late=False)
    return qs


def report_list(qs: QuerySet, now: datetime | None = None) -> QuerySet:
    """The list's columns, the site's name joined in, newest day first."""
    return (
        with_missing(qs.select_related("site"), now)
        .only(*LIST_FIELDS)
        .order_by("-day", "site__name", "id")
    )


def report_detail(qs: QuerySet, now: datetime | None = None) -> QuerySet:
    return with_missing(qs.select_related("site", "submitted_by"), now)


def figure_rows(report: DailyReport) -> list[tuple[str, str, int]]:
    """(name, Chinese label, value) for every figure, in FIGURES order."""
    return [
        (name, DailyReport._meta.get_field(name).verbose_name, getattr(report, name))
        for name in FIGURES
    ]
