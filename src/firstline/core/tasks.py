"""Background tasks of the core app."""

from datetime import timedelta

from django.db.models import Max, Q
from django.tasks import task
from django.utils import timezone

from firstline.core import partitions
from firstline.core.models import JobRun, TaskProgress


@task()
def purge_task_progress(*, days: int = 30) -> int:
    """Delete finished progress records older than `days`; returns how many went."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = TaskProgress.objects.filter(
        status__in=[TaskProgress.Status.SUCCEEDED, TaskProgress.Status.FAILED],
        updated_at__lt=cutoff,
    ).delete()
    return deleted


@task()
def purge_job_runs(*, days: int = 30) -> int:
    """Delete the periodic jobs' run records of slots older than `days`, keeping each
    job's newest (the jobs page shows it); returns how many went."""
    cutoff = timezone.now() - timedelta(days=days)
    newest = (
        JobRun.objects.order_by()
        .values("job")
        .annotate(slot=Max("slot"))
        .values_list("job", "slot")
    )
    keep = Q()
    for job, slot in newest:
        keep |= Q(job=job, slot=slot)
    old = JobRun.objects.filter(slot__lt=cutoff)
    if keep:
        old = old.exclude(keep)
    deleted, _ = old.delete()
    return deleted


@task()
def partitions_ahead() -> list[str]:
    """Make this month's and the next months' partitions of every partitioned table
    (PostgreSQL; core/partitions.py) before their rows arrive; returns their names."""
    return partitions.ensure_ahead()
