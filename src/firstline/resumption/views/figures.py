"""The association's figures: buildings and tenants of its members back at work."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.views import ScopedViewMixin
from firstline.resumption.models import Application
from firstline.resumption.selectors import figures as figures_selectors


class AssociationFigures(ScopedViewMixin, generic.TemplateView):
    model = Application
    permission = "resumption.view_figures"
    template_name = "resumption/association_figures.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("写字楼与商业复工"),
            figures=figures_selectors.association(self.scope),
            **kwargs,
        )
