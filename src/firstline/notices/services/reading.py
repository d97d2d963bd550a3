"""Read receipts: a reader opens a notice, and its receipt is recorded once.

A reader is a signed-in user (a resident with an account, or staff), or a resident
without an account known by the declaration's one-time code (`resident`). The
receipt is itself the record (who, when, at which site), so no audit row is
written for it, as for gate events. Recording twice is harmless: the second call
finds the first (or loses the race to the unique constraint) and writes nothing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from firstline.notices.models import NoticeRead


def notice_read(
    *,
    notice,
    company_id: int,
    site_id: int,
    user=None,
    resident_id: int | None = None,
    household_id: int | None = None,
    now=None,
) -> bool:
    """Record that `user` (or the resident) read `notice` (read in the caller's
    scope, at `site_id` of `company_id`, a site it reaches). True when this call
    recorded it."""
    if user is None and resident_id is None:
        raise ValueError("notice_read needs a user or a resident")
    who = {"user_id": user.pk} if user is not None else {"resident_id": resident_id}
    if NoticeRead.all_tenants.filter(company_id=company_id, notice_id=notice.pk, **who).exists():
        return False
    try:
        with transaction.atomic():
            NoticeRead.objects.create(
                company_id=company_id,
                site_id=site_id,
                notice_id=notice.pk,
                household_id=household_id,
                read_at=now or timezone.now(),
                **who,
            )
    except IntegrityError:  # the same reader, at the same moment, in another request
        return False
    return True
