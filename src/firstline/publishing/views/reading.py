"""The association's reading figures of its public site: views and downloads over a
date range, by channel, by day, by page and by document; Excel export."""

from __future__ import annotations

from datetime import date

from django import forms
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core import exporting
from firstline.core.services import ExportColumn, list_export
from firstline.core.views import ScopedViewMixin
from firstline.publishing.models import Channel
from firstline.publishing.selectors.reading import (
    CHANNELS,
    MAX_DAYS,
    ReadingFigures,
    default_range,
    reading_figures,
    reading_span,
)

PERMISSION = "publishing.view_reading"


class RangeForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)

    def __init__(self, *args, first: date | None, last: date | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default_range(first, last)

    def clean(self):
        data = super().clean()
        start = data.get("start") or self.default[0]
        end = data.get("end") or self.default[1]
        if start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("日期范围最长 %(days)s 天。") % {"days": MAX_DAYS})
        return {"start": start, "end": end}

    def range(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.default


def day_chart(figures: ReadingFigures) -> dict:
    """The ECharts option of the daily line chart (rendered with json_script)."""
    labels = dict(Channel.choices)
    days = figures.days
    series = [
        {
            "name": str(labels[ch]),
            "type": "line",
            "showSymbol": False,
            "data": [d[ch] for d in days],
        }
        for ch in CHANNELS
    ]
    series.append(
        {
            "name": str(_("下载")),
            "type": "line",
            "showSymbol": False,
            "lineStyle": {"type": "dashed"},
            "data": [d["downloads"] for d in days],
        }
    )
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [s["name"] for s in series], "top": 0},
        "grid": {"left": 56, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [d["day"].isoformat() for d in days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }


def _columns() -> tuple[ExportColumn, ...]:
    labels = dict(Channel.choices)
    return (
        ExportColumn(_("标题"), lambda row: row["title"], width=40),
        ExportColumn(_("类型"), lambda row: row["kind"], width=14),
        ExportColumn(_("网址"), lambda row: row.get("url", ""), width=36),
        *(ExportColumn(labels[ch], lambda row, ch=ch: row[ch], width=12) for ch in CHANNELS),
        ExportColumn(_("阅读"), lambda row: row.get("views", ""), width=12),
        ExportColumn(_("下载"), lambda row: row["downloads"], width=12),
    )


class ReadingView(ScopedViewMixin, generic.TemplateView):
    """Honest reading figures (services/reading.py): each reader counted once per page
    per day, crawlers excluded. Association admins and staff, content editors."""

    permission = PERMISSION
    template_name = "publishing/reading.html"

    def get(self, request, *args, **kwargs):
        first, last = reading_span()
        form = RangeForm(request.GET or None, first=first, last=last)
        start, end = form.range()
        fmt = request.GET.get("export")
        if fmt:
            return self.export(fmt, start=start, end=end, first=first, last=last)
        figures = reading_figures(start=start, end=end, first=first, last=last)
        context = self.get_context_data(
            title=_("阅读统计"),
            form=form,
            figures=figures,
            chart=day_chart(figures),
            export_query=f"start={start.isoformat()}&end={end.isoformat()}&export=xlsx",
            **kwargs,
        )
        return self.render_to_response(context)

    def export(self, fmt: str, **range_):
        """Every page and document read in the range, as a workbook (no personal data:
        counts of public pages; no company's rows, so no company's audit row)."""
        if fmt not in exporting.CONTENT_TYPES:
            raise Http404
        figures = reading_figures(**range_, top=False)
        out, name = list_export(
            actor=self.request.user,
            rows=[*figures.pages, *figures.documents],
            columns=_columns(),
            sheet=str(_("阅读统计")),
            fmt=fmt,
            company_ids=(),
            what="publishing.readingday",
            filters={"start": range_["start"].isoformat(), "end": range_["end"].isoformat()},
        )
        return FileResponse(
            out, as_attachment=True, filename=name, content_type=exporting.CONTENT_TYPES[fmt]
        )
