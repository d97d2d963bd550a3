"""Online consultation sessions: the desk schedules one (an expert of its pool, a
topic, a time, a meeting link, a capacity); a member company's user registers with a
question in advance, while places remain; the desk records who attended."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.consultations.models import AuditAction, Expert, Registration, Session
from firstline.core.services import audit_record, changes_of
from firstline.orgs.models import Company, Membership


def session_create(
    *,
    actor,
    expert: Expert,
    topic: str,
    starts_at: datetime,
    duration_minutes: int,
    meeting_link: str,
    capacity: int,
    description: str = "",
) -> Session:
    topic = (topic or "").strip()
    errors = {}
    if not topic:
        errors["topic"] = _("请填写主题。")
    elif len(topic) > 120:
        errors["topic"] = _("主题不能超过 120 个字。")
    if not 15 <= duration_minutes <= 480:
        errors["duration_minutes"] = _("时长为 15 至 480 分钟。")
    if not 1 <= capacity <= 10000:
        errors["capacity"] = _("名额为 1 至 10000。")
    if not (meeting_link or "").startswith(("https://", "http://")):
        errors["meeting_link"] = _("请填写以 https:// 开头的会议链接。")
    if not expert.active:
        errors["expert"] = _("该专家暂不接受安排。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = Session.objects.create(
            association_id=expert.association_id,
            expert=expert,
            topic=topic,
            description=(description or "").strip()[:2000],
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            meeting_link=meeting_link.strip(),
            capacity=capacity,
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SESSION_CREATE,
            obj=session,
            changes=changes_of(session, ["topic", "starts_at", "capacity"]),
        )
    return session


def session_register(
    *,
    actor,
    session: Session,
    company: Company,
    question: str = "",
    now: datetime | None = None,
) -> Registration:
    """`actor` (a user of a member company) registers for a session that has not yet
    ended and still has places; once per person."""
    now = now or timezone.now()
    question = (question or "").strip()
    if len(question) > 1000:
        raise ValidationError({"question": _("会前问题不能超过 1000 个字。")})
    if not Membership.objects.filter(
        company_id=company.pk, association_id=session.association_id
    ).exists():
        raise ValidationError(_("贵企业不是该协会的会员。"))
    try:
        with transaction.atomic():
            locked = Session.all_tenants.select_for_update().get(pk=session.pk)
            if locked.starts_at <= now:
                raise ValidationError(_("咨询会已开始，不能再报名。"))
            if Registration.all_tenants.filter(session=locked).count() >= locked.capacity:
                raise ValidationError(_("名额已满。"))
            registration = Registration.objects.create(
                company=company,
                session=locked,
                user=actor,
                name=(actor.display_name or actor.username)[:64],
                question=question,
            )
            audit_record(
                actor=actor,
                company_id=company.pk,
                action=AuditAction.SESSION_REGISTER,
                obj=registration,
                changes={"session": locked.topic, "question": bool(question)},
            )
    except IntegrityError:
        raise ValidationError(_("已经报名过这场咨询会。")) from None
    return registration


def attendance_record(*, actor, session: Session, attended_ids: set[int]) -> int:
    """The desk ticks who attended: every registration of the session is marked
    attended or not. Returns how many attended."""
    now = timezone.now()
    with transaction.atomic():
        registrations = list(
            Registration.all_tenants.select_for_update().filter(session=session).order_by("id")
        )
        unknown = set(attended_ids) - {r.pk for r in registrations}
        if unknown:
            raise ValidationError({"attended": _("名单中没有这些报名。")})
        for registration in registrations:
            registration.attended = registration.pk in attended_ids
            registration.attendance_recorded_at = now
            registration.updated_at = now
        Registration.all_tenants.bulk_update(
            registrations, ["attended", "attendance_recorded_at", "updated_at"]
        )
        for company_id in sorted({r.company_id for r in registrations}):
            audit_record(
                actor=actor,
                company_id=company_id,
                action=AuditAction.ATTENDANCE_RECORD,
                obj=session,
                changes={
                    "attended": sum(
                        1 for r in registrations if r.company_id == company_id and r.attended
                    )
                },
            )
    return sum(1 for r in registrations if r.attended)
