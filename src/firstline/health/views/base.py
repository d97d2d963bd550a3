"""Building blocks of the health staff pages (care and screening): the service form
view (core's) about one scoped object, and the
resident search that the "for a resident" create pages start from."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.functional import cached_property

from firstline.core.views import ServiceFormView
from firstline.estates.models import Resident
from firstline.estates.selectors import resident_search_q

RESIDENT_MATCHES = 20  # a search for a resident shows at most this many


class ObjectFormView(ServiceFormView):
    """A form about one scoped object (?pk in the URL). The object is looked up in
    the scope of the view's permission: outside it, 404."""

    @cached_property
    def object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(object=self.object, title=self.title, cancel_url=self.object.get_absolute_url())
        return ctx


def id_param(request, name: str) -> int | None:
    """An object id named in the query string or the posted form; None when absent,
    404 when it is not a number (as for an id that does not exist)."""
    value = request.GET.get(name) or request.POST.get(name)
    if not value:
        return None
    if not str(value).isdigit():
        raise Http404
    return int(value)


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
