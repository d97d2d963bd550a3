"""Reads of the guides: their versions (the published revisions Wagtail keeps), the
whole text of a guide for print and for an edition, what the national guide changed
since an edition was derived, and the public guide of a site type (sanitation's
checklists link to it). Each is a fixed number of queries whatever the guide's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wagtail.models import PageLogEntry, Revision

from firstline.publishing.models import GuideChapterPage, GuidePage

# Wagtail's log actions of a revision going live: at once, or at its scheduled time by
# `publish_scheduled` ("wagtail.publish.schedule" is the scheduling, not the going live).
PUBLISHED = ("wagtail.publish", "wagtail.publish.scheduled")


@dataclass(frozen=True)
class GuideVersion:
    """One published revision of a guide: when, which version, what it changed."""

    revision_id: int
    published_at: datetime
    version: str
    change_note: str


def _versions(entries) -> list[GuideVersion]:
    seen: set[int] = set()
    out = []
    for entry in entries:
        if entry.revision_id is None or entry.revision_id in seen:
            continue  # a revision published twice (republished) is one version
        seen.add(entry.revision_id)
        content = entry.revision.content or {}
        out.append(
            GuideVersion(
                revision_id=entry.revision_id,
                published_at=entry.timestamp,
                version=str(content.get("version", "")),
                change_note=str(content.get("change_note", "")),
            )
        )
    return out


def _publish_entries(guide_id: int):
    return PageLogEntry.objects.filter(
        page_id=guide_id, action__in=PUBLISHED, revision__isnull=False
    ).select_related("revision")


def guide_versions(guide: GuidePage) -> list[GuideVersion]:
    """The guide's published revisions, newest first ("版本记录"). One query."""
    return _versions(_publish_entries(guide.pk).order_by("-timestamp", "-pk"))


def guide_changes_since(guide_id: int, revision: Revision | None) -> list[GuideVersion]:
    """The guide's revisions published after `revision` (the one an edition was derived
    from), oldest first; every published one when that revision is gone. One query."""
    entries = _publish_entries(guide_id)
    if revision is not None:
        entries = entries.filter(revision_id__gt=revision.pk).exclude(revision_id=revision.pk)
    return _versions(entries.order_by("timestamp", "pk"))


def guide_chapters(guide: GuidePage) -> list[GuideChapterPage]:
    """The guide's live chapters in order, their sections in `sections`. One query."""
    return list(GuideChapterPage.objects.child_of(guide).live().order_by("path"))


def live_guide(pk: int) -> GuidePage | None:
    """A live guide by its page id, or None (drafts and other pages are not guides)."""
    return GuidePage.objects.live().filter(pk=pk).first()


def live_guides():
    """Every live guide, for an edition's choice of guide."""
    return GuidePage.objects.live().order_by("path")


def public_guide_urls() -> dict[str, dict]:
    """site type → {"title", "url", "version"} of its live public guide. One query
    (the site's root is one more, cached by Wagtail per request)."""
    out: dict[str, dict] = {}
    for guide in GuidePage.objects.live().order_by("path"):
        out.setdefault(
            guide.site_type,
            {"title": guide.title, "url": guide.url, "version": guide.version, "pk": guide.pk},
        )
    return out


def public_guide_for(site_type: str) -> dict | None:
    """The live public guide of one site type (sanitation's checklist pages link to
    it), or None when the association has not published one."""
    return public_guide_urls().get(site_type)
