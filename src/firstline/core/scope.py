"""A user's scope: what their role assignments let them see, as data.

Built once per request (ScopeMiddleware) and handed to every tenant read. The
scoped queryset filter is derived from the grants, never written in a view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def ids(self, target: str) -> frozenset:
        return frozenset(g.target_id for g in self.grants if g.target == target)

    @property
    def company_ids(self) -> frozenset[int]:
        """Companies this scope touches in any way (whole company or one of its sites)."""
        return frozenset(g.company_id for g in self.grants if g.company_id is not None)

    def q(
        self,
        *,
        company: str = "company_id",
        site: str | None = None,
        household: str | None = None,
        division: str | None = None,
    ) -> Q | None:
        """The filter for a model whose scope paths are given; None means nothing is visible."""
        parts: list[Q] = []
        if companies := self.ids(Target.COMPANY):
            parts.append(Q(**{f"{company}__in": sorted(companies)}))
        if site and (sites := self.ids(Target.SITE)):
            parts.append(Q(**{f"{site}__in": sorted(sites)}))
        if household and (households := self.ids(Target.HOUSEHOLD)):
            parts.append(Q(**{f"{household}__in": sorted(households)}))
        if division and (codes := self.ids(Target.DIVISION)):
            for code in sorted(codes):
                parts.append(Q(**{f"{division}__startswith": code}))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined |= part
        return combined
