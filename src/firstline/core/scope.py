"""A user's scope: what their role assignments let them see, as data.

Built once per request (ScopeMiddleware) and handed to every tenant read. The
scoped queryset filter is derived from the grants, never written in a view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q

from firstline.core.roles import ROLE_PERMISSIONS, Target


@dataclass(frozen=True)
class Grant:
    role: str
    target: str
    target_id: int | str  # division grants use the division code
    company_id: int | None = None


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @classmethod
    def empty(cls) -> Scope:
        return cls(user_id=None)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_perm(self, perm: str) -> bool:
        return any(perm in ROLE_PERMISSIONS.get(g.role, ()) for g in self.grants)

    def for_perm(self, perm: str) -> Scope:
        """The part of this scope whose roles grant `perm` (possibly empty)."""
        return Scope(
            self.user_id, tuple(g for g in self.grants if perm in ROLE_PERMISSIONS.get(g.role, ()))
        )

    def for_any_perm(self, *perms: str) -> Scope:
        """The grants whose roles have at least one of `perms`: one page that serves two
        kinds of user (a coordinator's association, a company's own stores)."""
        return Scope(
            self.user_id,
            tuple(
                g for g in self.grants if any(p in ROLE_PERMISSIONS.get(g.role, ()) for p in perms)
            ),
        )

    def ids(self, target: str) -> frozenset:
        return frozenset(g.target_id for g in self.grants if g.target == target)

    @property
    def company_ids(self) -> frozenset[int]:
        """Companies this scope touches in any way (whole company or one of its sites)."""
        return frozenset(g.company_id for g in self.grants if g.company_id is not None)

    def q(
        self,
        *,
        company: Path | None = None,
        site: Path | None = None,
        household: Path | None = None,
        division: Path | None = None,
        association: Path | None = None,
    ) -> Q | None:
        """The filter for a model whose scope paths are given; None means nothing is visible.

        Each grant reaches a row only through the path of its own target: a model that
        declares no association path is invisible to association grants, whatever the role."""
        parts: list[Q] = []
        for target, path in (
            (Target.COMPANY, company),
            (Target.SITE, site),
            (Target.HOUSEHOLD, household),
            (Target.ASSOCIATION, association),
        ):
            if path is not None and (ids := self.ids(target)):
                parts.append(_match(path, sorted(ids)))
        if division is not None:
            for code in sorted(self.ids(Target.DIVISION)):
                parts.append(_match(division, code, lookup="startswith"))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined |= part
        return combined


@dataclass(frozen=True)
class Through:
    """A scope path through a link table, as a subquery (no join, so no duplicate rows):
    `field` IN (SELECT `value` FROM `model` WHERE `key` IN ids). The model is named
    ("app.Model") and resolved when the filter is built: core imports no app.

        scope_paths = {"association": Through("company_id", "orgs.Membership",
                                              key="association_id", value="company_id")}
    """

    field: str
    model: str
    key: str
    value: str

    def q(self, ids: list) -> Q:
        link = apps.get_model(self.model)
        rows = link._default_manager.filter(**{f"{self.key}__in": ids}).values(self.value)
        return Q(**{f"{self.field}__in": rows})


# A scope path: a lookup path, a Through, or a tuple of them (a row reached by any).
Path = str | Through | tuple


def _match(path: Path, value, *, lookup: str = "in") -> Q:
    if isinstance(path, tuple):
        combined = Q()
        for one in path:
            combined |= _match(one, value, lookup=lookup)
        return combined
    if isinstance(path, Through):
        if lookup != "in":
            raise ValueError("A Through path matches ids only.")
        return path.q(value)
    return Q(**{f"{path}__{lookup}": value})
