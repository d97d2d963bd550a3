"""`manage reports_tick`: the daily report's periodic job (a scheduler runs it, e.g.
every 5 minutes). Prefills yesterday's and today's DRAFT reports of every site, so
the figures a manager sees are at most one tick old. Idempotent: a second run writes
the same figures, and submitted reports are never touched.

Nothing is flagged here: a report is missing when it is still a draft past its due
time (computed in the queries that show it, reports/selectors_daily.py), and late is
stored when it is submitted."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from firstline.reports.models import DailyReport
from firstline.reports.selectors.daily import missing_q
from firstline.reports.services.daily import reports_prefill_days


class Command(BaseCommand):
    help = "Prefill yesterday's and today's daily report drafts of every site."

    def handle(self, *args, **options):
        started = time.perf_counter()
        now = timezone.now()
        today = timezone.localdate(now)
        written = reports_prefill_days(days=[today - timedelta(days=1), today], now=now)
        missing = DailyReport.all_tenants.filter(missing_q(now)).count()
        self.stdout.write(
            f"reports_tick: {written} draft report(s) prefilled, {missing} missing, "
            f"in {time.perf_counter() - started:.2f} s"
        )
