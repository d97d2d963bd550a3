"""Writes of the core app: the audit row every service writes, acknowledging an
alert, revealing a person's sensitive field with a stated purpose, and a list page's
rows exported to Excel with its audit rows."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core import exporting
from firstline.core.models import AlertModel, AuditAction, AuditEvent, BaseAuditAction
from firstline.core.personal.access_log import Read, access_log_record
from firstline.core.personal.fields import get_personal
from firstline.core.scope import Scope

REVEAL_PERMISSION = "people.reveal"
REVEALABLE = ("id_number", "phone")
PURPOSE_MIN_LENGTH = 4


def stored_actor(actor):
    """The user to store as having done something: None for the system (no actor)
    and for an anonymous visitor (a resident on the public declaration pages)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def audit_record(
    *,
    actor,
    company_id: int | None,
    action: BaseAuditAction,
    obj: models.Model,
    changes: dict | None = None,
) -> AuditEvent:
    """One audit row; call it inside the service's transaction. `action` is a member
    of the acting app's `AuditAction` enumeration."""
    if not isinstance(action, BaseAuditAction):
        raise TypeError(f"audit action {action!r} is not a member of an app's AuditAction")
    return AuditEvent.objects.create(
        company_id=company_id,
        actor=stored_actor(actor),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        changes=changes or {},
    )


def recorded_value(obj: models.Model, name: str):
    """A field's value as the audit trail keeps it: personal fields only masked."""
    if hasattr(obj, f"{name}_masked"):
        return getattr(obj, f"{name}_masked")
    return _json_safe(getattr(obj, name, None))


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    return {name: recorded_value(obj, name) for name in fields}


def changes_of(obj: models.Model, fields: list[str], before: dict | None = None) -> dict:
    """{field: [old, new]} for the fields that changed since `before` (all, when creating)."""
    before = before or {}
    after = snapshot(obj, fields)
    return {
        name: [before.get(name), after[name]] for name in fields if before.get(name) != after[name]
    }


def _json_safe(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def alert_acknowledge(*, actor, alert: AlertModel) -> bool:
    """Mark an open alert seen by `actor`, with its audit row. False (and nothing
    written) when it was already acknowledged: the conditional UPDATE makes two
    officers clicking at once write one acknowledgement, not two. For every alert
    table (core.models.AlertModel)."""
    now = timezone.now()
    with transaction.atomic():
        updated = (
            type(alert)
            .all_tenants.filter(pk=alert.pk, acknowledged_at__isnull=True)
            .update(acknowledged_at=now, acknowledged_by=actor, updated_at=now)
        )
        if updated:
            audit_record(
                actor=actor,
                company_id=alert.company_id,
                action=AuditAction.ALERT_ACKNOWLEDGE,
                obj=alert,
                changes={"acknowledged_at": [None, now.isoformat()]},
            )
    return bool(updated)


def personal_reveal(
    *,
    actor,
    scope: Scope,
    model: type[models.Model],
    pk,
    field: str,
    purpose: str,
    ip: str | None = None,
    channel: str = "web",
) -> str:
    """The plaintext of one sensitive field, logged with its purpose.

    Needs the reveal permission over the object (a 404 outside it, as for any
    read); the access-log row is committed with the read, never after it.
    """
    if field not in REVEALABLE:
        raise ValidationError({"field": _("只能查看身份证号或手机号。")})
    purpose = (purpose or "").strip()
    if len(purpose) < PURPOSE_MIN_LENGTH:
        raise ValidationError(
            {"purpose": _("请说明查看用途（至少 %(n)d 个字）。") % {"n": PURPOSE_MIN_LENGTH}}
        )
    reveal_scope = scope.for_perm(REVEAL_PERMISSION)
    if not reveal_scope.grants:
        raise PermissionDenied(_("您没有查看完整个人信息的权限。"))
    obj = model.objects.for_scope(reveal_scope).filter(pk=pk).first()
    if obj is None:
        raise Http404
    with transaction.atomic():
        access_log_record(
            actor=actor,
            reads=[
                Read(
                    company_id=obj.company_id,
                    site_id=getattr(obj, "site_id", None),
                    object_type=obj._meta.label_lower,
                    object_id=str(obj.pk),
                    object_label=str(obj),
                )
            ],
            field=field,
            purpose=purpose,
            channel=channel,
            ip=ip,
        )
        return get_personal(obj, field)


# --- a list page's rows to Excel ------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    """One column of a list export: its header and how a row gives its value (an
    attribute path such as "resident.name", "get_state_display", or a callable)."""

    header: str
    value: str | Callable
    width: int = 14

    def of(self, obj):
        if callable(self.value):
            return self.value(obj)
        for part in self.value.split("."):
            if obj is None:
                return ""
            obj = getattr(obj, part)
            if callable(obj):
                obj = obj()
        return obj


def list_export(
    *,
    actor,
    rows: Iterable,
    columns: Sequence[ExportColumn],
    sheet: str,
    fmt: str,
    company_ids: Iterable[int],
    what: str,
    filters: dict,
) -> tuple[IO[bytes], str]:
    """A list page's (already scoped and filtered) rows into a temporary workbook or
    CSV the response streams back, with one audit row per company the caller's
    scope covers. Values are what the page shows, personal ones masked already.
    Returns (the open file, its download name)."""
    if fmt not in exporting.CONTENT_TYPES:
        raise ValueError(fmt)
    out = tempfile.TemporaryFile(suffix=f".{fmt}")  # noqa: SIM115 - the response closes it
    per_company: Counter[int] = Counter()

    def values():
        for obj in rows:
            per_company[getattr(obj, "company_id", None)] += 1
            yield [column.of(obj) for column in columns]

    header = [str(column.header) for column in columns]
    try:
        with transaction.atomic():
            if fmt == "csv":
                exporting.csv_write(header, values(), out)
            else:
                exporting.xlsx_write(
                    values(),
                    out,
                    sheet=sheet[:31],
                    header=header,
                    widths=[c.width for c in columns],
                )
            who = stored_actor(actor)
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    company_id=company_id,
                    actor=who,
                    action=AuditAction.LIST_EXPORT,
                    object_type="orgs.company",
                    object_id=str(company_id),
                    changes={
                        "export": what,
                        "format": fmt,
                        "rows": per_company[company_id],
                        "filters": filters,
                    },
                )
                for company_id in sorted(set(company_ids) | (set(per_company) - {None}))
            )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return out, f"{sheet}-{stamp}.{fmt}"


def local_time(value) -> str:
    """A moment as a list shows it: local time to the minute ("" for none)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def yes_no(value) -> str:
    return _("是") if value else _("否")
