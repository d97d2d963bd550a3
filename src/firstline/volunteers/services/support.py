"""Support tasks of hospitals and isolation points: created and assigned by the site,
done on the assignee's phone (weight for medical waste and garbage), handed over when
the receiving party scans the task's handover QR code (or types its code) and signs
by name; overdue ones raise one SafetyAlert each (the tick)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record, stored_actor
from firstline.estates.models import Site
from firstline.volunteers.models import (
    AuditAction,
    Deployment,
    SafetyAlert,
    SupportTask,
    TaskType,
)
from firstline.volunteers.services.library import TASK_TYPES

SUPPORT_SITE_TYPES = (Site.Type.HOSPITAL, Site.Type.ISOLATION)
CODE_ALPHABET = "23456789"  # digits only: read aloud and typed on any phone
MAX_WEIGHT = Decimal("99999")
OVERDUE_BATCH = 1000
MAX_CODE_MISSES = 10  # wrong codes typed for one task before the typed route closes


def handover_code_check(*, number: int | None, code: str) -> str | None:
    """The handover token of task `number` when `code` is its code, else None. Each
    wrong code counts against the task (one UPDATE, safe under concurrent tries);
    after MAX_CODE_MISSES the typed route is closed for it and a ValidationError says
    to scan the QR code instead. A number that is no task counts nothing."""
    if not number or not code:
        return None
    row = (
        SupportTask.all_tenants.filter(pk=number)
        .values("handover_token", "handover_code", "handover_code_misses", "state")
        .first()
    )
    if row is None:
        return None
    if row["handover_code_misses"] >= MAX_CODE_MISSES:
        raise ValidationError({"code": _("该任务的交接码输错次数过多，请扫描任务的交接二维码。")})
    if hmac.compare_digest(row["handover_code"], code):
        return row["handover_token"]
    SupportTask.all_tenants.filter(pk=number).update(
        handover_code_misses=F("handover_code_misses") + 1
    )
    return None


def task_types_install() -> list[TaskType]:
    """The library's task types, written or refreshed (idempotent)."""
    out = []
    for row in TASK_TYPES:
        task_type, _created = TaskType.objects.update_or_create(kind=row["kind"], defaults=row)
        out.append(task_type)
    return out


def task_create(
    *,
    actor,
    site: Site,
    task_type: TaskType,
    title: str,
    due_at: datetime,
    assignee: Deployment | None = None,
    location: str = "",
) -> SupportTask:
    """A support task at a hospital or isolation point (`site` read in the caller's
    scope), optionally assigned to a person deployed there."""
    errors = {}
    if site.site_type not in SUPPORT_SITE_TYPES:
        errors["site"] = _("保障任务只用于医院和隔离点。")
    title = (title or "").strip() or task_type.name
    if assignee is not None and assignee.site_id != site.pk:
        errors["assignee"] = _("执行人须派驻在该项目。")
    if due_at is None:
        errors["due_at"] = _("请填写截止时间。")
    if errors:
        raise ValidationError(errors)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                task = SupportTask.objects.create(
                    company_id=site.company_id,
                    site=site,
                    task_type=task_type,
                    assignee=assignee,
                    title=title[:200],
                    location=(location or "").strip()[:100],
                    due_at=due_at,
                    handover_token=secrets.token_urlsafe(18),
                    handover_code="".join(secrets.choice(CODE_ALPHABET) for _ in range(6)),
                    created_by=stored_actor(actor),
                )
                audit_record(
                    actor=actor,
                    company_id=site.company_id,
                    action=AuditAction.TASK_CREATE,
                    obj=task,
                    changes={
                        "task_type": task_type.kind,
                        "assignee": assignee.pk if assignee else None,
                        "due_at": due_at.isoformat(),
                    },
                )
            return task
        except IntegrityError:
            continue  # a code already open at this site: draw another
    raise ValidationError(_("请稍后重试。"))


def task_ready(*, actor, task: SupportTask, weight_kg: Decimal | None) -> SupportTask:
    """The assignee has done the run: the weight (medical waste, garbage) is recorded
    and the task waits for the receiving party to take it over."""
    needs_weight = TaskType.objects.get(pk=task.task_type_id).needs_weight
    if needs_weight and (weight_kg is None or weight_kg <= 0):
        raise ValidationError({"weight_kg": _("请填写称重重量（公斤）。")})
    if weight_kg is not None and (weight_kg < 0 or weight_kg > MAX_WEIGHT):
        raise ValidationError({"weight_kg": _("重量超出范围。")})
    with transaction.atomic():
        locked = SupportTask.all_tenants.select_for_update().get(pk=task.pk)
        if locked.state in (SupportTask.State.DONE, SupportTask.State.CANCELLED):
            raise ValidationError(_("该任务已结束。"))
        locked.weight_kg = weight_kg
        locked.state = SupportTask.State.HANDOVER
        locked.ready_at = timezone.now()
        locked.save(update_fields=["weight_kg", "state", "ready_at", "updated_at"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.TASK_READY,
            obj=locked,
            changes={"weight_kg": str(weight_kg) if weight_kg is not None else None},
        )
    return locked


def task_handover(
    *, actor, task: SupportTask, receiver_name: str, receiver_unit: str = ""
) -> tuple[SupportTask, bool]:
    """The receiving party signs for the task (found by its token or code). Returns
    (task, already): a second signature changes nothing."""
    receiver_name = (receiver_name or "").strip()
    if not receiver_name:
        raise ValidationError({"receiver_name": _("请接收人签名（填写姓名）。")})
    with transaction.atomic():
        locked = SupportTask.all_tenants.select_for_update().get(pk=task.pk)
        if locked.state == SupportTask.State.DONE:
            return locked, True
        if locked.state != SupportTask.State.HANDOVER:
            raise ValidationError(_("执行人尚未提交交接。"))
        locked.state = SupportTask.State.DONE
        locked.receiver_name = receiver_name[:64]
        locked.receiver_unit = (receiver_unit or "").strip()[:100]
        locked.done_at = timezone.now()
        locked.save(
            update_fields=["state", "receiver_name", "receiver_unit", "done_at", "updated_at"]
        )
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.TASK_HANDOVER,
            obj=locked,
            changes={"receiver_name": locked.receiver_name, "receiver_unit": locked.receiver_unit},
        )
    return locked, False


def overdue_raise(now: datetime | None = None) -> int:
    """One SafetyAlert per support task past due and not handed over (every site; a
    periodic job). Idempotent: the alert's unique task keeps it to one."""
    now = now or timezone.now()
    tasks = (
        SupportTask.all_tenants.filter(
            due_at__lt=now,
            state__in=[SupportTask.State.OPEN, SupportTask.State.HANDOVER],
        )
        .exclude(pk__in=SafetyAlert.all_tenants.filter(task__isnull=False).values("task_id"))
        .select_related("task_type")
        .order_by("due_at")[:OVERDUE_BATCH]
    )
    alerts = [
        SafetyAlert(
            company_id=t.company_id,
            site_id=t.site_id,
            kind=SafetyAlert.Kind.TASK_OVERDUE,
            task=t,
            message=_("保障任务超时：%(title)s（截止 %(due)s）")
            % {"title": t.title[:80], "due": timezone.localtime(t.due_at).strftime("%m-%d %H:%M")},
        )
        for t in tasks
    ]
    return len(SafetyAlert.all_tenants.bulk_create(alerts, ignore_conflicts=True))
