"""Writing a company's editions of the national guides: derive one, edit its
additions, adopt the national guide's current version (rebase).

An edition records the national guide's live revision it was derived from (and its
version number), so its page can list what the association published since. The
national text itself is never copied: an edition shows the guide as it is now plus
the company's own additions (plain text, escaped when shown).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from firstline.core.scope import Scope
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.publishing.models import AuditAction, GuideEdition, GuidePage

CHANGE = "publishing.change_edition"
FIELDS = ["title", "additions"]
ADDITIONS_MAX = 20_000


def edition_companies(scope: Scope) -> list[int]:
    """The companies the scope may write editions for (company-level grants)."""
    return sorted(scope.for_perm(CHANGE).ids("company"))


def _check(*, title: str, additions: str) -> tuple[str, str]:
    title, additions = (title or "").strip(), (additions or "").replace("\r\n", "\n").strip()
    errors = {}
    if not title:
        errors["title"] = _("请填写版本名称。")
    elif len(title) > 120:
        errors["title"] = _("版本名称不超过 120 个字。")
    if len(additions) > ADDITIONS_MAX:
        errors["additions"] = _("补充要求不超过 %(n)s 个字。") % {"n": ADDITIONS_MAX}
    if "\x00" in title or "\x00" in additions:
        errors["additions" if "\x00" in additions else "title"] = _("含有不允许的字符。")
    if errors:
        raise ValidationError(errors)
    return title, additions


def _locked(scope: Scope, edition: GuideEdition) -> GuideEdition:
    """The edition again, locked, within the scope of the right to change it."""
    return (
        GuideEdition.objects.for_scope(scope.for_perm(CHANGE))
        .select_for_update()
        .get(pk=edition.pk)
    )


@transaction.atomic
def edition_create(
    *, actor, scope: Scope, company_id: int, guide: GuidePage, title: str, additions: str = ""
) -> GuideEdition:
    """Derive the company's edition of a live national guide, based on its live revision."""
    if company_id not in edition_companies(scope):
        raise ValidationError({"company": _("无权为该企业编写企业版指引。")})
    guide = GuidePage.objects.live().filter(pk=guide.pk).select_related("live_revision").first()
    if guide is None:
        raise ValidationError({"guide": _("这份指引尚未发布。")})
    title, additions = _check(title=title, additions=additions)
    scoped = GuideEdition.objects.for_scope(scope.for_perm(CHANGE))
    if scoped.filter(company_id=company_id, guide=guide).exists():
        raise ValidationError({"guide": _("本企业已有这份指引的版本。")})
    edition = GuideEdition(
        company_id=company_id,
        guide=guide,
        title=title,
        additions=additions,
        based_on_revision=guide.live_revision,
        based_on_version=guide.version,
    )
    edition.save()
    changes = changes_of(edition, FIELDS)
    changes["based_on_version"] = [None, edition.based_on_version]
    audit_record(
        actor=actor,
        company_id=company_id,
        action=AuditAction.EDITION_CREATE,
        obj=edition,
        changes=changes,
    )
    return edition


@transaction.atomic
def edition_update(
    *, actor, scope: Scope, edition: GuideEdition, title: str, additions: str
) -> GuideEdition:
    """Change an edition's name and additions."""
    edition = _locked(scope, edition)
    before = snapshot(edition, FIELDS)
    edition.title, edition.additions = _check(title=title, additions=additions)
    edition.save(update_fields=["title", "additions", "updated_at"])
    if changes := changes_of(edition, FIELDS, before):
        audit_record(
            actor=actor,
            company_id=edition.company_id,
            action=AuditAction.EDITION_UPDATE,
            obj=edition,
            changes=changes,
        )
    return edition


@transaction.atomic
def edition_rebase(*, actor, scope: Scope, edition: GuideEdition) -> GuideEdition:
    """Adopt the national guide's current live version: the edition is then based on
    it, and the list of national changes since is empty until the next one."""
    edition = _locked(scope, edition)
    guide = (
        GuidePage.objects.live().filter(pk=edition.guide_id).select_related("live_revision").first()
    )
    if guide is None or guide.live_revision_id is None:
        raise ValidationError(_("全国版指引已下线，无法采纳。"))
    old = (edition.based_on_version, edition.based_on_revision_id)
    edition.based_on_revision = guide.live_revision
    edition.based_on_version = guide.version
    edition.save(update_fields=["based_on_revision", "based_on_version", "updated_at"])
    audit_record(
        actor=actor,
        company_id=edition.company_id,
        action=AuditAction.EDITION_REBASE,
        obj=edition,
        changes={
            "based_on_version": [old[0], edition.based_on_version],
            "based_on_revision": [old[1], edition.based_on_revision_id],
        },
    )
    return edition
