"""Background tasks of the consultations app: the periodic `consultations_tick`
(declared in firstline/schedule.py; `manage consultations_tick` runs the same)."""

from django.tasks import task

from firstline.consultations.services.sla import sla_flag


@task
def consultations_tick() -> dict:
    """Every 5 minutes: flag the consultations whose first reply or resolution is
    overdue and remind the desk and the assigned experts (each flag once)."""
    return sla_flag()
