"""Writes of the daily report: the prefill of drafts, opening a day's report on
demand, and the submission.

- `reports_prefill` creates or refreshes the DRAFT reports of a day for many sites
  in a fixed number of statements (prefill.py's queries, one insert of the missing
  rows, one conditional update of the drafts). It never touches a submitted report:
  the refresh is `UPDATE … WHERE state = 'draft'`, so a report submitted while the
  job runs keeps the figures it was sent with (the database re-checks the condition
  on the locked row). Running it twice writes the same figures.
- `report_draft_save` keeps the manager's notes on a DRAFT without submitting it: a
  draft stays editable, is refreshed by the prefill (figures only: the notes stay)
  and is not counted as submitted anywhere (roll-ups count submitted reports).
  A submitted report is corrected by submitting again, never turned back to a draft.
- `report_submit` recomputes the figures at submission (what is sent is current),
  bumps the version under a row lock with an F() increment, so two submits at once
  give versions n+1 and n+2, never one lost, writes the audit row and queues the
  webhook deliveries in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.estates.models import Site
from firstline.reports.models import FIGURES, AuditAction, DailyReport
from firstline.reports.selectors import prefill

NOTES_MAX = 2000
REFRESHED = [*FIGURES, "stock", "prefilled_at", "updated_at"]


def report_cutoff(day: date) -> datetime:
    """When the report of `day` is due: the next local day at FIRSTLINE_REPORT_CUTOFF."""
    raw = getattr(settings, "FIRSTLINE_REPORT_CUTOFF", "09:00") or "09:00"
    hours, minutes = (int(part) for part in raw.split(":", 1))
    return datetime.combine(
        day + timedelta(days=1), time(hours, minutes), tzinfo=timezone.get_default_timezone()
    )


def reports_prefill(*, day: date, site_ids=None, now: datetime | None = None) -> int:
    """Create or refresh the DRAFT reports of `day` for every site (or those given).
    Returns how many drafts were written (created or refreshed)."""
    return reports_prefill_days(days=[day], site_ids=site_ids, now=now)


def prefill_sites(site_ids=None) -> list[tuple[int, int, str]]:
    """(site id, company id, community code) of every site or those given: one query."""
    sites = Site.all_tenants.order_by("id")
    if site_ids is not None:
        sites = sites.filter(pk__in=sorted(set(site_ids)))
    return list(sites.values_list("id", "company_id", "community__code"))


def draft_reports(days, sites, *, now: datetime) -> list[DailyReport]:
    """Unsaved DRAFT reports of the sites (from prefill_sites) for the days, with
    their figures (one pass of prefill.py for all the days)."""
    figures = prefill.figures_compute_days(days, [pk for pk, _c, _code in sites], now=now)
    return [
        DailyReport(
            company_id=company_id,
            site_id=pk,
            day=day,
            division_code=code,
            due_at=report_cutoff(day),
            prefilled_at=now,
            updated_at=now,
            **figures[(pk, day)],
        )
        for day in sorted(set(days))
        for pk, company_id, code in sites
    ]


def reports_prefill_days(*, days, site_ids=None, now: datetime | None = None) -> int:
    """reports_prefill for several days in one pass (the tick's yesterday and today)."""
    now = now or timezone.now()
    days = sorted(set(days))
    sites = prefill_sites(site_ids)
    if not sites or not days:
        return 0
    ids = [pk for pk, _company, _code in sites]
    with transaction.atomic():
        existing = {
            (site_id, day): pk
            for site_id, day, pk in DailyReport.all_tenants.filter(
                day__in=days, site_id__in=ids
            ).values_list("site_id", "day", "id")
        }
        fresh, refreshed = [], []
        for report in draft_reports(days, sites, now=now):
            if (pk := existing.get((report.site_id, report.day))) is not None:
                report.pk = pk
                refreshed.append(report)
            else:
                fresh.append(report)
        # A concurrent prefill may have made the same row: its figures are as good.
        DailyReport.all_tenants.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
        updated = 0
        if refreshed:
            # WHERE state = 'draft': a report submitted meanwhile keeps its figures.
            updated = DailyReport.all_tenants.filter(state=DailyReport.State.DRAFT).bulk_update(
                refreshed, REFRESHED, batch_size=100
            )
    return len(fresh) + updated


def report_open(*, site_id: int, day: date, now: datetime | None = None) -> DailyReport:
    """The report of the site's day, prefilled first when it has no row yet. Days after
    today have no report (refused, naming the field)."""
    now = now or timezone.now()
    if day > timezone.localdate(now):
        raise ValidationError({"day": _("不能填报今天以后的日期。")})
    report = DailyReport.all_tenants.filter(site_id=site_id, day=day).first()
    if report is None:
        reports_prefill(day=day, site_ids=[site_id], now=now)
        report = DailyReport.all_tenants.get(site_id=site_id, day=day)
    return report


def _clean_text(name: str, value) -> str:
    value = (value or "").strip()
    if len(value) > NOTES_MAX:
        raise ValidationError(
            {name: _("最多 %(n)s 个字（现有 %(m)s 个）。") % {"n": NOTES_MAX, "m": len(value)}}
        )
    return value


def report_draft_save(
    *, actor, report: DailyReport, notes: str, help_needed: str, now: datetime | None = None
) -> DailyReport:
    """Keep the notes and the help asked for on the DRAFT report, without submitting it.
    Conditional on the state, so a report submitted meanwhile is not changed."""
    now = now or timezone.now()
    notes = _clean_text("notes", notes)
    help_needed = _clean_text("help_needed", help_needed)
    with transaction.atomic():
        done = DailyReport.all_tenants.filter(pk=report.pk, state=DailyReport.State.DRAFT).update(
            notes=notes, help_needed=help_needed, updated_at=now
        )
        if not done:
            raise ValidationError(_("该报告已报送，不能改回草稿；如需更正请再次报送。"))
        report = DailyReport.all_tenants.select_related("site").get(pk=report.pk)
        audit_record(
            actor=actor,
            company_id=report.company_id,
            action=AuditAction.DAILY_DRAFT_SAVE,
            obj=report,
            changes={"notes": notes, "help_needed": help_needed},
        )
    return report


def report_submit(
    *, actor, report: DailyReport, notes: str, help_needed: str, now: datetime | None = None
) -> DailyReport:
    """Submit (or re-submit, a correction) the report with the figures as they are now."""
    from firstline.reports.services.webhooks import deliveries_create

    now = now or timezone.now()
    notes = _clean_text("notes", notes)
    help_needed = _clean_text("help_needed", help_needed)
    if report.day > timezone.localdate(now):
        raise ValidationError({"day": _("不能报送今天以后的日期。")})
    with transaction.atomic():
        # The row lock orders two submits of the same report (PostgreSQL); the F()
        # increment keeps the count right even where locks are no-ops (SQLite, whose
        # writers are serialised anyway).
        locked = (
            DailyReport.all_tenants.select_for_update()
            .only("id", "site_id", "day", "due_at", "version", "state")
            .get(pk=report.pk)
        )
        figures = prefill.figures_compute(locked.day, [locked.site_id], now=now)[locked.site_id]
        late = now > locked.due_at
        DailyReport.all_tenants.filter(pk=locked.pk).update(
            **figures,
            notes=notes,
            help_needed=help_needed,
            state=DailyReport.State.SUBMITTED,
            submitted_at=now,
            submitted_by=actor,
            late=late,
            version=F("version") + 1,
            prefilled_at=now,
            updated_at=now,
        )
        report = DailyReport.all_tenants.select_related("site").get(pk=locked.pk)
        audit_record(
            actor=actor,
            company_id=report.company_id,
            action=AuditAction.DAILY_SUBMIT,
            obj=report,
            changes={
                "version": report.version,
                "late": late,
                "was": locked.state,
                "notes": notes,
                "help_needed": help_needed,
                **{name: figures[name] for name in FIGURES},
            },
        )
        deliveries_create(report=report)
    return report
