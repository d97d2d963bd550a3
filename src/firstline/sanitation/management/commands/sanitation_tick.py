"""`manage sanitation_tick`: the sanitation app's periodic job (a scheduler runs it,
e.g. every 5 minutes). Makes today's and tomorrow's tasks from the plans (so a plan
edited during the day takes effect at the next tick, and the cleaners' phones can
load tomorrow's list the evening before), then raises the alerts of overdue tasks.
Idempotent: running it twice creates no task or alert twice."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from firstline.sanitation.services.generator import tasks_generate
from firstline.sanitation.services.overdue import overdue_raise


class Command(BaseCommand):
    help = "Generate today's and tomorrow's disinfection tasks and raise overdue alerts."

    def handle(self, *args, **options):
        started = time.perf_counter()
        now = timezone.now()
        today = timezone.localdate(now)
        made = [tasks_generate(day=d, now=now) for d in (today, today + timedelta(days=1))]
        alerts = overdue_raise(now)
        self.stdout.write(
            f"sanitation_tick: {sum(m['offered'] for m in made)} task slot(s) offered, "
            f"{sum(m['cancelled'] for m in made)} cancelled, {alerts} overdue alert(s) raised "
            f"in {time.perf_counter() - started:.2f} s"
        )
