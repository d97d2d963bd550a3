"""`manage sanitation_tick`: the sanitation app's periodic job, run by hand. The
worker's scheduler runs the same function every 5 minutes (firstline/schedule.py):
today's and tomorrow's tasks from the plans, then the alerts of overdue tasks.
Idempotent: running it twice creates no task or alert twice."""

import time

from django.core.management.base import BaseCommand

from firstline.sanitation.tasks import sanitation_tick


class Command(BaseCommand):
    help = "Generate today's and tomorrow's disinfection tasks and raise overdue alerts."

    def handle(self, *args, **options):
        started = time.perf_counter()
        done = sanitation_tick.call()
        self.stdout.write(
            f"sanitation_tick: {done['task_slots_offered']} task slot(s) offered, "
            f"{done['cancelled']} cancelled, {done['overdue_alerts']} overdue alert(s) raised "
            f"in {time.perf_counter() - started:.2f} s"
        )
