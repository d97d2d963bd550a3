"""Roll-up pages: the authority's table down the division hierarchy (or a company's by
company and site), its export, the association's suppressed overview.

Thin: each view checks the permission through the scoped base mixin, reads the day
and the level from the query string, and hands over to rollups.py (which scopes
every read and answers 404 outside the scope) or exporting.py."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.replicas import replica_reads_view
from firstline.core.views import ScopedViewMixin
from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.selectors import rollups
from firstline.reports.selectors.rollups import Rollup
from firstline.reports.services import exporting, reads

EXPORT = "reports.export_report"


class DayForm(forms.Form):
    day = forms.DateField(label=_("报告日期"), required=False)
    division = forms.RegexField(label=_("行政区划"), regex=r"^\d{2,12}$", required=False)
    company = forms.IntegerField(label=_("企业"), required=False, min_value=1)

    def chosen_day(self) -> date:
        """Yesterday by default: the day whose reports are due this morning."""
        return self.cleaned_data.get("day") or timezone.localdate() - timedelta(days=1)


def rollup_for(scope, form: DayForm, page) -> Rollup:
    """The roll-up the query string asks for: a division (given, or the first the user
    holds) or the user's companies; 404 outside the scope."""
    day = form.chosen_day()
    division = form.cleaned_data.get("division") or ""
    company = form.cleaned_data.get("company")
    if not division and company is None:
        held = rollups.division_codes(scope)
        division = held[0] if held else ""
    if division:
        return rollups.division_rollup(scope, code=division, day=day, page=page)
    return rollups.company_rollup(scope, day=day, company_id=company, page=page)


def detail_url(report_id: int | None) -> str:
    # The daily report's page belongs to the daily pages; the roll-up links to it.
    if report_id is None:
        return ""
    try:
        return reverse("reports:daily_detail", args=[report_id])
    except NoReverseMatch:
        return ""


def _bad_query(request, form: DayForm):
    return render(
        request, "reports/rollup_error.html", {"form": form, "title": _("汇总")}, status=400
    )


@replica_reads_view
class RollupView(ScopedViewMixin, generic.View):
    """`?day=&division=` or `?day=&company=`: the rows of one level, links one level
    down, and at the bottom the sites with their reports."""

    model = DailyReport
    permission = rollups.VIEW

    def get(self, request):
        form = DayForm(request.GET)
        if not form.is_valid():
            return _bad_query(request, form)
        rollup = rollup_for(self.scope, form, request.GET.get("page") or 1)
        sites = [(row, detail_url(row.report_id)) for row in rollup.site_rows]
        if rollup.kind == "sites":
            reads.reports_read(
                request,
                self.scope,
                ((r.company_id, r.site_id, r.report_id) for r in rollup.site_rows if r.report_id),
            )
        elif rollup.division:
            reads.rollup_read(request, self.scope, division=rollup.division["code"], day=rollup.day)
        # htmx pagination of the site table swaps the table only.
        partial = rollup.kind == "sites" and request.headers.get("HX-Request")
        return render(
            request,
            "reports/_rollup_sites.html" if partial else "reports/rollup.html",
            {
                "title": _("报告汇总"),
                "rollup": rollup,
                "day": rollup.day,
                "figure_labels": rollups.figure_labels(),
                "sites": sites,
                "page_obj": rollup.sites_page,
                "paginator": rollup.sites_page.paginator if rollup.sites_page else None,
                "can_export": request.scope.for_perm(EXPORT).grants != (),
                "query": {
                    k: v for k, v in request.GET.items() if k in ("day", "division", "company")
                },
            },
        )


@replica_reads_view
class RollupExport(ScopedViewMixin, generic.View):
    """The same roll-up as a file: `&format=xlsx` (default) or `csv`; audited."""

    model = DailyReport
    permission = EXPORT

    def get(self, request):
        fmt = request.GET.get("format") or "xlsx"
        if fmt not in exporting.FORMATS:
            raise Http404
        form = DayForm(request.GET)
        if not form.is_valid():
            return _bad_query(request, form)
        rollup = rollup_for(self.scope, form, 1)
        return exporting.rollup_export(actor=request.user, rollup=rollup, fmt=fmt)


@replica_reads_view
class OverviewView(ScopedViewMixin, generic.View):
    """The association's overview of its members' reports: per district, suppressed."""

    model = DailyReport
    permission = rollups.OVERVIEW

    def get(self, request):
        form = DayForm(request.GET)
        if not form.is_valid():
            return _bad_query(request, form)
        overview = rollups.association_overview(self.scope, day=form.chosen_day())
        labels = rollups.figure_labels()
        return render(
            request,
            "reports/overview.html",
            {
                "title": _("会员企业报告概览"),
                "overview": overview,
                "day": overview["day"],
                "figure_labels": labels,
                "figures": FIGURES,
                "threshold": 5,
            },
        )
