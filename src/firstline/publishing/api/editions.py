"""Editions of the national guides over the API (read): a company's own editions
(`publishing.view_edition`) and a local association's (its guide keepers' right,
services/guides.py). Another company's or association's edition answers 404; a list
holds only the caller's. Each says which national version it is based on and which
published since (the changes it has not adopted); a company's edition names the
association edition it derives from and whether the association changed it since."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from pydantic import Field

from firstline.core.api import Schema, ScopedRouter
from firstline.publishing.models import AssociationEdition, GuideEdition
from firstline.publishing.selectors.guides import guide_changes_since
from firstline.publishing.services.guides import ASSOCIATION_VIEW

router = ScopedRouter(tags=["publishing"])


class ChangeOut(Schema):
    version: str
    published_at: datetime
    change_note: str


class _EditionOut(Schema):
    id: int
    guide_id: int
    guide_title: str
    national_version: str = Field(description="The national guide's current version")
    title: str
    additions: str
    based_on_version: str = Field(description="The national version this edition is based on")
    updated_at: datetime

    @staticmethod
    def resolve_guide_title(obj) -> str:
        return obj.guide.title

    @staticmethod
    def resolve_national_version(obj) -> str:
        return obj.guide.version


class EditionOut(_EditionOut):
    company_id: int
    association_edition_id: int | None = Field(
        description="The local association's edition this one derives from, if any"
    )
    association_changed: bool = Field(
        description="The association changed its additions after this edition adopted them"
    )

    @staticmethod
    def resolve_association_changed(obj) -> bool:
        parent = obj.association_edition
        return bool(
            parent
            and parent.additions_changed_at
            and (
                obj.association_seen_at is None
                or parent.additions_changed_at > obj.association_seen_at
            )
        )


class EditionDetailOut(EditionOut):
    association_additions: str = Field(description="The association edition's additions")
    changes: list[ChangeOut] = Field(description="National versions published since, oldest first")

    @staticmethod
    def resolve_association_additions(obj) -> str:
        return obj.association_edition.additions if obj.association_edition else ""

    @staticmethod
    def resolve_changes(obj):
        return guide_changes_since(obj.guide_id, obj.based_on_revision)


class AssociationEditionOut(_EditionOut):
    association_id: int


class AssociationEditionDetailOut(AssociationEditionOut):
    changes: list[ChangeOut] = Field(description="National versions published since, oldest first")

    @staticmethod
    def resolve_changes(obj):
        return guide_changes_since(obj.guide_id, obj.based_on_revision)


def _search(term: str) -> Q:
    return Q(title__icontains=term) | Q(guide__title__icontains=term)


router.scoped_list(
    "/editions",
    GuideEdition,
    "publishing.view_edition",
    EditionOut,
    refine=lambda qs: qs.select_related("guide", "association_edition").order_by(
        "guide__path", "pk"
    ),
    search=_search,
    noun="company editions of the guides",
)
router.scoped_detail(
    "/editions/{int:pk}",
    GuideEdition,
    "publishing.view_edition",
    EditionDetailOut,
    refine=lambda qs: qs.select_related("guide", "association_edition", "based_on_revision"),
    noun="company edition of a guide",
)
router.scoped_list(
    "/association-editions",
    AssociationEdition,
    ASSOCIATION_VIEW,
    AssociationEditionOut,
    refine=lambda qs: qs.select_related("guide").order_by("guide__path", "pk"),
    search=_search,
    noun="local associations' editions of the guides",
)
router.scoped_detail(
    "/association-editions/{int:pk}",
    AssociationEdition,
    ASSOCIATION_VIEW,
    AssociationEditionDetailOut,
    refine=lambda qs: qs.select_related("guide", "based_on_revision"),
    noun="local association's edition of a guide",
)
