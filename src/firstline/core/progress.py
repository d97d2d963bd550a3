"""Progress of background work, for the bar on the page that started it.

A task calls the services as it goes; the page includes core/_progress.html,
which polls `task_progress` every second until the task has finished. Counters
are advanced with F() updates, so concurrent workers of one task lose nothing.
A progress row is operational state, not a business change: no audit row.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.db.models import Case, F, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from firstline.core.models import TaskProgress

Status = TaskProgress.Status
OPEN = (Status.QUEUED, Status.RUNNING)


def progress_start(*, owner, company, kind: str, total: int = 0) -> TaskProgress:
    """A new progress row for work about to be queued; only `owner` may watch it."""
    return TaskProgress.objects.create(
        owner=owner, company=company, kind=kind, total=total, status=Status.QUEUED
    )


def _open(progress_id: UUID):
    # A finished task's row is final: a late or replayed update changes nothing.
    return TaskProgress.objects.filter(pk=progress_id, status__in=OPEN)


def progress_set_total(*, progress_id: UUID, total: int) -> None:
    if total < 0:
        raise ValueError("total must not be negative")
    _open(progress_id).update(total=total, status=Status.RUNNING, updated_at=timezone.now())


def progress_advance(*, progress_id: UUID, by: int) -> None:
    """Add `by` done items, in the database; never past a known total."""
    if by < 0:
        raise ValueError("by must not be negative")
    step = F("done") + by
    _open(progress_id).update(
        done=Case(When(total__gt=0, total__lt=step, then=F("total")), default=step),
        status=Status.RUNNING,
        updated_at=timezone.now(),
    )


def progress_succeed(*, progress_id: UUID, result: dict) -> None:
    """Finish successfully. `result["message"]` is shown to the user and
    `result["redirect"]` (a path on this site) becomes a link to the outcome."""
    _open(progress_id).update(
        status=Status.SUCCEEDED,
        result=result,
        message=str(result.get("message", "")),
        done=Case(When(total__gt=0, then=F("total")), default=F("done")),
        updated_at=timezone.now(),
    )


def progress_fail(*, progress_id: UUID, message: str, result: dict | None = None) -> None:
    """Finish as failed; `result` keeps details for the page (e.g. an import's row errors)."""
    fields = {"status": Status.FAILED, "message": message, "updated_at": timezone.now()}
    if result is not None:
        fields["result"] = result
    _open(progress_id).update(**fields)


@login_required
@require_GET
def task_progress(request, pk: UUID):
    """The progress fragment, polled by itself. Someone else's task is a 404."""
    progress = get_object_or_404(TaskProgress, pk=pk, owner_id=request.user.pk)
    # Rendered without the request: a poll every second needs no shell context.
    return HttpResponse(render_to_string("core/_progress.html", {"progress": progress}))
