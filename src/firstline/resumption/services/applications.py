"""A tenant's application to resume work: draft → submitted → approved (with
conditions and a headcount cap) or refused (with a reason); an approved one may be
suspended, which revokes its staff's passes, and approved again to resume.

Passes for a tenant's staff are issued only while its latest application is
approved, and only up to the approved headcount (services/staff.py)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.access.models import Pass
from firstline.access.services import gate as access_gate
from firstline.core.services import audit_record
from firstline.geo.models import Division
from firstline.resumption.models import Application, AuditAction, Tenant

State = Application.State
EDITABLE = (State.DRAFT,)
FIELDS = ("planned_date", "headcount", "origin_codes", "prevention_plan", "person_in_charge")


def latest_for(tenant: Tenant) -> Application | None:
    """The tenant's current application: its newest (the tenant's rows only)."""
    return (
        Application.all_tenants.filter(company_id=tenant.company_id, tenant=tenant)
        .order_by("-created_at", "-id")
        .first()
    )


def _locked(application: Application) -> Application:
    return Application.all_tenants.select_for_update().get(pk=application.pk)


def _clean(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    planned = data.get("planned_date")
    if not isinstance(planned, date):
        errors["planned_date"] = [_("请填写计划复工日期。")]
    headcount = data.get("headcount")
    if not isinstance(headcount, int) or headcount < 1 or headcount > 100_000:
        errors["headcount"] = [_("返岗人数应为 1 到 100000 之间的整数。")]
    codes = sorted({str(c).strip() for c in data.get("origin_codes") or [] if str(c).strip()})
    known = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown := [c for c in codes if c not in known]:
        errors["origin_codes"] = [_("未知的行政区划代码：%(c)s") % {"c": "、".join(unknown)}]
    plan = (data.get("prevention_plan") or "").strip()
    if not plan:
        errors["prevention_plan"] = [_("请填写防控方案。")]
    person = (data.get("person_in_charge") or "").strip()
    if not person:
        errors["person_in_charge"] = [_("请填写防疫负责人。")]
    if errors:
        raise ValidationError(errors)
    return {
        "planned_date": planned,
        "headcount": headcount,
        "origin_codes": codes,
        "prevention_plan": plan,
        "person_in_charge": person[:64],
    }


@transaction.atomic
def application_save(
    *, actor, tenant: Tenant, data: dict, plan_file=None, application: Application | None = None
) -> Application:
    """Create the tenant's draft, or edit it while it is a draft. A new one may be
    started when there is none, or the last was refused."""
    clean = _clean(data)
    if application is None:
        current = latest_for(tenant)
        if current is not None and current.state != State.REFUSED:
            raise ValidationError(
                _("已有一份“%(state)s”的复工申请，不能再新建。")
                % {"state": current.get_state_display()}
            )
        application = Application(
            company_id=tenant.company_id, site_id=tenant.site_id, tenant=tenant
        )
        before = {}
    else:
        application = _locked(application)
        if application.state not in EDITABLE:
            raise ValidationError(_("只有草稿可以修改。"))
        before = {k: getattr(application, k) for k in FIELDS}
    for k, v in clean.items():
        setattr(application, k, v)
    if plan_file is not None:
        application.plan_file = plan_file
    application.save()
    audit_record(
        actor=actor,
        company_id=application.company_id,
        action=AuditAction.APPLICATION_SAVE,
        obj=application,
        changes={
            k: [str(before[k]) if k in before else None, str(v)]
            for k, v in clean.items()
            if before.get(k) != v
        },
    )
    return application


def _move(
    *, actor, application: Application, allowed: tuple, state: str, action, changes: dict, **values
) -> Application:
    application = _locked(application)
    if application.state not in allowed:
        raise ValidationError(
            _("当前状态为“%(state)s”，不能执行此操作。")
            % {"state": application.get_state_display()}
        )
    old = application.state
    application.state = state
    for k, v in values.items():
        setattr(application, k, v)
    application.save()
    audit_record(
        actor=actor,
        company_id=application.company_id,
        action=action,
        obj=application,
        changes={"state": [old, state]} | changes,
    )
    return application


@transaction.atomic
def application_submit(*, actor, application: Application) -> Application:
    return _move(
        actor=actor,
        application=application,
        allowed=(State.DRAFT,),
        state=State.SUBMITTED,
        action=AuditAction.APPLICATION_SUBMIT,
        changes={},
        submitted_at=timezone.now(),
    )


@transaction.atomic
def application_approve(
    *, actor, application: Application, approved_headcount: int, conditions: str = ""
) -> Application:
    """Approve a submitted application (or resume a suspended one) with its
    conditions and the most staff that may hold passes."""
    if not isinstance(approved_headcount, int) or approved_headcount < 1:
        raise ValidationError({"approved_headcount": _("核准人数至少为 1。")})
    if approved_headcount > application.headcount:
        raise ValidationError(
            {
                "approved_headcount": _("核准人数不能超过申请的返岗人数（%(n)d）。")
                % {"n": application.headcount}
            }
        )
    return _move(
        actor=actor,
        application=application,
        allowed=(State.SUBMITTED, State.SUSPENDED),
        state=State.APPROVED,
        action=AuditAction.APPLICATION_APPROVE,
        changes={
            "approved_headcount": [None, approved_headcount],
            "conditions": [None, conditions],
        },
        approved_headcount=approved_headcount,
        conditions=(conditions or "").strip(),
        decided_at=timezone.now(),
        decided_by=actor,
        suspended_reason="",
    )


@transaction.atomic
def application_refuse(*, actor, application: Application, reason: str) -> Application:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写不批准的原因。")})
    return _move(
        actor=actor,
        application=application,
        allowed=(State.SUBMITTED,),
        state=State.REFUSED,
        action=AuditAction.APPLICATION_REFUSE,
        changes={"reason": [None, reason]},
        refused_reason=reason[:200],
        decided_at=timezone.now(),
        decided_by=actor,
    )


@transaction.atomic
def application_suspend(*, actor, application: Application, reason: str) -> Application:
    """Suspend an approved application: every valid pass of the tenant's staff is
    revoked with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写暂停的原因。")})
    application = _move(
        actor=actor,
        application=application,
        allowed=(State.APPROVED,),
        state=State.SUSPENDED,
        action=AuditAction.APPLICATION_SUSPEND,
        changes={"reason": [None, reason]},
        suspended_at=timezone.now(),
        suspended_reason=reason[:200],
    )
    now = timezone.now()
    household_id = (
        Tenant.all_tenants.filter(pk=application.tenant_id).values_list("household_id", flat=True)
    ).get()
    for pass_ in Pass.all_tenants.filter(
        company_id=application.company_id,
        household_id=household_id,
        kind=Pass.Kind.RESIDENT,
        revoked_at__isnull=True,
        valid_until__gt=now,
    ):
        access_gate.pass_revoke(
            actor=actor, pass_=pass_, reason=_("复工已暂停：%(r)s") % {"r": reason}
        )
    return application
