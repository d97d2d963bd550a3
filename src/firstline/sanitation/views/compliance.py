"""Compliance pages for site managers and company admins: the sites' figures over a
date range with a daily line chart, one site's areas by day, the export, the overdue
tasks and the overdue alerts (acknowledged with an htmx POST).

Declared on the scoped base views: the site list is a list of `Site` under the
compliance permission, and the figures of the page's sites come from one aggregate
query over `Task.objects.for_scope` with the same scope (compliance.py)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.services import ExportColumn, alert_acknowledge, local_time
from firstline.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin
from firstline.estates.models import Site
from firstline.estates.views.site_filter import SiteFilterMixin
from firstline.sanitation.models import Area, OverdueAlert, Task
from firstline.sanitation.selectors import compliance
from firstline.sanitation.services import exporting

VIEW = "sanitation.view_compliance"
EXPORT = "sanitation.export_compliance"
# The htmx event an acknowledgement sends, so a badge or a card can count again.
ALERTS_CHANGED = "fl:sanitation-alerts-changed"
AREA_ROWS = 50  # areas per page of one site's table


# --- the range filter --------------------------------------------------------------------


class RangeForm(forms.Form):
    """The date range of a compliance page or export. Missing dates mean the last
    14 days; a bad range is reported on its field and the default is shown instead."""

    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)
    site_type = forms.ChoiceField(
        label=_("项目类型"), choices=[("", _("全部类型")), *Site.Type.choices], required=False
    )

    def clean(self):
        data = super().clean()
        default_start, default_end = compliance.default_range()
        start, end = data.get("start") or None, data.get("end") or None
        if end is None:
            end = default_end
        if start is None:
            start = end - (default_end - default_start)
        if start > end:
            self.add_error("start", _("开始日期不能晚于结束日期。"))
        elif (end - start).days + 1 > compliance.MAX_DAYS:
            self.add_error("start", _("日期范围最长 %(days)s 天。") % {"days": compliance.MAX_DAYS})
        data["start"], data["end"] = start, end
        return data

    def range(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return compliance.default_range()

    def chosen_site_type(self) -> str:
        value = self.data.get("site_type", "")
        return value if value in Site.Type.values else ""


class RangeMixin:
    @cached_property
    def range_form(self) -> RangeForm:
        form = RangeForm(self.request.GET)
        form.is_valid()
        return form

    @cached_property
    def date_range(self) -> tuple[date, date]:
        return self.range_form.range()

    def range_context(self) -> dict:
        start, end = self.date_range
        return {
            "range_form": self.range_form,
            "start": start,
            "end": end,
            "today": timezone.localdate(),
            "can_export": self.request.scope.has_perm(EXPORT),
        }


def _percent_series(figures: dict, key, days: list[date]) -> list[float | None]:
    return [(figure.percent if (figure := figures.get((key, day))) else None) for day in days]


# --- sites ---------------------------------------------------------------------------


class ComplianceList(RangeMixin, ScopedListView):
    """Every site of the scope (paginated): today's figure, the range's total and a
    line per site of its daily compliance."""

    model = Site
    permission = VIEW
    template_name = "sanitation/compliance_list.html"
    table_template = "sanitation/_compliance_table.html"
    title = _("消杀完成率")
    search_fields = ("name__icontains",)

    def refine_list(self, qs):
        if site_type := self.range_form.chosen_site_type():
            qs = qs.filter(site_type=site_type)
        return qs.only("id", "name", "site_type").order_by("name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        start, end = self.date_range
        today = timezone.localdate()
        now = timezone.now()
        sites = list(ctx["object_list"])
        tasks = Task.objects.for_scope(self.scope).filter(site_id__in=[s.pk for s in sites])
        daily = compliance.by_site_day(tasks, start=start, end=end, now=now)
        todays = compliance.by_site(tasks, day=today, now=now)
        days = compliance.days(start, end)
        rows = []
        for site in sites:
            span = sum(
                (daily.get((site.pk, day), compliance.EMPTY) for day in days), compliance.EMPTY
            )
            rows.append(
                {"site": site, "today": todays.get(site.pk, compliance.EMPTY), "range": span}
            )
        ctx.update(
            self.range_context(),
            rows=rows,
            site_type_choices=Site.Type.choices,
            site_type=self.range_form.chosen_site_type(),
            chart=site_chart(sites, daily, days),
        )
        return ctx


def site_chart(sites: list[Site], daily: dict, days: list[date]) -> dict:
    """ECharts option: one line per site of the page, its daily compliance in percent."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [day.strftime("%m-%d") for day in days]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": site.name,
                "type": "line",
                "connectNulls": False,
                "data": _percent_series(daily, site.pk, days),
            }
            for site in sites
        ],
    }


class ComplianceSite(RangeMixin, ScopedDetailView):
    """One site: its areas (paginated) by day, as a coloured table and a heat map."""

    model = Site
    permission = VIEW
    template_name = "sanitation/compliance_site.html"

    def refine(self, qs):
        return qs.only("id", "name", "site_type", "company_id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        site = self.object
        start, end = self.date_range
        now = timezone.now()
        days = compliance.days(start, end)
        areas = (
            Area.objects.for_scope(self.scope)
            .filter(site_id=site.pk)
            .only("id", "name", "kind")
            .order_by("kind", "name", "id")
        )
        page = Paginator(areas, AREA_ROWS).get_page(self.request.GET.get("page"))
        area_list = list(page.object_list)
        tasks = Task.objects.for_scope(self.scope).filter(site_id=site.pk)
        by_area = compliance.by_area_day(
            tasks.filter(area_id__in=[a.pk for a in area_list]), start=start, end=end, now=now
        )
        by_day = compliance.by_site_day(tasks, start=start, end=end, now=now)
        rows = [
            {
                "area": area,
                "cells": [by_area.get((area.pk, day)) for day in days],
                "range": sum(
                    (by_area.get((area.pk, day), compliance.EMPTY) for day in days),
                    compliance.EMPTY,
                ),
            }
            for area in area_list
        ]
        ctx.update(
            self.range_context(),
            title=_("%(site)s 消杀完成率") % {"site": site.name},
            days=days,
            rows=rows,
            page_obj=page,
            paginator=page.paginator,
            day_totals=[by_day.get((site.pk, day)) for day in days],
            heatmap=area_heatmap(area_list, by_area, days),
        )
        return ctx


def area_heatmap(areas: list[Area], figures: dict, days: list[date]) -> dict:
    """ECharts option: areas × days, the cell's colour its compliance (none when nothing
    was due)."""
    data = []
    for y, area in enumerate(areas):
        for x, day in enumerate(days):
            figure = figures.get((area.pk, day))
            if figure is not None and figure.percent is not None:
                data.append([x, y, figure.percent])
    return {
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 8, "top": 8, "bottom": 64, "containLabel": True},
        "xAxis": {"type": "category", "data": [d.strftime("%m-%d") for d in days]},
        "yAxis": {"type": "category", "data": [a.name for a in areas], "inverse": True},
        "visualMap": {
            "min": 0,
            "max": 100,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": ["#d92d20", "#f79009", "#12b76a"]},
        },
        "series": [{"type": "heatmap", "data": data, "label": {"show": False}}],
    }


# --- export ------------------------------------------------------------------------------


class ComplianceExport(RangeMixin, ScopedViewMixin, generic.View):
    """Per site and day over the range: CSV streamed, or a workbook (?format=xlsx).
    No personal data is in it; every export is audited."""

    model = Site
    permission = EXPORT

    def get(self, request):
        fmt = request.GET.get("format") or "csv"
        if fmt not in exporting.FORMATS:
            raise Http404
        if not self.range_form.is_valid():
            # A bad range in a link is not silently replaced by another range in a file.
            return render(
                request,
                "sanitation/compliance_export_error.html",
                {"range_form": self.range_form, "title": _("导出消杀完成率")},
                status=400,
            )
        sites = self.get_queryset()
        if site_type := self.range_form.chosen_site_type():
            sites = sites.filter(site_type=site_type)
        start, end = self.date_range
        return exporting.compliance_export(
            actor=request.user,
            sites=sites,
            tasks=Task.objects.for_scope(self.scope),
            company_ids=self.scope.company_ids,
            start=start,
            end=end,
            fmt=fmt,
            filters={k: v for k, v in request.GET.items() if k in ("start", "end", "site_type")},
        )


# --- overdue tasks and alerts ------------------------------------------------------------


class OverdueList(SiteFilterMixin, ScopedListView):
    """Pending tasks past their due time, oldest first."""

    model = Task
    permission = "sanitation.view_alert"
    template_name = "sanitation/alert_overdue.html"
    table_template = "sanitation/_alert_overdue_table.html"
    title = _("超时未完成的消杀任务")
    search_fields = ("area__name__icontains", "entry__title__icontains")
    export_columns = (
        ExportColumn(_("应完成时间"), lambda t: local_time(t.due_at), 17),
        ExportColumn(_("项目"), "site.name", 18),
        ExportColumn(_("区域"), "area.name", 18),
        ExportColumn(_("消杀项目"), "entry.title", 24),
        ExportColumn(
            _("消毒剂"),
            lambda t: " ".join(filter(None, (t.entry.disinfectant, t.entry.concentration))),
            18,
        ),
        ExportColumn(_("已超时（小时）"), lambda t: overdue_hours(t.due_at), 12),
    )

    def refine_list(self, qs):
        return self.site_filter(compliance.overdue(qs))


def overdue_hours(due_at) -> float:
    """How long a task is past due, in hours to one decimal (the export's column)."""
    return round(max((timezone.now() - due_at).total_seconds(), 0) / 3600, 1)


class AlertList(SiteFilterMixin, ScopedListView):
    """Overdue alerts, open ones first, each with its acknowledge button."""

    model = OverdueAlert
    permission = "sanitation.view_alert"
    template_name = "sanitation/alert_list.html"
    table_template = "sanitation/_alert_table.html"
    title = _("消杀超时告警")
    search_fields = ("message__icontains",)

    def state(self) -> str:
        state = self.request.GET.get("state", "open")
        return state if state in ("open", "all") else "open"

    def refine_list(self, qs):
        qs = compliance.alert_list(qs)
        if self.state() == "open":
            qs = qs.filter(acknowledged_at__isnull=True)
        return self.site_filter(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            state=self.state(), can_ack=self.request.scope.has_perm("sanitation.change_alert")
        )
        return ctx


class AlertAck(ScopedViewMixin, generic.View):
    """POST: acknowledge one alert; answers with its refreshed row (htmx swaps it)."""

    model = OverdueAlert
    permission = "sanitation.change_alert"

    def post(self, request, pk: int):
        alert = get_object_or_404(self.get_queryset().only("id", "company_id"), pk=pk)
        alert_acknowledge(actor=request.user, alert=alert)
        alert = compliance.alert_list(self.get_queryset()).get(pk=pk)
        response = render(request, "sanitation/_alert_row.html", {"a": alert, "can_ack": True})
        response["HX-Trigger"] = ALERTS_CHANGED
        return response
