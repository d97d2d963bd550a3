"""Keeping the people on duty safe: the daily health check (a red one takes the
person off their next shifts and alerts the site), protective kit drawn from the
site's stock through the supplies ledger, exposure incidents and their follow-up,
and the site's reported count of infections for a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.scope import Scope
from firstline.core.services import audit_record, stored_actor
from firstline.estates.models import Site
from firstline.supplies.models import Item
from firstline.supplies.services.shipments import consumption_record
from firstline.volunteers.models import (
    AuditAction,
    Deployment,
    ExposureIncident,
    HealthCheck,
    InfectionReport,
    KitIssue,
    SafetyAlert,
    Shift,
    Symptom,
)

FEVER = Decimal("37.3")
TEMP_MIN, TEMP_MAX = Decimal("34.0"), Decimal("43.0")
REMOVE_AHEAD = timedelta(hours=72)  # a red check takes the person off the shifts of 3 days
MAX_KIT = 1000


def _person(deployment: Deployment) -> Q:
    if deployment.volunteer_id:
        return Q(deployment__volunteer_id=deployment.volunteer_id)
    return Q(deployment__staff_id=deployment.staff_id)


def check_record(
    *,
    actor,
    deployment: Deployment,
    temperature: Decimal,
    symptoms: list[str],
    day: date | None = None,
) -> HealthCheck:
    """Today's check of one person on duty. Red (37.3 °C or more, or any symptom): the
    person's planned shifts starting in the next 72 hours, at every site, are taken
    off the roster, and one alert is raised for the site's manager."""
    day = day or timezone.localdate()
    errors = {}
    if temperature is None or not (TEMP_MIN <= temperature <= TEMP_MAX):
        errors["temperature"] = _("体温应在 34.0 至 43.0 ℃ 之间。")
    symptoms = list(dict.fromkeys(symptoms or []))
    if any(s not in Symptom.values for s in symptoms):
        errors["symptoms"] = _("未知的症状。")
    if errors:
        raise ValidationError(errors)
    red = temperature >= FEVER or bool(symptoms)
    now = timezone.now()
    try:
        with transaction.atomic():
            check = HealthCheck.objects.create(
                company_id=deployment.company_id,
                site_id=deployment.site_id,
                deployment=deployment,
                day=day,
                temperature=temperature,
                symptoms=symptoms,
                result=HealthCheck.Result.RED if red else HealthCheck.Result.GREEN,
                recorded_by=stored_actor(actor),
            )
            if red:
                check.shifts_removed = Shift.all_tenants.filter(
                    _person(deployment),
                    state=Shift.State.PLANNED,
                    ends_at__gt=now,
                    starts_at__lt=now + REMOVE_AHEAD,
                ).update(
                    state=Shift.State.REMOVED,
                    removed_reason=_("%(day)s 健康检查异常") % {"day": day.isoformat()},
                    updated_at=now,
                )
                check.save(update_fields=["shifts_removed"])
                labels = dict(Symptom.choices)
                SafetyAlert.objects.create(
                    company_id=deployment.company_id,
                    site_id=deployment.site_id,
                    kind=SafetyAlert.Kind.RED_CHECK,
                    health_check=check,
                    message=_("在岗人员健康异常：%(name)s 体温 %(t)s℃%(s)s，已撤下 %(n)d 个班次")
                    % {
                        "name": deployment.person_masked,
                        "t": temperature,
                        "s": ("，" + "、".join(str(labels[s]) for s in symptoms))
                        if symptoms
                        else "",
                        "n": check.shifts_removed,
                    },
                )
            audit_record(
                actor=actor,
                company_id=deployment.company_id,
                action=AuditAction.CHECK_RECORD,
                obj=check,
                changes={
                    "result": check.result,
                    "temperature": str(temperature),
                    "shifts_removed": check.shifts_removed,
                },
            )
    except IntegrityError:
        raise ValidationError(_("此人今天已做过健康检查。")) from None
    return check


def kit_issue(
    *,
    actor,
    scope: Scope,
    deployment: Deployment,
    site: Site,
    item: Item,
    quantity: int,
    shift: Shift | None = None,
    day: date | None = None,
) -> KitIssue:
    """Kit handed to one person, drawn from the site's stock: the site → consumed
    entries are written by supplies' consumption service (the hash-chained ledger),
    with this issue's number as their reason, and linked to the issue."""
    if deployment.site_id != site.pk:
        raise ValidationError({"deployment": _("此人未派驻在该项目。")})
    if not isinstance(quantity, int) or not (1 <= quantity <= MAX_KIT):
        raise ValidationError({"quantity": _("数量应在 1 至 %(n)d 之间。") % {"n": MAX_KIT}})
    if shift is not None and shift.deployment_id != deployment.pk:
        raise ValidationError({"shift": _("班次不属于此人。")})
    with transaction.atomic():
        issue = KitIssue.objects.create(
            company_id=deployment.company_id,
            site_id=deployment.site_id,
            deployment=deployment,
            shift=shift,
            day=day or timezone.localdate(),
            item=item,
            quantity=quantity,
            issued_by=stored_actor(actor),
        )
        try:
            entries = consumption_record(
                actor=actor,
                scope=scope,
                site=site,
                lines=[(item, quantity)],
                reason=_("防护用品发放 #%(n)d") % {"n": issue.pk},
            )
        except ValidationError as exc:
            messages = (
                [m for ms in exc.message_dict.values() for m in ms]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise ValidationError({"quantity": messages}) from None
        issue.entries.set(entries)
        audit_record(
            actor=actor,
            company_id=deployment.company_id,
            action=AuditAction.KIT_ISSUE,
            obj=issue,
            changes={
                "deployment": deployment.pk,
                "item": item.pk,
                "quantity": quantity,
                "entries": [e.seq for e in entries],
            },
        )
    return issue


def incident_record(
    *,
    actor,
    deployment: Deployment,
    occurred_at: datetime,
    kind: str,
    description: str,
    action_taken: str = "",
) -> ExposureIncident:
    errors = {}
    if kind not in ExposureIncident.Kind.values:
        errors["kind"] = _("请选择类型。")
    if not (description or "").strip():
        errors["description"] = _("请描述经过。")
    if occurred_at is None or occurred_at > timezone.now() + timedelta(minutes=10):
        errors["occurred_at"] = _("请填写发生时间（不能晚于现在）。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = ExposureIncident.objects.create(
            company_id=deployment.company_id,
            site_id=deployment.site_id,
            deployment=deployment,
            occurred_at=occurred_at,
            kind=kind,
            description=description.strip(),
            action_taken=(action_taken or "").strip()[:200],
            reported_by=stored_actor(actor),
        )
        audit_record(
            actor=actor,
            company_id=incident.company_id,
            action=AuditAction.INCIDENT_RECORD,
            obj=incident,
            changes={"kind": kind, "deployment": deployment.pk},
        )
    return incident


def incident_follow_up(
    *, actor, incident: ExposureIncident, note: str, outcome: str, close: bool = False
) -> ExposureIncident:
    """One follow-up (a test, a call, a day of observation) appended to the incident;
    the outcome so far; closing it when the follow-up is over."""
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = _("请填写跟进情况。")
    if outcome not in ExposureIncident.Outcome.values:
        errors["outcome"] = _("请选择结果。")
    if close and outcome == ExposureIncident.Outcome.PENDING:
        errors["outcome"] = _("结案前请填写结果（未感染或感染）。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = ExposureIncident.all_tenants.select_for_update().get(pk=incident.pk)
        if locked.state == ExposureIncident.State.CLOSED:
            raise ValidationError(_("该事件已结案。"))
        locked.follow_ups = [
            *locked.follow_ups,
            {
                "at": timezone.now().isoformat(timespec="minutes"),
                "by": getattr(actor, "username", ""),
                "note": note[:500],
                "outcome": outcome,
            },
        ]
        locked.outcome = outcome
        if close:
            locked.state = ExposureIncident.State.CLOSED
        locked.save(update_fields=["follow_ups", "outcome", "state", "updated_at"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.INCIDENT_FOLLOW_UP,
            obj=locked,
            changes={"outcome": outcome, "state": locked.state},
        )
    return locked


def infection_report(
    *, actor, site: Site, day: date, infections: int, note: str = ""
) -> InfectionReport:
    """The site's count of staff and volunteers infected on `day`: 0 is a report."""
    if not isinstance(infections, int) or infections < 0:
        raise ValidationError({"infections": _("请填写感染人数（没有请填 0）。")})
    if day is None or day > timezone.localdate():
        raise ValidationError({"day": _("不能上报未来的日期。")})
    with transaction.atomic():
        report, _created = InfectionReport.all_tenants.update_or_create(
            site=site,
            day=day,
            defaults={
                "company_id": site.company_id,
                "infections": infections,
                "note": (note or "").strip()[:200],
                "reported_by": stored_actor(actor),
            },
        )
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.INFECTION_REPORT,
            obj=report,
            changes={"day": day.isoformat(), "infections": infections},
        )
    return report
