"""Background tasks of the estates app, and the service that queues the import.

The import runs as a task because a large sheet takes seconds: the page shows
its progress bar (core.progress) and, when it ends, either a link to the
imported residents or the list of problems found.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils.translation import gettext as _

from firstline.core.importing import ImportRejected
from firstline.core.models import TaskProgress
from firstline.core.progress import (
    progress_advance,
    progress_fail,
    progress_set_total,
    progress_start,
    progress_succeed,
)
from firstline.core.roles import Target
from firstline.estates.models import Site
from firstline.estates.services.importing import residents_import
from firstline.estates.services.onboarding import IMPORTERS, Importer
from firstline.orgs.models import Association, Company, User
from firstline.orgs.selectors import scope_for_user

logger = logging.getLogger(__name__)

IMPORT_KIND = "estates.import_residents"
IMPORT_PERMISSION = "estates.import_resident"


def upload_dir() -> Path:
    return Path(settings.VAR_DIR) / "uploads"


def upload_save(upload: UploadedFile) -> Path:
    """Keep an upload for the worker under a name of our choosing, never the user's."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}.xlsx"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def resident_import_enqueue(
    *, actor: User, site: Site, upload: UploadedFile, add_rooms: bool = False
) -> TaskProgress:
    """Save the upload, create its progress record and queue the import once that
    record is committed (the worker must find it). The caller has checked that the
    actor may import into the site; the task checks again when it runs."""
    path = upload_save(upload)
    try:
        with transaction.atomic():
            company = Company.objects.only("pk").get(pk=site.company_id)
            progress = progress_start(owner=actor, company=company, kind=IMPORT_KIND, total=0)
            kwargs = {
                "progress_id": str(progress.pk),
                "upload_path": str(path),
                "site_id": site.pk,
                "actor_id": actor.pk,
                "file_name": upload.name[:200],
                "add_rooms": add_rooms,
            }
            transaction.on_commit(lambda: _enqueue(kwargs))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return progress


def _enqueue(kwargs: dict) -> None:
    try:
        import_residents.enqueue(**kwargs)
    except Exception:
        # The upload is kept by nobody now: say so on the page instead of spinning forever.
        logger.exception("could not queue the resident import %s", kwargs["progress_id"])
        Path(kwargs["upload_path"]).unlink(missing_ok=True)
        progress_fail(
            progress_id=kwargs["progress_id"], message=_("导入任务无法排队，请稍后重试。")
        )


def _fail_with(*, progress_id: str, message: str, result: dict) -> None:
    """Fail, keeping the list of problems for the import page."""
    progress_fail(progress_id=progress_id, message=message, result=result)


def import_page_url(progress_id: str) -> str:
    return f"{reverse('estates:resident_import')}?progress={progress_id}"


def _target(*, site_id: int, actor_id: int) -> tuple[Site, User]:
    """The site, if the actor may still import into it (roles can change while queued)."""
    actor = User.objects.filter(pk=actor_id, is_active=True).first()
    scope = scope_for_user(actor).for_perm(IMPORT_PERMISSION)
    site = Site.objects.for_scope(scope).filter(pk=site_id).first() if actor else None
    if site is None:
        raise ImportRejected(_("您没有向该项目导入居民的权限。"))
    return site, actor


@task()
def import_residents(
    *,
    progress_id: str,
    upload_path: str,
    site_id: int,
    actor_id: int,
    file_name: str = "",
    add_rooms: bool = False,
) -> dict:
    """Import one uploaded workbook into one site, all rows or none."""
    path = Path(upload_path)
    ours = path.resolve().parent == upload_dir().resolve()  # never read or delete anything else
    progress_set_total(progress_id=progress_id, total=0)  # running: the sheet is being read
    try:
        if not ours:
            raise ImportRejected(_("上传文件不存在。"))
        site, actor = _target(site_id=site_id, actor_id=actor_id)
        count = residents_import(
            actor=actor,
            site=site,
            path=path,
            file_name=file_name,
            add_rooms=add_rooms,
            set_total=lambda n: progress_set_total(progress_id=progress_id, total=n),
            advance=lambda n: progress_advance(progress_id=progress_id, by=n),
        )
    except ImportRejected as exc:
        result = {**exc.as_result(), "redirect": import_page_url(progress_id)}
        _fail_with(progress_id=progress_id, message=exc.message, result=result)
        return {"imported": 0, "error_count": result["error_count"]}
    except Exception:
        progress_fail(progress_id=progress_id, message=_("导入失败：系统错误，未导入任何数据。"))
        raise
    finally:
        if ours:  # the sheet holds personal data: keep it no longer than needed
            path.unlink(missing_ok=True)
    progress_succeed(
        progress_id=progress_id,
        result={
            "message": _("已导入 %(n)d 名居民") % {"n": count},
            "redirect": f"{reverse('estates:resident_list')}?site={site.pk}",
        },
    )
    return {"imported": count}


# --- bulk onboarding: every importer of services/onboarding through one task ----------


def import_target(*, importer: Importer, target_id: int, actor: User | None):
    """The association or site the import writes into, if the actor may import there
    now (roles can change while an import is queued); None otherwise."""
    if actor is None or not actor.is_active:
        return None
    scope = scope_for_user(actor).for_perm(importer.permission)
    if importer.target == "association":
        if target_id not in scope.ids(Target.ASSOCIATION):
            return None
        return Association.objects.filter(pk=target_id).first()
    return Site.objects.for_scope(scope).filter(pk=target_id).first()


def import_enqueue(
    *, importer: Importer, actor: User, target, upload: UploadedFile, options: dict | None = None
) -> TaskProgress:
    """Save the upload, start its progress record and queue `run_import` on commit.
    The caller has checked the target; the task checks again when it runs."""
    path = upload_save(upload)
    try:
        with transaction.atomic():
            company = (
                Company.objects.only("pk").get(pk=target.company_id)
                if importer.target == "site"
                else None
            )
            progress = progress_start(owner=actor, company=company, kind=importer.kind, total=0)
            kwargs = {
                "progress_id": str(progress.pk),
                "upload_path": str(path),
                "slug": importer.slug,
                "target_id": target.pk,
                "actor_id": actor.pk,
                "file_name": upload.name[:200],
                "options": {
                    k: bool(v) for k, v in (options or {}).items() if k in importer.options
                },
            }
            transaction.on_commit(lambda: _enqueue_onboarding(kwargs))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return progress


def _enqueue_onboarding(kwargs: dict) -> None:
    try:
        run_import.enqueue(**kwargs)
    except Exception:
        logger.exception("could not queue the %s import %s", kwargs["slug"], kwargs["progress_id"])
        Path(kwargs["upload_path"]).unlink(missing_ok=True)
        progress_fail(
            progress_id=kwargs["progress_id"], message=_("导入任务无法排队，请稍后重试。")
        )


def onboarding_page_url(slug: str, progress_id: str) -> str:
    return f"{reverse('estates:onboarding_import', args=[slug])}?progress={progress_id}"


def _done_url(importer: Importer, target) -> str:
    if importer.target == "association":
        return reverse("company_list")
    names = {"rooms": "household_list", "staff": "staff_list", "residents": "resident_list"}
    return f"{reverse('estates:' + names[importer.slug])}?site={target.pk}"


@task()
def run_import(
    *,
    progress_id: str,
    upload_path: str,
    slug: str,
    target_id: int,
    actor_id: int,
    file_name: str = "",
    options: dict | None = None,
) -> dict:
    """Run one onboarding import, all rows or none, and record its outcome."""
    importer = IMPORTERS[slug]
    path = Path(upload_path)
    ours = path.resolve().parent == upload_dir().resolve()  # never read or delete anything else
    progress_set_total(progress_id=progress_id, total=0)
    try:
        if not ours:
            raise ImportRejected(_("上传文件不存在。"))
        actor = User.objects.filter(pk=actor_id).first()
        target = import_target(importer=importer, target_id=target_id, actor=actor)
        if target is None:
            raise ImportRejected(_("您没有执行此导入的权限。"))
        outcome = importer.run(
            actor=actor,
            target=target,
            path=path,
            file_name=file_name,
            set_total=lambda n: progress_set_total(progress_id=progress_id, total=n),
            advance=lambda n: progress_advance(progress_id=progress_id, by=n),
            **{k: v for k, v in (options or {}).items() if k in importer.options},
        )
    except ImportRejected as exc:
        result = {**exc.as_result(), "redirect": onboarding_page_url(slug, progress_id)}
        _fail_with(progress_id=progress_id, message=exc.message, result=result)
        return {"imported": 0, "error_count": result["error_count"]}
    except Exception:
        progress_fail(progress_id=progress_id, message=_("导入失败：系统错误，未导入任何数据。"))
        raise
    finally:
        if ours:  # rosters hold personal data: keep them no longer than needed
            path.unlink(missing_ok=True)
    progress_succeed(
        progress_id=progress_id,
        result={
            "message": outcome.message,
            "counts": outcome.counts,
            "redirect": _done_url(importer, target),
        },
    )
    return {"imported": outcome.counts}
