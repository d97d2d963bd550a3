"""Exporting a roll-up in the fixed layout the authorities' spreadsheets use.

- Division and company levels: a title row ("江汉区 每日疫情防控信息汇总表 2020-02-10"),
  the header (name, sites, submitted, on time, late, missing, pending, then the Chinese
  labels of FIGURES in model order, compliance %), one row per child division or
  company, and the total row.
- Site level: one row per site with its report (state, submission time, every figure,
  compliance %, notes and help needed), then the total. Sites are read in keyset
  chunks (rollups.all_site_rows), so memory stays flat.
The CSV has the same columns (no title row; UTF-8 with a byte-order mark), streamed;
the workbook is written by openpyxl write-only into a temporary file. The bytes are
written by core/exporting.py.

Reports hold no personal data (sites and counts; notes are the manager's text), so
nothing is masked. Every export writes its audit rows before the first byte leaves:
one per company for a company's roll-up, one naming the division for an authority's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from firstline.core import exporting
from firstline.core.services import audit_record
from firstline.geo.models import Division
from firstline.orgs.models import Company
from firstline.reports.models import AuditAction
from firstline.reports.selectors.rollups import Rollup, Row, SiteRow, all_site_rows, figure_labels

FORMATS = exporting.CONTENT_TYPES


def title_of(rollup: Rollup) -> str:
    return _("%(name)s 每日疫情防控信息汇总表 %(day)s") % {
        "name": rollup.title,
        "day": rollup.day.isoformat(),
    }


def _percent(value: float | None):
    return "" if value is None else value


# --- division and company levels ---------------------------------------------------------------


def rollup_header(rollup: Rollup) -> list[str]:
    first = _("区划") if rollup.kind == "division" else _("企业")
    return [
        first,
        _("项目数"),
        _("已报送"),
        _("按时报送"),
        _("逾期报送"),
        _("缺报"),
        _("待报送"),
        *figure_labels(),
        _("消杀完成率（%）"),
    ]


def rollup_line(row: Row) -> list:
    return [
        row.name,
        row.sites,
        row.submitted,
        row.on_time,
        row.late,
        row.missing,
        row.pending,
        *row.figure_list(),
        _percent(row.compliance_percent),
    ]


# --- site level --------------------------------------------------------------------------------


def site_header() -> list[str]:
    return [
        _("项目"),
        _("所属企业"),
        _("报送状态"),
        _("报送时间"),
        *figure_labels(),
        _("消杀完成率（%）"),
        _("情况说明"),
        _("需协调解决的问题"),
    ]


def site_line(row: SiteRow) -> list:
    report = row.report
    submitted = (
        timezone.localtime(report["submitted_at"]).strftime("%Y-%m-%d %H:%M") if report else ""
    )
    return [
        row.name,
        row.company_name,
        row.state_label,
        submitted,
        *row.figure_list(),
        _percent(row.compliance_percent),
        report["notes"] if report else "",
        report["help_needed"] if report else "",
    ]


def site_total_line(total: Row) -> list:
    state = _("已报送 %(submitted)s / %(sites)s") % {
        "submitted": total.submitted,
        "sites": total.sites,
    }
    return [
        total.name,
        "",
        state,
        "",
        *total.figure_list(),
        _percent(total.compliance_percent),
        "",
        "",
    ]


# --- the file ----------------------------------------------------------------------------------


def layout(rollup: Rollup) -> tuple[list[str], Iterator[list], list[int]]:
    """(header, rows including the total, column widths) of the roll-up's level."""
    figures = [10] * len(figure_labels())
    if rollup.kind == "sites":

        def rows():
            for row in all_site_rows(rollup):
                yield site_line(row)
            yield exporting.Strong(site_total_line(rollup.total))

        return site_header(), rows(), [24, 24, 10, 17, *figures, 12, 40, 40]

    def rows():
        for row in rollup.rows:
            yield rollup_line(row)
        yield exporting.Strong(rollup_line(rollup.total))

    return rollup_header(rollup), rows(), [20, 8, 8, 8, 8, 8, 8, *figures, 12]


def _audit(*, actor, rollup: Rollup, fmt: str) -> None:
    changes = {
        "export": "reports.rollup",
        "format": fmt,
        "day": rollup.day.isoformat(),
        "level": rollup.kind,
    }
    if rollup.division is not None:
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.ROLLUP_EXPORT,
            obj=Division(pk=rollup.division["id"]),
            changes={**changes, "division": rollup.division["code"]},
        )
        return
    companies = [rollup.company_id] if rollup.company_id else [row.key for row in rollup.rows]
    for company_id in sorted(companies):
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.ROLLUP_EXPORT,
            obj=Company(pk=company_id),
            changes=changes,
        )


def rollup_export(*, actor, rollup: Rollup, fmt: str):
    """The response: audited first (committed), then the CSV streamed or the workbook sent."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    with transaction.atomic():
        _audit(actor=actor, rollup=rollup, fmt=fmt)
    header, rows, widths = layout(rollup)
    filename = f"{_('每日疫情防控信息汇总表')}-{rollup.title}-{rollup.day:%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exporting.csv_stream(header, rows), content_type=FORMATS["csv"]
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and so deletes) it
    try:
        exporting.xlsx_write(
            rows,
            out,
            sheet=_("汇总表"),
            header=header,
            widths=widths,
            preamble=[[title_of(rollup)]],
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=FORMATS["xlsx"])
