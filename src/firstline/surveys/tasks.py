"""Background work of the surveys: a large export of responses (CSV, XLSX or SPSS)
written by a task with a progress bar, and the purge of its files.

The page or the API starts an export (`export_enqueue`): a progress record owned by
the caller, and the task queued once the transaction commits. The task checks the
caller's right again (roles can change while it waits), counts the rows, writes the
file as the rows come from the database in chunks (the progress advances with each
chunk), puts it in the default storage under an unguessable name, and finishes with
the download link. The storage is private (no URL of its own): the file is served by
`views/exports.py` to the user who asked, while the survey is still in their scope,
and the scheduled `purge_survey_exports` deletes it after EXPORT_RETENTION_HOURS.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.models import TaskProgress
from firstline.core.progress import (
    progress_advance,
    progress_fail,
    progress_set_total,
    progress_start,
    progress_succeed,
)
from firstline.orgs.models import User
from firstline.orgs.selectors import scope_for_user
from firstline.surveys.models import Question, Response, Survey
from firstline.surveys.selectors import public, results
from firstline.surveys.services import exporting

logger = logging.getLogger(__name__)

EXPORT = "surveys.export_response"
EXPORT_KIND = "surveys.export"
EXPORT_DIR = "surveys/exports"
EXPORT_RETENTION_HOURS = 24


def export_path(progress_id, fmt: str) -> str:
    """Where an export's file is kept: named by its progress record (a random UUID)."""
    return f"{EXPORT_DIR}/{progress_id}.{fmt}"


def export_enqueue(*, actor, survey: Survey, fmt: str, labels: bool, filters: dict) -> TaskProgress:
    """Start an export of `survey`'s responses (the caller has checked the survey is in
    its scope; the task checks again when it runs)."""
    if fmt not in exporting.FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    with transaction.atomic():
        progress = progress_start(owner=actor, company=None, kind=EXPORT_KIND, total=0)
        # Which survey it is for, from the start: its pages and the API find it by that.
        progress.result = {"survey_id": survey.pk, "format": fmt}
        progress.save(update_fields=["result"])
        kwargs = {
            "progress_id": str(progress.pk),
            "survey_id": survey.pk,
            "actor_id": actor.pk,
            "fmt": fmt,
            "labels": bool(labels),
            "filters": {k: str(v)[:16] for k, v in filters.items() if k in results.FILTERS},
        }
        transaction.on_commit(lambda: _enqueue(kwargs))
    return progress


def _enqueue(kwargs: dict) -> None:
    try:
        export_run.enqueue(**kwargs)
    except Exception:
        logger.exception("could not queue the survey export %s", kwargs["progress_id"])
        progress_fail(
            progress_id=kwargs["progress_id"], message=_("导出任务无法排队，请稍后重试。")
        )


def export_target(*, survey_id: int, actor) -> tuple[Survey | None, object]:
    """The survey and the scope to export it in, if `actor` may export it now."""
    if actor is None or not actor.is_active:
        return None, None
    scope = scope_for_user(actor).for_perm(EXPORT)
    return Survey.objects.for_scope(scope).filter(pk=survey_id).first(), scope


@task()
def export_run(
    *, progress_id: str, survey_id: int, actor_id: int, fmt: str, labels: bool, filters: dict
) -> dict:
    """Write one export to the storage and finish its progress with the download link."""
    actor = User.objects.filter(pk=actor_id).first()
    survey, scope = export_target(survey_id=survey_id, actor=actor)
    if survey is None:
        progress_fail(progress_id=progress_id, message=_("您没有导出此问卷的权限。"))
        return {"rows": 0}
    try:
        responses = results.filtered(
            Response.objects.for_scope(scope).filter(survey=survey), filters
        )
        questions = [q for q in public.questions_of(survey) if q.type != Question.Type.NOTE]
        total = responses.count()
        if refused := exporting.refusal(fmt, total):
            progress_fail(progress_id=progress_id, message=refused)
            return {"rows": 0}
        progress_set_total(progress_id=progress_id, total=total)
        name = export_path(progress_id, fmt)
        with tempfile.NamedTemporaryFile(suffix=f".{fmt}") as out:
            exporting.write_file(
                out,
                fmt,
                survey=survey,
                responses=responses,
                questions=questions,
                labels=labels,
                advance=lambda n: progress_advance(progress_id=progress_id, by=n),
            )
            out.flush()
            out.seek(0)
            size = out.seek(0, 2)
            out.seek(0)
            stored = default_storage.save(name, File(out, name=name))
        exporting.export_audit(
            actor=actor, survey=survey, fmt=fmt, labels=labels, filters=filters, rows=total
        )
    except ValidationError as exc:  # rows arrived past a format's limit while writing
        progress_fail(progress_id=progress_id, message=" ".join(exc.messages))
        return {"rows": 0}
    except Exception:
        progress_fail(progress_id=progress_id, message=_("导出失败：系统错误，请稍后重试。"))
        raise
    progress_succeed(
        progress_id=progress_id,
        result={
            "message": _("已导出 %(n)d 份答卷，文件保留 %(hours)d 小时。")
            % {"n": total, "hours": EXPORT_RETENTION_HOURS},
            "redirect": reverse("surveys:export_file", args=[survey.pk, progress_id]),
            "survey_id": survey.pk,
            "format": fmt,
            "file": stored,
            "filename": exporting.export_name(survey, fmt),
            "size": size,
            "rows": total,
        },
    )
    return {"rows": total}


@task()
def purge_survey_exports(*, hours: int = EXPORT_RETENTION_HOURS) -> int:
    """Delete export files older than `hours`; returns how many went."""
    cutoff = timezone.now() - timedelta(hours=hours)
    try:
        _dirs, files = default_storage.listdir(EXPORT_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for file_name in files:
        path = f"{EXPORT_DIR}/{file_name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
        except FileNotFoundError:  # another worker's purge took it first
            continue
    return deleted
