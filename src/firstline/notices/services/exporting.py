"""The sender's list of notices as an Excel workbook (core/exporting.py writes it),
one row per notice with its figures. No personal data is in it; every export is
audited, one row per company the exporter's scope touches (none for the
association and authorities, whose row has no company)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.core import exporting
from firstline.core.services import audit_record
from firstline.notices.models import AuditAction, Notice
from firstline.notices.selectors.figures import rate
from firstline.orgs.models import Company

EXPORT_MAX = 10_000
COLUMNS = (
    (gettext_lazy("标题"), 36),
    (gettext_lazy("发布单位"), 20),
    (gettext_lazy("发送范围"), 24),
    (gettext_lazy("对象"), 12),
    (gettext_lazy("紧急程度"), 8),
    (gettext_lazy("状态"), 8),
    (gettext_lazy("发布时间"), 18),
    (gettext_lazy("截止时间"), 18),
    (gettext_lazy("送达项目数"), 10),
    (gettext_lazy("应读人数"), 10),
    (gettext_lazy("已读人数"), 10),
    (gettext_lazy("阅读率（%）"), 10),
)


def sender_label(notice: Notice) -> str:
    who = notice.association or notice.site or notice.company or notice.division
    return str(who) if who is not None else notice.get_sender_kind_display()


def target_label(notice: Notice) -> str:
    target = {
        Notice.TargetKind.SITE: notice.target_site,
        Notice.TargetKind.COMPANY: notice.target_company,
        Notice.TargetKind.DIVISION: notice.target_division,
    }[notice.target_kind]
    return f"{notice.get_target_kind_display()}：{target}" if target is not None else ""


def audience_label(notice: Notice) -> str:
    parts = []
    if notice.to_residents:
        parts.append(_("居民"))
    if notice.to_staff:
        parts.append(_("员工"))
    return "、".join(parts)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def rows(notices: Iterable[Notice]) -> Iterator[list]:
    now = timezone.now()
    for notice in notices:
        percent = rate(notice.read_count, notice.audience)
        yield [
            notice.title,
            sender_label(notice),
            target_label(notice),
            audience_label(notice),
            notice.get_urgency_display(),
            str(notice.status_label) if notice.status(now) else "",
            _when(notice.publish_at),
            _when(notice.expires_at),
            notice.site_count,
            notice.audience,
            notice.read_count,
            "" if percent is None else percent,
        ]


def notices_export(*, actor, notices, company_ids: Iterable[int], filters: dict):
    """The response: audited first, then the workbook."""
    with transaction.atomic():
        for company_id in sorted(set(company_ids)) or [None]:
            audit_record(
                actor=actor,
                company_id=company_id,
                action=AuditAction.NOTICES_EXPORT,
                obj=Company(pk=company_id) if company_id else Notice(pk=0),
                changes={"export": "notices", "format": "xlsx", "filters": filters},
            )
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and so deletes) it
    try:
        exporting.xlsx_write(
            rows(notices[:EXPORT_MAX]),
            out,
            sheet=_("公告"),
            header=[str(title) for title, _width in COLUMNS],
            widths=[width for _title, width in COLUMNS],
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    filename = f"{_('公告')}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        out, as_attachment=True, filename=filename, content_type=exporting.CONTENT_TYPES["xlsx"]
    )
