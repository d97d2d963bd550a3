"""The coordinator's page bases: the scoped base views (core/views.py) over the
association's rows. `permission` is an association role's (supplies.view_all to
read, supplies.coordinate to act): anyone else gets 403, and a row of another
association is 404, because every queryset starts from `for_scope` and the
association models declare the association's path."""

from __future__ import annotations

from django.urls import reverse
from django.views import generic

from firstline.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin, ServiceFormView
from firstline.supplies.selectors.coordination import COORDINATE, VIEW_ALL, associations_for


class CoordinatorMixin:
    """The coordinator's side: which association new rows go to, and whether the user
    may act (the page offers the buttons only then)."""

    permission = VIEW_ALL

    @property
    def association_id(self) -> int:
        """Where new rows go: the (first) association the coordinator acts for."""
        return min(associations_for(self.request.scope, self.permission))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_coordinate"] = bool(associations_for(self.request.scope, COORDINATE))
        return ctx


class CoordinatorList(CoordinatorMixin, ScopedListView):
    """A list on core/list.html; `filter_choices` feeds its filter selects, and the
    create button shows to those who may coordinate."""

    def filter_choices(self) -> dict:
        return {}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            filter_choices=self.filter_choices(),
            can_create=bool(self.create_url_name) and ctx["can_coordinate"],
        )
        return ctx


class CoordinatorDetail(CoordinatorMixin, ScopedDetailView):
    pass


class CoordinatorAction(CoordinatorMixin, ScopedViewMixin, generic.View):
    """A POST that acts on one row of the scope (`self.get_queryset()`)."""

    permission = COORDINATE
    http_method_names = ["post"]


class CoordinatorForm(CoordinatorMixin, ServiceFormView):
    """GET shows the form (its choices limited to the scope), POST calls the service."""

    permission = COORDINATE
    cancel_url_name = "dashboard"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=self.title, cancel_url=reverse(self.cancel_url_name))
        return ctx
