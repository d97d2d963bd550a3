"""Background tasks of the notices app: an urgent notice's text messages.

Notices need no periodic job: "scheduled" and "expired" are read from the clock
when a page asks (models.current_q)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from firstline.notices.services.urgent import notice_sms_send

logger = logging.getLogger(__name__)


@task()
def notice_sms_task(*, notice_id: int) -> dict:
    """Send an urgent notice's messages (idempotent: a phone already sent to is skipped)."""
    return notice_sms_send(notice_id=notice_id)


def notice_sms_enqueue(*, notice, now=None) -> None:
    """Queue the messages once the publication is committed: at the publish time when
    it is later and the backend can wait, at once otherwise."""
    now = now or timezone.now()
    run_after = notice.publish_at if notice.publish_at and notice.publish_at > now else None
    notice_id = notice.pk

    def enqueue() -> None:
        job = notice_sms_task
        try:
            if run_after is not None and job.get_backend().supports_defer:
                job = job.using(run_after=run_after)
            job.enqueue(notice_id=notice_id)
        except Exception:
            logger.exception("could not queue the text messages of notice %s", notice_id)

    transaction.on_commit(enqueue)
