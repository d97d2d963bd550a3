"""`manage health_tick`: the health app's periodic job, run by hand. The worker's
scheduler runs the same function every 5 minutes (firstline/schedule.py). Raises the
alerts of isolation checks missed by their deadline, and refreshes yesterday's and
today's per-site counts. Idempotent: running it twice raises no alert twice and writes
the same counts."""

import time

from django.core.management.base import BaseCommand

from firstline.health.tasks import health_tick


class Command(BaseCommand):
    help = "Raise missed isolation-check alerts and roll up yesterday's and today's health counts."

    def handle(self, *args, **options):
        started = time.perf_counter()
        done = health_tick.call()
        self.stdout.write(
            f"health_tick: {done['missed_check_alerts']} missed-check alert(s) raised, "
            f"{done['daily_count_rows']} daily count row(s) written "
            f"in {time.perf_counter() - started:.2f} s"
        )
