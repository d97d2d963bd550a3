"""Urgent notices by text message: one message per phone of the audience.

Run by the worker (`tasks.notice_sms_task`) after an urgent notice that was to go
"also by text message" is published. The recipients are the residents (a residents'
notice) and the staff (a staff notice) of every site the notice reaches, with a
phone; a phone held by several of them gets one message (by the phone's keyed
hash, so nothing is decrypted to compare). Phones are decrypted here, one at a
time, only to hand them to `health.services.sms.send`, which records every message
(`SmsMessage`, masked phone). `NoticeSms` links each message to the notice and is
claimed before sending: a retried task sends no phone twice, and a claim whose
sending never finished counts as failed.

A system job across the companies an association's or authority's notice reaches,
so it reads with `all_tenants`.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from firstline.core.personal.crypto import unseal
from firstline.core.services import audit_record
from firstline.estates.models import Resident, Site, Staff
from firstline.health.models import SmsMessage
from firstline.health.services import sms
from firstline.notices.models import AuditAction, Notice, NoticeSite, NoticeSms

logger = logging.getLogger(__name__)

TITLE_CHARS = 20  # a template variable is short (Alibaba: at most 35 characters)


def _title(text: str) -> str:
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def recipients(notice: Notice) -> list[dict]:
    """One row per distinct phone: company, site, phone hash and ciphertext, in a fixed
    order (site, then residents before staff, then id)."""
    sites = NoticeSite.all_tenants.filter(notice=notice).values("site_id")
    rows: list[dict] = []
    if notice.to_residents:
        rows += list(
            Resident.all_tenants.filter(site_id__in=sites, phone_enc__isnull=False)
            .exclude(phone_hmac="")
            .order_by("site_id", "id")
            .values("company_id", "site_id", "phone_hmac", "phone_enc")
        )
    if notice.to_staff:
        rows += list(
            Staff.all_tenants.filter(site_id__in=sites, phone_enc__isnull=False)
            .exclude(phone_hmac="")
            .order_by("site_id", "id")
            .values("company_id", "site_id", "phone_hmac", "phone_enc")
        )
    seen: set[str] = set()
    out = []
    for row in rows:
        if row["phone_hmac"] not in seen:
            seen.add(row["phone_hmac"])
            out.append(row)
    return out


def notice_sms_send(*, notice_id: int) -> dict:
    """Send the urgent notice's messages not sent yet; counts of sent, failed, skipped."""
    notice = Notice.all_tenants.filter(pk=notice_id).first()
    if (
        notice is None
        or notice.state != Notice.State.PUBLISHED
        or not (notice.urgent and notice.also_sms)
    ):
        return {"sent": 0, "failed": 0, "skipped": 0}
    done = set(NoticeSms.all_tenants.filter(notice=notice).values_list("phone_hmac", flat=True))
    site_names = dict(
        Site.all_tenants.filter(
            pk__in=NoticeSite.all_tenants.filter(notice=notice).values("site_id")
        ).values_list("pk", "name")
    )
    sent = failed = skipped = 0
    for row in recipients(notice):
        if row["phone_hmac"] in done:
            skipped += 1
            continue
        try:
            with transaction.atomic():
                claim = NoticeSms.objects.create(
                    company_id=row["company_id"],
                    site_id=row["site_id"],
                    notice=notice,
                    phone_hmac=row["phone_hmac"],
                    sent=False,
                )
        except IntegrityError:  # another run of the task claimed it
            skipped += 1
            continue
        phone = unseal("phone", bytes(row["phone_enc"]))
        record = sms.send(
            company_id=row["company_id"],
            site_id=row["site_id"],
            phone=phone,
            purpose=SmsMessage.Purpose.URGENT_NOTICE,
            params={"site": site_names.get(row["site_id"], ""), "title": _title(notice.title)},
        )
        ok = record.status == SmsMessage.Status.SENT
        NoticeSms.all_tenants.filter(pk=claim.pk).update(message=record, sent=ok)
        sent, failed = sent + ok, failed + (not ok)
    with transaction.atomic():
        audit_record(
            actor=None,
            company_id=notice.company_id,
            action=AuditAction.NOTICE_SMS,
            obj=notice,
            changes={"sent": sent, "failed": failed, "skipped": skipped},
        )
    return {"sent": sent, "failed": failed, "skipped": skipped}
