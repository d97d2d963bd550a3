"""Writes of the access monitoring pages: acknowledging an alert, recording the
outcome of a follow-up, and exporting the gate log.

The two actions are conditional updates (`… WHERE acknowledged_at IS NULL`,
`… WHERE status = 'open'`) in one transaction with their audit row: a double
click, or two people clicking at once, changes the row once and audits it once.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.access.models import AccessEvent, AuditAction, Decision, Direction, FollowUp
from firstline.core import exporting

# Acknowledging is the same for every alert model (core); re-exported for the views.
from firstline.core.personal.masking import mask_name, mask_plate
from firstline.core.services import (
    alert_acknowledge,  # noqa: F401
    audit_record,
)
from firstline.estates.models import Site
from firstline.estates.services.exporting import ExportFile
from firstline.orgs.models import Company

OUTCOME_MAX_LENGTH = 2000


# --- alerts and follow-ups ---------------------------------------------------------------


@transaction.atomic
def followup_record_outcome(*, actor, followup: FollowUp, outcome: str) -> bool:
    """Close an open follow-up with what was done. False (and nothing written) when it
    was already closed; the first outcome recorded stands."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("请填写处理结果。")})
    if len(outcome) > OUTCOME_MAX_LENGTH:
        raise ValidationError(
            {"outcome": _("处理结果不能超过 %(n)d 个字。") % {"n": OUTCOME_MAX_LENGTH}}
        )
    updated = FollowUp.all_tenants.filter(pk=followup.pk, status=FollowUp.Status.OPEN).update(
        status=FollowUp.Status.DONE, outcome=outcome, updated_at=timezone.now()
    )
    if updated:
        # The outcome is health information: it stays on its row (and under its retention
        # rule), the audit trail records only that the item was closed.
        audit_record(
            actor=actor,
            company_id=followup.company_id,
            action=AuditAction.FOLLOWUP_CLOSE,
            obj=followup,
            changes={"status": [FollowUp.Status.OPEN.value, FollowUp.Status.DONE.value]},
        )
    return bool(updated)


# --- exporting the gate log --------------------------------------------------------------------

CHUNK_SIZE = 2_000
FORMATS = ("xlsx", "csv")
HEADERS = (
    gettext_lazy("时间"),
    gettext_lazy("项目"),
    gettext_lazy("出入口"),
    gettext_lazy("方向"),
    gettext_lazy("凭证"),
    gettext_lazy("人员"),
    gettext_lazy("房号"),
    gettext_lazy("车牌"),
    gettext_lazy("体温（℃）"),
    gettext_lazy("结果"),
    gettext_lazy("原因"),
    gettext_lazy("策略版本"),
)
WIDTHS = (20, 18, 12, 6, 12, 10, 16, 12, 10, 8, 48, 8)
EXPORT_FIELDS = (
    "company_id",
    "site_id",
    "direction",
    "credential",
    "plate",
    "temperature",
    "decision",
    "reasons",
    "policy_version",
    "device_time",
    "site__name",
    "checkpoint__name",
    "resident__name",
    "pass_ref__holder_name",
    "household__unit",
    "household__room",
    "household__building__name",
)


def export_queryset(events: QuerySet) -> QuerySet:
    return (
        events.select_related("site", "checkpoint", "resident", "pass_ref", "household__building")
        .only(*EXPORT_FIELDS)
        .order_by("-device_time", "-id")
    )


def _row(event: AccessEvent) -> list:
    household = event.household
    holder = (
        event.resident.name
        if event.resident
        else (event.pass_ref.holder_name if event.pass_ref else "")
    )
    return [
        timezone.localtime(event.device_time).strftime("%Y-%m-%d %H:%M:%S"),
        event.site.name,
        event.checkpoint.name if event.checkpoint else "",
        str(Direction(event.direction).label),
        str(AccessEvent.Credential(event.credential).label),
        mask_name(holder),
        household.label if household else "",
        mask_plate(event.plate),
        float(event.temperature) if event.temperature is not None else None,
        str(Decision(event.decision).label),
        "；".join(event.reasons),
        event.policy_version,
    ]


def events_export(
    *,
    actor,
    events: QuerySet,
    site: Site | None,
    company_ids: Iterable[int],
    fmt: str,
    filters: dict,
) -> ExportFile:
    """Write the given (already scoped and filtered) gate events to a workbook or CSV,
    masked: no personal value leaves in plaintext. Rows are read in chunks into a
    temporary file the view streams back; the audit rows commit with the read, and
    if they fail there is no file."""
    if fmt not in FORMATS:
        raise ValidationError({"format": _("不支持的导出格式。")})
    per_company: Counter[int] = Counter()
    out = tempfile.TemporaryFile(suffix=f".{fmt}")  # noqa: SIM115 - the response closes (and so deletes) it
    try:
        with transaction.atomic():
            rows = export_queryset(events).iterator(chunk_size=CHUNK_SIZE)
            counted = _counting(rows, per_company)
            if fmt == "csv":
                exporting.csv_write(HEADERS, counted, out)
            else:
                exporting.xlsx_write(
                    counted, out, sheet=_("出入记录"), header=HEADERS, widths=WIDTHS
                )
            _audit(
                actor=actor,
                site=site,
                company_ids=company_ids,
                per_company=per_company,
                fmt=fmt,
                filters=filters,
            )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    label = site.name if site else _("全部项目")
    return ExportFile(file=out, filename=f"{_('出入记录')}-{label}-{stamp}{_('（脱敏）')}.{fmt}")


def _counting(events: Iterable[AccessEvent], per_company: Counter) -> Iterable[list]:
    for event in events:
        per_company[event.company_id] += 1
        yield _row(event)


def _audit(
    *,
    actor,
    site: Site | None,
    company_ids: Iterable[int],
    per_company: Counter,
    fmt: str,
    filters: dict,
) -> None:
    """One audit row per company the export could touch, even when it found nothing."""
    changes = {"export": "access.accessevent", "format": fmt, "filters": filters}
    if site is not None:
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.EVENTS_EXPORT,
            obj=site,
            changes={**changes, "rows": per_company[site.company_id]},
        )
        return
    for company_id in sorted(set(company_ids) | set(per_company)):
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.EVENTS_EXPORT,
            obj=Company(pk=company_id),
            changes={**changes, "rows": per_company[company_id]},
        )
