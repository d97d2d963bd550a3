"""Background tasks of the reports app: the periodic `reports_tick` and
`reports_deliver` (declared in firstline/schedule.py; the management commands of the
same names run the same functions)."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from firstline.reports.models import DailyReport
from firstline.reports.selectors.daily import missing_q
from firstline.reports.services import webhooks
from firstline.reports.services.daily import reports_prefill_days


@task()
def reports_tick() -> dict:
    """Every 5 minutes: prefill yesterday's and today's DRAFT reports of every site, so
    the figures a manager sees are at most one tick old. Idempotent: a second run
    writes the same figures, and submitted reports are never touched.

    Nothing is flagged here: a report is missing when it is still a draft past its due
    time (computed in the queries that show it, reports/selectors/daily.py), and late
    is stored when it is submitted."""
    now = timezone.now()
    today = timezone.localdate(now)
    written = reports_prefill_days(days=[today - timedelta(days=1), today], now=now)
    missing = DailyReport.all_tenants.filter(missing_q(now)).count()
    return {"prefilled": written, "missing": missing}


@task()
def reports_deliver(*, limit: int = webhooks.DUE_BATCH) -> dict:
    """Every minute: send the webhook deliveries that are due. Each is claimed with a
    conditional update before it is sent (webhooks.delivery_attempt), so two runs (or
    a run and a worker) at once never send the same attempt twice. Returns how many
    ended each way."""
    outcomes: dict[str, int] = {}
    for pk in webhooks.deliveries_due(limit=limit):
        outcome = str(webhooks.delivery_attempt(delivery_id=pk))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return dict(sorted(outcomes.items()))
