"""`manage health_tick`: the health app's periodic job (a scheduler runs it, e.g.
every 5 minutes). Raises the alerts of isolation checks missed by their deadline,
and refreshes yesterday's and today's per-site counts. Idempotent: running it twice
raises no alert twice and writes the same counts."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from firstline.health.services.daily import daily_counts_rollup
from firstline.health.services.isolation import missed_checks_raise


class Command(BaseCommand):
    help = "Raise missed isolation-check alerts and roll up yesterday's and today's health counts."

    def handle(self, *args, **options):
        started = time.perf_counter()
        now = timezone.now()
        offered = missed_checks_raise(now)
        today = timezone.localdate(now)
        rows = daily_counts_rollup([today - timedelta(days=1), today])
        self.stdout.write(
            f"health_tick: {offered} missed-check alert(s) raised, {rows} daily count row(s) "
            f"written in {time.perf_counter() - started:.2f} s"
        )
