"""Service levels: the periodic tick flags consultations whose first reply or
resolution is overdue, and tells the association's desk and the assigned experts.

A first reply is overdue when no expert or desk message came by `first_reply_due`; a
resolution when the consultation is neither resolved nor closed by `resolution_due`.
Each flag is raised once, by a conditional UPDATE (a consultation already flagged is
not counted or told again), so running the tick every few minutes, or twice at once,
raises each flag once. The desk's queue filters by the flags; every flagged
consultation is told by email to the desk's and the assigned experts' accounts that
have an address (no address: the flag on the lists is the reminder).
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.consultations.models import Assignment, Consultation
from firstline.core.roles import Role
from firstline.orgs.models import RoleAssignment

Status = Consultation.Status
logger = logging.getLogger(__name__)
DESK_ROLES = (Role.ASSOCIATION_ADMIN, Role.ASSOCIATION_STAFF)


def sla_flag(now: datetime | None = None, *, notify: bool = True) -> dict:
    """Raises the overdue flags due by `now` across every association (a system job)
    and emails the reminders (unless `notify` is off: the demo's history). Returns
    what it did."""
    now = now or timezone.now()
    with transaction.atomic():
        first = list(
            Consultation.all_tenants.filter(
                first_replied_at__isnull=True,
                first_reply_overdue=False,
                first_reply_due__lte=now,
            )
            .exclude(status=Status.CLOSED)
            .values_list("pk", flat=True)
        )
        if first:
            Consultation.all_tenants.filter(pk__in=first, first_reply_overdue=False).update(
                first_reply_overdue=True, updated_at=now
            )
        resolution = list(
            Consultation.all_tenants.filter(
                resolved_at__isnull=True,
                resolution_overdue=False,
                resolution_due__lte=now,
                status__in=Consultation.OPEN,
            ).values_list("pk", flat=True)
        )
        if resolution:
            Consultation.all_tenants.filter(pk__in=resolution, resolution_overdue=False).update(
                resolution_overdue=True, updated_at=now
            )
    mails = reminders(first, resolution) if notify else []
    sent = 0
    if mails:
        try:
            sent = send_mass_mail(mails)
        except (OSError, smtplib.SMTPException):
            # No mail server (the demo): the flags on the lists still remind.
            logger.warning("consultations: %d overdue reminders not sent", len(mails))
    return {"first_reply_overdue": len(first), "resolution_overdue": len(resolution), "mails": sent}


def reminders(first: list[int], resolution: list[int]) -> list[tuple]:
    """One email per person: the overdue consultations of the associations whose desk
    they are on, and those assigned to them."""
    flagged = {pk: _("首次答复超时") for pk in first}
    for pk in resolution:
        flagged[pk] = f"{flagged[pk]}、{_('办结超时')}" if pk in flagged else _("办结超时")
    if not flagged:
        return []
    rows = list(
        Consultation.all_tenants.filter(pk__in=flagged).values_list("pk", "association_id", "title")
    )
    by_association: dict[int, list] = defaultdict(list)
    for pk, association_id, title in rows:
        by_association[association_id].append((pk, title))
    lines: dict[str, list[str]] = defaultdict(list)

    def line(pk: int, title: str) -> str:
        return f"ZX{pk:06d} {title}（{flagged[pk]}）"

    for email, association_id in RoleAssignment.objects.filter(
        role__in=DESK_ROLES, association_id__in=by_association
    ).values_list("user__email", "association_id"):
        if email:
            lines[email].extend(line(pk, title) for pk, title in by_association[association_id])
    titles = {pk: title for pk, _a, title in rows}
    for email, pk in Assignment.all_tenants.filter(consultation_id__in=flagged).values_list(
        "expert__user__email", "consultation_id"
    ):
        if email:
            lines[email].append(line(pk, titles[pk]))
    subject = _("咨询超时提醒")
    sender = settings.DEFAULT_FROM_EMAIL
    return [
        (
            subject,
            _("以下咨询已超过服务时限：") + "\n" + "\n".join(dict.fromkeys(body)),
            sender,
            [to],
        )
        for to, body in sorted(lines.items())
    ]
