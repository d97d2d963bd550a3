"""`manage reports_tick`: the daily report's periodic job, run by hand. The worker's
scheduler runs the same function every 5 minutes (firstline/schedule.py): yesterday's
and today's DRAFT reports of every site prefilled; submitted reports never touched.
See firstline.reports.tasks.reports_tick."""

import time

from django.core.management.base import BaseCommand

from firstline.reports.tasks import reports_tick


class Command(BaseCommand):
    help = "Prefill yesterday's and today's daily report drafts of every site."

    def handle(self, *args, **options):
        started = time.perf_counter()
        done = reports_tick.call()
        self.stdout.write(
            f"reports_tick: {done['prefilled']} draft report(s) prefilled, "
            f"{done['missing']} missing, in {time.perf_counter() - started:.2f} s"
        )
