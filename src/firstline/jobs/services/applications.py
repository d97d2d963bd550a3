"""Applications, from the graduate's submission to the employer's offer:

    submitted → shortlisted → invited → interviewed → offer
    any but offer/withdrawn → rejected;  the graduate may withdraw until an offer

A graduate applies to at most APPLICATIONS_PER_DAY positions a (local) day, counted
under a row lock of the graduate, so concurrent applies cannot exceed it. An employer
invites to an interview offering its position's free slots, or books one slot
directly; the graduate picks one. A slot holds one interview (a unique constraint):
of two bookings of one slot, the second is refused with a clear error."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.jobs.models import (
    Application,
    AuditAction,
    Employer,
    Graduate,
    Interview,
    InterviewSlot,
    Position,
)

APPLICATIONS_PER_DAY = 10
State = Application.State

# What an employer may move an application to, from which states.
MOVES: dict[str, tuple[str, ...]] = {
    State.SHORTLISTED: (State.SUBMITTED,),
    State.INVITED: (State.SUBMITTED, State.SHORTLISTED),
    State.INTERVIEWED: (State.INVITED,),
    State.OFFER: (State.SHORTLISTED, State.INVITED, State.INTERVIEWED),
    State.REJECTED: (State.SUBMITTED, State.SHORTLISTED, State.INVITED, State.INTERVIEWED),
}
SLOT_TAKEN = _("该面试时段已被预约，请选择其他时段。")


def today_start() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


@transaction.atomic
def application_submit(
    *, actor, graduate: Graduate, position: Position, cover_note: str = ""
) -> Application:
    """The graduate applies to an open position of a published fair's verified booth."""
    graduate = Graduate.all_tenants.select_for_update().get(pk=graduate.pk)
    position = Position.all_tenants.select_related("employer", "fair").get(pk=position.pk)
    if (
        position.state != Position.State.OPEN
        or not position.fair.published
        or position.employer.state != Employer.State.VERIFIED
        or position.fair.association_id != graduate.association_id
    ):
        raise ValidationError({"position": _("该职位不在招聘中。")})
    if not graduate.consent:
        raise ValidationError({"consent": _("请先在个人资料中同意向所申请的企业提供简历。")})
    start = today_start()
    today = Application.all_tenants.filter(
        graduate=graduate, created_at__gte=start, created_at__lt=start + timedelta(days=1)
    ).count()
    if today >= APPLICATIONS_PER_DAY:
        raise ValidationError(
            {"position": _("每天最多申请 %(n)d 个职位，请明天再来。") % {"n": APPLICATIONS_PER_DAY}}
        )
    application = Application(
        company_id=position.company_id,
        fair_id=position.fair_id,
        position=position,
        graduate=graduate,
        cover_note=(cover_note or "").strip()[:500],
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ValidationError({"position": _("已申请过该职位。")}) from None
    audit_record(
        actor=actor,
        company_id=application.company_id,
        action=AuditAction.APPLICATION_SUBMIT,
        obj=application,
        changes={"state": [None, application.state]},
    )
    return application


def _locked(application: Application) -> Application:
    return Application.all_tenants.select_for_update().get(pk=application.pk)


def _record(actor, application: Application, old: str, **more) -> None:
    audit_record(
        actor=actor,
        company_id=application.company_id,
        action=AuditAction.APPLICATION_MOVE,
        obj=application,
        changes={"state": [old, application.state], **more},
    )


@transaction.atomic
def application_move(
    *,
    actor,
    application: Application,
    state: str,
    note: str = "",
    offer_salary: int | None = None,
) -> Application:
    """The employer's decision on an application: shortlist, invite, interviewed,
    offer (with a salary) or reject."""
    if state not in MOVES:
        raise ValidationError({"state": _("不能改为该状态。")})
    application = _locked(application)
    old = application.state
    if old not in MOVES[state]:
        raise ValidationError(
            {
                "state": _("当前状态为“%(s)s”，不能执行此操作。")
                % {"s": application.get_state_display()}
            }
        )
    if state == State.OFFER:
        if not isinstance(offer_salary, int) or not 0 < offer_salary <= 1_000_000:
            raise ValidationError({"offer_salary": _("请填写录用月薪（1 到 1000000 元）。")})
        application.offer_salary = offer_salary
        application.offer_note = (note or "").strip()[:500]
    elif note:
        application.outcome_note = note.strip()[:500]
    if state in (State.OFFER, State.REJECTED, State.INTERVIEWED):
        application.decided_at = timezone.now()
    application.state = state
    application.save()
    _record(actor, application, old, note=[None, (note or "")[:500]])
    return application


@transaction.atomic
def application_withdraw(*, actor, application: Application) -> Application:
    application = _locked(application)
    old = application.state
    if old in (State.OFFER, State.REJECTED, State.WITHDRAWN):
        raise ValidationError(_("当前状态不能撤回。"))
    application.state = State.WITHDRAWN
    application.save()
    Interview.all_tenants.filter(
        company_id=application.company_id, application=application
    ).delete()
    _record(actor, application, old)
    return application


@transaction.atomic
def slot_create(
    *, actor, position: Position, starts_at, ends_at, meeting_link: str
) -> InterviewSlot:
    errors = {}
    if not isinstance(starts_at, datetime):
        errors["starts_at"] = [_("请填写开始时间。")]
    if not isinstance(ends_at, datetime):
        errors["ends_at"] = [_("请填写结束时间。")]
    elif isinstance(starts_at, datetime) and ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间应晚于开始时间。")]
    link = (meeting_link or "").strip()
    if not link.startswith(("https://", "http://")) or len(link) > 300:
        errors["meeting_link"] = [_("请填写以 https:// 开头的会议链接。")]
    if errors:
        raise ValidationError(errors)
    slot = InterviewSlot.all_tenants.create(
        company_id=position.company_id,
        position=position,
        starts_at=starts_at,
        ends_at=ends_at,
        meeting_link=link,
    )
    audit_record(
        actor=actor,
        company_id=slot.company_id,
        action=AuditAction.SLOT_CREATE,
        obj=slot,
        changes={"starts_at": [None, str(starts_at)], "ends_at": [None, str(ends_at)]},
    )
    return slot


def _book(actor, application: Application, slot: InterviewSlot) -> Interview:
    if slot.company_id != application.company_id or slot.position_id != application.position_id:
        raise ValidationError({"slot": _("该时段不属于此职位。")})
    if slot.starts_at <= timezone.now():
        raise ValidationError({"slot": _("该时段已开始或已过去。")})
    Interview.all_tenants.filter(
        company_id=application.company_id, application=application
    ).delete()
    try:
        with transaction.atomic():
            interview = Interview.all_tenants.create(
                company_id=application.company_id, application=application, slot=slot
            )
    except IntegrityError:
        raise ValidationError({"slot": SLOT_TAKEN}) from None
    audit_record(
        actor=actor,
        company_id=application.company_id,
        action=AuditAction.INTERVIEW_BOOK,
        obj=interview,
        changes={"slot": [None, str(slot)]},
    )
    return interview


@transaction.atomic
def application_invite(
    *, actor, application: Application, slot: InterviewSlot | None = None
) -> Application:
    """Invite to an online interview: the graduate picks one of the position's free
    slots, or the employer books `slot` at once (a slot taken is refused)."""
    application = _locked(application)
    old = application.state
    if old not in MOVES[State.INVITED] and old != State.INVITED:
        raise ValidationError(
            {
                "state": _("当前状态为“%(s)s”，不能邀请面试。")
                % {"s": application.get_state_display()}
            }
        )
    if not free_slots(application).exists() and slot is None:
        raise ValidationError({"slot": _("请先为该职位添加空闲的面试时段。")})
    if slot is not None:
        _book(actor, application, slot)
    application.state = State.INVITED
    application.save()
    if old != State.INVITED:
        _record(actor, application, old)
    return application


@transaction.atomic
def interview_pick(*, actor, application: Application, slot: InterviewSlot) -> Interview:
    """The graduate picks one of the slots offered to its invitation."""
    application = _locked(application)
    if application.state != State.INVITED:
        raise ValidationError({"slot": _("只有被邀请面试的申请可以选择时段。")})
    return _book(actor, application, slot)


def free_slots(application: Application):
    """The position's future slots that hold no interview (another's); the
    application's own booked slot stays listed."""
    taken = Interview.all_tenants.filter(company_id=application.company_id).exclude(
        application_id=application.pk
    )
    return (
        InterviewSlot.all_tenants.filter(
            company_id=application.company_id,
            position_id=application.position_id,
            starts_at__gt=timezone.now(),
        )
        .exclude(pk__in=taken.values("slot_id"))
        .order_by("starts_at", "id")
    )
