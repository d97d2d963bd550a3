"""Building blocks of the health staff pages (care and screening): an id from the
request, and the resident search that the "for a resident" create pages start from.
The form pages derive from core's form views (`core.views`)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from firstline.core.views import row_id
from firstline.estates.models import Resident
from firstline.estates.selectors import resident_search_q

RESIDENT_MATCHES = 20  # a search for a resident shows at most this many


def id_param(request, name: str) -> int | None:
    """An object id named in the query string or the posted form; None when absent,
    404 when it is not a number (as for an id that does not exist)."""
    value = request.GET.get(name) or request.POST.get(name)
    if not value:
        return None
    number = row_id(value)
    if number is None:
        raise Http404
    return number


def resident_matches(residents, term: str, limit: int = RESIDENT_MATCHES) -> list[Resident]:
    """The residents (a scoped queryset) that a search term finds: name, room, the
    last four of a phone; with what the result lines show joined in."""
    if not term:
        return []
    return list(
        residents.filter(resident_search_q(term))
        .select_related("site", "household", "household__building")
        .order_by("name", "id")[:limit]
    )


class ResidentPickMixin:
    """For a create page about one resident (or their household): until `chosen()`
    returns it, GET shows a search for the resident (the shared pick page, whose
    results link back here with ?resident=) and POST is a 404."""

    pick_template = "health/resident_pick.html"

    def chosen(self):
        """The object the page is about, from its query parameters; None before a pick."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        if self.chosen() is None:
            term = request.GET.get("q", "").strip()
            found = resident_matches(Resident.objects.for_scope(self.scope), term)
            context = {"title": self.title, "query": term, "found": found}
            return render(request, self.pick_template, context)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.chosen() is None:
            raise Http404
        return super().post(request, *args, **kwargs)
