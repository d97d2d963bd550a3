"""Live sessions: registering (up to the cap, one at a time per session: the session's
row is locked while the seats are counted), attending through the platform's link
(online) or a signed QR code opened by a signed-in phone (in person), and the
reminder sent once before the start (`training_tick`)."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.training.models import AuditAction, Enrolment, LiveSession, Registration

REMIND_AHEAD = timedelta(hours=24)
SALT = "training.checkin"
logger = logging.getLogger(__name__)


@transaction.atomic
def session_register(*, actor, session: LiveSession, enrolment: Enrolment) -> Registration:
    """`enrolment` was read in the caller's scope, `session` among the live sessions."""
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if session.course_id != enrolment.course_id:
        raise ValidationError({"session": [_("这场直播课不属于该课程。")]})
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": [_("这场直播课已结束。")]})
    if Registration.all_tenants.filter(session=session, enrolment=enrolment).exists():
        raise ValidationError({"session": [_("已经报名过这场直播课。")]})
    if Registration.all_tenants.filter(session=session).count() >= session.capacity:
        raise ValidationError({"session": [_("名额已满。")]})
    registration = Registration.all_tenants.create(
        company_id=enrolment.company_id,
        site_id=enrolment.site_id,
        session=session,
        enrolment=enrolment,
    )
    audit_record(
        actor=actor,
        company_id=enrolment.company_id,
        action=AuditAction.SESSION_REGISTER,
        obj=registration,
    )
    return registration


@transaction.atomic
def session_attend(*, actor, registration: Registration) -> Registration:
    """Joined through the platform's link, or checked in by QR: the first time counts."""
    if registration.attended_at is None:
        registration.attended_at = timezone.now()
        Registration.all_tenants.filter(pk=registration.pk, attended_at__isnull=True).update(
            attended_at=registration.attended_at
        )
        audit_record(
            actor=actor,
            company_id=registration.company_id,
            action=AuditAction.SESSION_ATTEND,
            obj=registration,
        )
    return registration


def checkin_token(session: LiveSession) -> str:
    """What the in-person QR code carries: the session, signed."""
    return signing.dumps({"s": session.pk, "c": session.checkin_code}, salt=SALT)


def checkin_session_id(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    session = LiveSession.objects.filter(pk=data.get("s"), checkin_code=data.get("c")).first()
    return session.pk if session else None


def reminders_send(*, now=None) -> dict:
    """Once per registration, for sessions starting within the next day: marked
    reminded (a system job, every company), then an e-mail to each learner with an
    address. Returns what it did."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Registration.all_tenants.select_for_update(of=("self",))
            .filter(
                reminded_at__isnull=True,
                session__starts_at__gt=now,
                session__starts_at__lte=now + REMIND_AHEAD,
            )
            .select_related("session", "enrolment__staff__user")
        )
        Registration.all_tenants.filter(pk__in=[r.pk for r in due]).update(reminded_at=now)
    mails = []
    for registration in due:
        user = registration.enrolment.staff.user
        if user is not None and user.email:
            session = registration.session
            at = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
            where = session.place or _("线上（从“我的培训”进入直播）")
            mails.append(
                (
                    _("直播课提醒：%(t)s") % {"t": session.title},
                    _("您报名的直播课“%(t)s”将于 %(at)s 开始，地点：%(where)s。")
                    % {"t": session.title, "at": at, "where": where},
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                )
            )
    sent = 0
    if mails:
        try:
            sent = send_mass_mail(mails)
        except (OSError, smtplib.SMTPException):
            # No mail server (the demo): the session still shows on the learner's page.
            logger.warning("training: %d session reminders not sent", len(mails))
    return {"reminded": len(due), "mails": sent}
