"""Background tasks of the core app."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from firstline.core.models import TaskProgress


@task()
def purge_task_progress(*, days: int = 30) -> int:
    """Delete finished progress records older than `days`; returns how many went."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = TaskProgress.objects.filter(
        status__in=[TaskProgress.Status.SUCCEEDED, TaskProgress.Status.FAILED],
        updated_at__lt=cutoff,
    ).delete()
    return deleted
