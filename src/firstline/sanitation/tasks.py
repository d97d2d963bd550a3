"""Background tasks of the sanitation app: the periodic `sanitation_tick` (declared in
firstline/schedule.py; `manage sanitation_tick` runs the same function)."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from firstline.sanitation.services.generator import tasks_generate
from firstline.sanitation.services.overdue import overdue_raise


@task()
def sanitation_tick() -> dict:
    """Every 5 minutes: make today's and tomorrow's tasks from the plans (a plan edited
    during the day takes effect at the next tick, and the cleaners' phones can load
    tomorrow's list the evening before), then raise the alerts of overdue tasks.
    Idempotent: running it twice creates no task or alert twice."""
    now = timezone.now()
    today = timezone.localdate(now)
    made = [tasks_generate(day=d, now=now) for d in (today, today + timedelta(days=1))]
    alerts = overdue_raise(now)
    return {
        "task_slots_offered": sum(m["offered"] for m in made),
        "cancelled": sum(m["cancelled"] for m in made),
        "overdue_alerts": alerts,
    }
