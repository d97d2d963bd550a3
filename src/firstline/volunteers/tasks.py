"""Background tasks of the volunteers app: the periodic tick (firstline/schedule.py)."""

from django.tasks import task

from firstline.volunteers.services.support import overdue_raise


@task
def volunteers_tick() -> dict:
    """Raise one alert per support task past due and not handed over."""
    return {"overdue_alerts": overdue_raise()}
