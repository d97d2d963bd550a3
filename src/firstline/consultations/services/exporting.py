"""The association's consultation figures as an Excel workbook (or CSV), in a fixed
layout: by category, then by region, then the ratings. Written by core/exporting.py,
audited before the first byte leaves. No company names and no personal data: counts,
medians and means only."""

from __future__ import annotations

import tempfile

from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from firstline.consultations.models import AuditAction
from firstline.consultations.selectors.figures import Figures
from firstline.core import exporting
from firstline.core.services import audit_record
from firstline.orgs.models import Association

FORMATS = exporting.CONTENT_TYPES
WIDTHS = [18, 10, 10, 10, 10, 18, 18, 12]


def headers() -> list[str]:
    return [
        _("分组"),
        _("咨询数"),
        _("办理中"),
        _("已关闭"),
        _("超时"),
        _("首次答复中位时长（小时）"),
        _("办结中位时长（小时）"),
        _("平均满意度"),
    ]


def _line(row) -> list:
    return [
        row.label,
        row.total,
        row.open,
        row.closed,
        row.overdue,
        "" if row.median_first is None else row.median_first,
        "" if row.median_resolve is None else row.median_resolve,
        "" if row.satisfaction is None else row.satisfaction,
    ]


def figure_rows(figures: Figures) -> list[list]:
    rows: list[list] = [exporting.Strong([_("按类别")])]
    rows += [_line(row) for row in figures.by_category]
    rows.append(exporting.Strong(_line(figures.total)))
    rows.append([])
    rows.append(exporting.Strong([_("按地区")]))
    rows += [_line(row) for row in figures.by_region]
    rows.append([])
    rows.append(exporting.Strong([_("满意度评分"), _("人数")]))
    rows += [[_("%(n)d 分") % {"n": score}, count] for score, count in figures.ratings.items()]
    return rows


def figures_export(*, actor, figures: Figures, association_ids, fmt: str):
    """The response: audited (one row per association, no company's data in it),
    then the file."""
    with transaction.atomic():
        for association_id in sorted(association_ids):
            audit_record(
                actor=actor,
                company_id=None,
                action=AuditAction.FIGURES_EXPORT,
                obj=Association(pk=association_id),
                changes={"export": "consultations.figures", "format": fmt},
            )
    rows = figure_rows(figures)
    filename = f"{_('咨询统计')}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exporting.csv_stream(headers(), rows), content_type=FORMATS["csv"]
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and so deletes) it
    try:
        exporting.xlsx_write(rows, out, sheet=_("咨询统计"), header=headers(), widths=WIDTHS)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=FORMATS["xlsx"])
