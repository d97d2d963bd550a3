"""Background tasks of the health app: re-screening every current declaration, and
the periodic `health_tick` (declared in firstline/schedule.py; `manage health_tick`
runs the same function).

A page that changed a risk list calls `rescreen_enqueue` and shows the progress bar
of the record it returns (core/_progress.html); the task advances it one step per
SQL statement and ends with the counts.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import transaction
from django.tasks import task
from django.urls import NoReverseMatch, reverse
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
from firstline.health.services.daily import daily_counts_rollup
from firstline.health.services.isolation import missed_checks_raise
from firstline.health.services.screening import rescreen

logger = logging.getLogger(__name__)

RESCREEN_KIND = "health.rescreen"


def rescreen_enqueue(*, actor, company=None, reason: str = "") -> TaskProgress:
    """A progress record for the actor, and the re-screening queued once it is
    committed (the worker must find it). `company` limits the run to one company;
    `reason` (e.g. the risk list that changed) is shown while it waits."""
    with transaction.atomic():
        progress = progress_start(owner=actor, company=company, kind=RESCREEN_KIND, total=0)
        if reason:
            TaskProgress.objects.filter(pk=progress.pk).update(
                message=_("重新筛查：%(reason)s") % {"reason": reason[:200]}
            )
        kwargs = {
            "progress_id": str(progress.pk),
            "company_id": company.pk if company is not None else None,
        }
        transaction.on_commit(lambda: _enqueue(kwargs))
    return progress


def _enqueue(kwargs: dict) -> None:
    try:
        rescreen_task.enqueue(**kwargs)
    except Exception:
        logger.exception("could not queue the re-screening %s", kwargs["progress_id"])
        progress_fail(
            progress_id=kwargs["progress_id"], message=_("重新筛查任务无法排队，请稍后重试。")
        )


def _worklist_url() -> str:
    try:
        return reverse("health:workitem_list")
    except NoReverseMatch:  # the pages are optional for the task
        return ""


@task()
def rescreen_task(
    *, progress_id: str | None = None, company_id: int | None = None, as_of: str | None = None
) -> dict:
    """Re-screen the current declarations (all companies, or one) and report the counts."""
    last = 0

    def report(done: int, total: int) -> None:
        nonlocal last
        if progress_id is None:
            return
        if last == 0:
            progress_set_total(progress_id=progress_id, total=total)
        progress_advance(progress_id=progress_id, by=done - last)
        last = done

    if progress_id is not None:
        progress_set_total(progress_id=progress_id, total=0)  # running
    try:
        counts = rescreen(
            as_of=date.fromisoformat(as_of) if as_of else None,
            company_id=company_id,
            progress=report,
        )
    except Exception:
        if progress_id is not None:
            progress_fail(progress_id=progress_id, message=_("重新筛查失败：系统错误。"))
        raise
    if progress_id is not None:
        result = {
            **counts,
            "message": _(
                "已重新筛查 %(n)d 份申报：%(changed)d 份结果有变化，"
                "红码 %(red)d，黄码 %(yellow)d，新增跟进 %(opened)d"
            )
            % {
                "n": counts["screened"],
                "changed": counts["changed"],
                "red": counts["red"],
                "yellow": counts["yellow"],
                "opened": counts["work_items_opened"],
            },
        }
        url = _worklist_url()
        if url:
            result["redirect"] = url
        progress_succeed(progress_id=progress_id, result=result)
    return counts


@task()
def health_tick() -> dict:
    """The health app's periodic job (every 5 minutes): raise the alerts of isolation
    checks missed by their deadline, and refresh yesterday's and today's per-site
    counts. Idempotent: a second run raises no alert twice and writes the same counts."""
    now = timezone.now()
    alerts = missed_checks_raise(now)
    today = timezone.localdate(now)
    rows = daily_counts_rollup([today - timedelta(days=1), today])
    return {"missed_check_alerts": alerts, "daily_count_rows": rows}
