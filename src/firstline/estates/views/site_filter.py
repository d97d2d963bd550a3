"""The ?site= filter of tenant list pages (gate alerts and follow-ups, the health
lists): the scope's sites as the filter's choices, and the chosen one checked
against them, so a site outside the scope is a 404 like a site that does not exist."""

from __future__ import annotations

from django.http import Http404
from django.utils.functional import cached_property

from firstline.estates.models import Site


def scoped_sites(scope) -> list[tuple[int, str]]:
    """The sites a scope reaches, as (id, name) for a filter's choices: one query."""
    return list(Site.objects.for_scope(scope).order_by("name", "id").values_list("id", "name"))


class SiteFilterMixin:
    """For a ScopedListView: `site_filter(qs)` narrows to ?site=; the page gets the
    choices (`sites`) and the chosen value (`site_value`) for its select."""

    @cached_property
    def sites(self) -> list[tuple[int, str]]:
        return scoped_sites(self.scope)

    def site_value(self) -> str:
        return self.request.GET.get("site", "")

    def site_filter(self, qs):
        value = self.site_value()
        if not value:
            return qs
        if value not in {str(pk) for pk, _name in self.sites}:
            raise Http404
        return qs.filter(site_id=int(value))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(sites=self.sites, site_value=self.site_value())
        return ctx
