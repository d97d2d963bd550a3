"""Background tasks of the training app: the periodic `training_tick` (declared in
firstline/schedule.py)."""

from django.tasks import task

from firstline.training.services.sessions import reminders_send


@task
def training_tick() -> dict:
    """Every 15 minutes: remind each registered learner once, within the day before
    their live session starts."""
    return reminders_send()
