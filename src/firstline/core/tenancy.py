"""Tenant scoping that fails closed.

`Model.objects` on a tenant model refuses to build a queryset without a scope:
reads go through `Model.objects.for_scope(scope)`, which filters by the model's
declared scope paths and marks the queryset as scoped. The mark survives
chaining, and the base views and API router refuse any queryset without it.

System jobs that must cross tenants (scenario loading, purges, key rotation)
use `Model.all_tenants`, a plain manager whose name should make a reviewer stop.
It is declared first so Django uses it for its own internals (related lookups,
deletion cascades, migrations), where the parent row was already scoped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.fetch_modes import FETCH_ONE, FETCH_RAISE

from firstline.core.scope import Scope


class ScopeRequired(RuntimeError):
    """A tenant table was read without a scope."""


class TenantQuerySet(models.QuerySet):
    _firstline_scope: Scope | None = None

    def _clone(self):
        clone = super()._clone()
        clone._firstline_scope = self._firstline_scope
        return clone

    @property
    def scope(self) -> Scope | None:
        return self._firstline_scope


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """The manager app code uses. It answers only to `for_scope`; writes go through."""

    def get_queryset(self):
        raise ScopeRequired(
            f"{self.model.__name__}.objects needs a scope: use "
            f"{self.model.__name__}.objects.for_scope(scope)."
        )

    def for_scope(self, scope: Scope) -> TenantQuerySet:
        qs = super().get_queryset()
        if getattr(settings, "FIRSTLINE_STRICT_FETCH", False):
            # Tests: a lazy load of a relation the selector did not join raises.
            qs = qs.fetch_mode(FETCH_RAISE)
        else:
            qs = qs.fetch_mode(FETCH_ONE)
        condition = scope.q(**self.model.scope_paths)
        qs = qs.filter(condition) if condition is not None else qs.none()
        qs._firstline_scope = scope
        return qs

    def none(self) -> TenantQuerySet:
        """An empty queryset reveals nothing: forms use it before the scope is known."""
        qs = super().get_queryset().none()
        qs._firstline_scope = Scope.empty()
        return qs

    # Writes are not reads: creating rows needs no scope, services check permission first.
    def create(self, **kwargs):
        return super().get_queryset().create(**kwargs)

    def bulk_create(self, objs, **kwargs):
        return super().get_queryset().bulk_create(objs, **kwargs)


def is_scoped(qs) -> bool:
    return isinstance(qs, TenantQuerySet) and qs.scope is not None
