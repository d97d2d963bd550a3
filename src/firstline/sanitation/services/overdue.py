"""Overdue detection: a pending task still not done `GRACE` after its due time raises
one alert for the site manager. One read of the tasks that have no alert yet, one
insert that ignores a task already alerted (the one-to-one key), so running it every
few minutes, or twice at once, raises each alert once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.sanitation.models import OverdueAlert, Task

GRACE = timedelta(minutes=30)


def overdue_raise(now: datetime | None = None, *, grace: timedelta = GRACE) -> int:
    """Alerts for pending tasks whose due time + grace has passed. Returns how many
    alerts were offered (new ones; a concurrent run's duplicates are ignored)."""
    now = now or timezone.now()
    rows = (
        Task.all_tenants.filter(
            state=Task.State.PENDING, due_at__lt=now - grace, alert__isnull=True
        )
        .values_list("id", "company_id", "site_id", "area__name", "entry__title", "due_at")
        .order_by("due_at", "id")
    )
    alerts = [
        OverdueAlert(
            company_id=company_id,
            site_id=site_id,
            task_id=task_id,
            message=_message(area, title, due_at)[:200],
        )
        for task_id, company_id, site_id, area, title, due_at in rows.iterator(chunk_size=2000)
    ]
    OverdueAlert.all_tenants.bulk_create(alerts, ignore_conflicts=True, batch_size=1000)
    return len(alerts)


def _message(area: str, title: str, due_at: datetime) -> str:
    due = timezone.localtime(due_at).strftime("%m-%d %H:%M")
    return _("%(area)s：%(title)s 超时未完成（应于 %(due)s 前完成）") % {
        "area": area,
        "title": title,
        "due": due,
    }
