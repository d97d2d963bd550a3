"""Exporting compliance: one row per site and day over a range, in a fixed layout,
as CSV (streamed) or an Excel workbook (openpyxl write-only, into a temporary file),
both written by core/exporting.py.

It holds no personal data (sites, days and counts), so nothing is masked; every
export is audited, one row per company the exporter's scope touches, before the
first byte leaves. Memory stays flat: sites are read in chunks (keyset on name and
id), each chunk's figures in one aggregate query.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.core import exporting
from firstline.core.services import audit_record
from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.sanitation.models import AuditAction
from firstline.sanitation.selectors import compliance

CHUNK_SITES = 500
FORMATS = exporting.CONTENT_TYPES
# The fixed layout: (header, column width in the workbook).
COLUMNS = (
    (gettext_lazy("项目"), 24),
    (gettext_lazy("项目类型"), 10),
    (gettext_lazy("日期"), 12),
    (gettext_lazy("应完成"), 8),
    (gettext_lazy("已完成"), 8),
    (gettext_lazy("按时完成"), 10),
    (gettext_lazy("超时完成"), 10),
    (gettext_lazy("未完成"), 8),
    (gettext_lazy("完成率（%）"), 12),
    (gettext_lazy("按时完成率（%）"), 14),
)


def headers() -> list[str]:
    return [str(title) for title, _width in COLUMNS]


def compliance_rows(
    sites: QuerySet, tasks: QuerySet, *, start: date, end: date, now=None, chunk_size=CHUNK_SITES
) -> Iterator[list]:
    """Rows of the layout for the (scoped) sites over start..end, every day of every
    site, a blank percentage when nothing was due."""
    now = now or timezone.now()
    labels = dict(Site.Type.choices)
    days = compliance.days(start, end)
    sites = sites.order_by("name", "id")
    last: tuple[str, int] | None = None
    while True:
        chunk = sites
        if last is not None:
            chunk = chunk.filter(Q(name__gt=last[0]) | Q(name=last[0], id__gt=last[1]))
        chunk = list(chunk.values_list("id", "name", "site_type")[:chunk_size])
        if not chunk:
            return
        figures = compliance.by_site_day(
            tasks.filter(site_id__in=[pk for pk, _n, _t in chunk]), start=start, end=end, now=now
        )
        for pk, name, site_type in chunk:
            for day in days:
                figure = figures.get((pk, day), compliance.EMPTY)
                yield [
                    name,
                    str(labels.get(site_type, site_type)),
                    day.isoformat(),
                    figure.due,
                    figure.done,
                    figure.on_time,
                    figure.late,
                    figure.missed,
                    "" if figure.percent is None else figure.percent,
                    "" if figure.on_time_percent is None else figure.on_time_percent,
                ]
        last = (chunk[-1][1], chunk[-1][0])


def compliance_export(
    *,
    actor,
    sites: QuerySet,
    tasks: QuerySet,
    company_ids: Iterable[int],
    start: date,
    end: date,
    fmt: str,
    filters: dict,
):
    """The response: audited first, then CSV streamed or the workbook sent."""
    with transaction.atomic():
        for company_id in sorted(set(company_ids)):
            audit_record(
                actor=actor,
                company_id=company_id,
                action=AuditAction.COMPLIANCE_EXPORT,
                obj=Company(pk=company_id),
                changes={
                    "export": "sanitation.compliance",
                    "format": fmt,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "filters": filters,
                },
            )
    rows = compliance_rows(sites, tasks, start=start, end=end)
    filename = f"{_('消杀完成率')}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exporting.csv_stream(headers(), rows), content_type=FORMATS["csv"]
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and so deletes) it
    try:
        exporting.xlsx_write(
            rows,
            out,
            sheet=_("消杀完成率"),
            header=headers(),
            widths=[width for _title, width in COLUMNS],
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=FORMATS["xlsx"])
