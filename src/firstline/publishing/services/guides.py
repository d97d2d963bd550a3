"""Writing editions of the national guides, a company's and a local association's:
derive one, edit its additions, adopt the national guide's current version (rebase).
A company's edition may derive from the edition of an association it is a member of
(the same guide); adopting then also takes the association's current additions.

An edition records the national guide's live revision it was derived from (and its
version number), so its page can list what the association published since. The
national text itself is never copied: an edition shows the guide as it is now plus
the company's own additions (plain text, escaped when shown).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.scope import Scope
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.orgs.models import Membership
from firstline.publishing.models import AssociationEdition, AuditAction, GuideEdition, GuidePage

CHANGE = "publishing.change_edition"
# A local association's editions are written by those who keep its guides: the
# association's admins and staff (core.roles grants them this right over their
# association). A right of its own would be a line in core/roles.py.
ASSOCIATION_CHANGE = "sanitation.change_guide"
ASSOCIATION_VIEW = ASSOCIATION_CHANGE
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


def _live_guide(guide_id: int) -> GuidePage | None:
    return GuidePage.objects.live().filter(pk=guide_id).select_related("live_revision").first()


def association_editions_for(scope: Scope, company_id: int, guide_id: int | None = None):
    """The editions a company's edition may derive from: those of the associations
    the company is an active member of (of one guide, when given), as the scope's
    right to write the company's editions reaches them (AssociationEdition.scope_paths)."""
    associations = Membership.objects.filter(
        company_id=company_id, status=Membership.Status.ACTIVE
    ).values("association_id")
    qs = AssociationEdition.objects.for_scope(scope.for_perm(CHANGE)).filter(
        association_id__in=associations
    )
    return qs.filter(guide_id=guide_id) if guide_id else qs


@transaction.atomic
def edition_create(
    *,
    actor,
    scope: Scope,
    company_id: int,
    guide: GuidePage,
    title: str,
    additions: str = "",
    association_edition: AssociationEdition | None = None,
) -> GuideEdition:
    """Derive the company's edition of a live national guide, based on its live
    revision; from its association's edition of that guide when one is given."""
    if company_id not in edition_companies(scope):
        raise ValidationError({"company": _("无权为该企业编写企业版指引。")})
    guide = _live_guide(guide.pk)
    if guide is None:
        raise ValidationError({"guide": _("这份指引尚未发布。")})
    if association_edition is not None and not (
        association_editions_for(scope, company_id, guide.pk)
        .filter(pk=association_edition.pk)
        .exists()
    ):
        raise ValidationError(
            {"association_edition": _("只能依据本企业所属协会的同一份指引的协会版。")}
        )
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
        association_edition=association_edition,
        association_seen_at=timezone.now() if association_edition else None,
    )
    edition.save()
    changes = changes_of(edition, FIELDS)
    changes["based_on_version"] = [None, edition.based_on_version]
    if association_edition is not None:
        changes["association_edition"] = [None, association_edition.pk]
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
    guide = _live_guide(edition.guide_id)
    if guide is None or guide.live_revision_id is None:
        raise ValidationError(_("全国版指引已下线，无法采纳。"))
    old = (edition.based_on_version, edition.based_on_revision_id)
    edition.based_on_revision = guide.live_revision
    edition.based_on_version = guide.version
    if edition.association_edition_id:  # the association's additions as they are now
        edition.association_seen_at = timezone.now()
    edition.save(
        update_fields=[
            "based_on_revision",
            "based_on_version",
            "association_seen_at",
            "updated_at",
        ]
    )
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


# --- a local association's editions -----------------------------------------------------


def association_edition_associations(scope: Scope) -> list[int]:
    """The associations the scope may write editions for (association-level grants)."""
    return sorted(scope.for_perm(ASSOCIATION_CHANGE).ids("association"))


def _association_locked(scope: Scope, edition: AssociationEdition) -> AssociationEdition:
    return (
        AssociationEdition.objects.for_scope(scope.for_perm(ASSOCIATION_CHANGE))
        .select_for_update()
        .get(pk=edition.pk)
    )


@transaction.atomic
def association_edition_create(
    *,
    actor,
    scope: Scope,
    association_id: int,
    guide: GuidePage,
    title: str,
    additions: str = "",
) -> AssociationEdition:
    """Derive the association's edition of a live national guide at its live revision."""
    if association_id not in association_edition_associations(scope):
        raise ValidationError({"association": _("无权为该协会编写协会版指引。")})
    guide = _live_guide(guide.pk)
    if guide is None:
        raise ValidationError({"guide": _("这份指引尚未发布。")})
    title, additions = _check(title=title, additions=additions)
    scoped = AssociationEdition.objects.for_scope(scope.for_perm(ASSOCIATION_CHANGE))
    if scoped.filter(association_id=association_id, guide=guide).exists():
        raise ValidationError({"guide": _("本协会已有这份指引的版本。")})
    edition = AssociationEdition.objects.create(
        association_id=association_id,
        guide=guide,
        title=title,
        additions=additions,
        based_on_revision=guide.live_revision,
        based_on_version=guide.version,
        additions_changed_at=timezone.now(),
    )
    changes = changes_of(edition, FIELDS)
    changes["based_on_version"] = [None, edition.based_on_version]
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.ASSOCIATION_EDITION_CREATE,
        obj=edition,
        changes=changes,
    )
    return edition


@transaction.atomic
def association_edition_update(
    *, actor, scope: Scope, edition: AssociationEdition, title: str, additions: str
) -> AssociationEdition:
    """Change an association edition's name and additions; its member companies'
    editions then show that the association changed them."""
    edition = _association_locked(scope, edition)
    before, old_additions = snapshot(edition, FIELDS), edition.additions
    edition.title, edition.additions = _check(title=title, additions=additions)
    fields = ["title", "additions", "updated_at"]
    if edition.additions != old_additions:
        edition.additions_changed_at = timezone.now()
        fields.append("additions_changed_at")
    edition.save(update_fields=fields)
    if changes := changes_of(edition, FIELDS, before):
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.ASSOCIATION_EDITION_UPDATE,
            obj=edition,
            changes=changes,
        )
    return edition


@transaction.atomic
def association_edition_rebase(
    *, actor, scope: Scope, edition: AssociationEdition
) -> AssociationEdition:
    """Adopt the national guide's current live version for the association's edition."""
    edition = _association_locked(scope, edition)
    guide = _live_guide(edition.guide_id)
    if guide is None or guide.live_revision_id is None:
        raise ValidationError(_("全国版指引已下线，无法采纳。"))
    old = (edition.based_on_version, edition.based_on_revision_id)
    edition.based_on_revision = guide.live_revision
    edition.based_on_version = guide.version
    edition.save(update_fields=["based_on_revision", "based_on_version", "updated_at"])
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.ASSOCIATION_EDITION_REBASE,
        obj=edition,
        changes={
            "based_on_version": [old[0], edition.based_on_version],
            "based_on_revision": [old[1], edition.based_on_revision_id],
        },
    )
    return edition
