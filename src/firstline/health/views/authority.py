"""The authority viewer's page: flagged cases (red and yellow current declarations,
open isolation cases) of the sites in its divisions, across companies by design
(DESIGN.md), masked without any reveal, and every view written to the access log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.views import generic

from firstline.core.personal.access_log import Read, access_log_record
from firstline.core.personal.masking import mask_name
from firstline.core.roles import Target
from firstline.core.views import ScopedViewMixin
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.health import selectors

PAGE_SIZE = 50
LOG_OBJECT_TYPE = "flagged_cases"
LOG_PURPOSE = "辖区重点人员查看（脱敏）"


class FlaggedList(ScopedViewMixin, generic.TemplateView):
    model = Site  # reads below go through the division selectors, not the company scope
    permission = "health.view_flagged"
    template_name = "health/flagged_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        sites = list(
            selectors.division_sites_across_companies(self.scope)
            .order_by("name", "id")
            .values_list("id", "company_id", "name")
        )
        site_ids = [pk for pk, _company, _name in sites]
        declarations = Paginator(
            selectors.flagged_declarations_across_companies(site_ids)
            .select_related("site", "resident", "household", "household__building")
            .order_by("status", "-submitted_at", "-id"),  # "red" sorts before "yellow"
            PAGE_SIZE,
        ).get_page(self.request.GET.get("dpage"))
        cases = Paginator(
            selectors.open_cases_across_companies(site_ids)
            .select_related("site", "resident", "household", "household__building", "facility")
            .order_by("state", "-start_date", "-id"),
            PAGE_SIZE,
        ).get_page(self.request.GET.get("ipage"))
        for row in [*declarations, *cases]:
            row.masked_name = mask_name(row.resident.name)
            row.masked_phone = row.resident.phone_masked or "—"
        codes = sorted(str(c) for c in self.scope.ids(Target.DIVISION))
        self.log(codes, {company for _pk, company, _name in sites})
        ctx.update(
            title=_("辖区重点人员"),
            divisions=list(
                Division.objects.filter(code__in=codes)
                .order_by("code")
                .values_list("name", flat=True)
            ),
            site_count=len(sites),
            declarations=declarations,
            cases=cases,
        )
        return ctx

    def log(self, codes: list[str], companies: set[int]) -> None:
        """One access-log row per company whose sites this page showed: each company
        sees in its own log that the authority read its flagged residents."""
        access_log_record(
            actor=self.request.user,
            reads=[
                Read(
                    company_id=company_id,
                    object_type=LOG_OBJECT_TYPE,
                    object_id=",".join(codes),
                    object_label=f"辖区 {','.join(codes)}",
                )
                for company_id in sorted(companies)
            ],
            field="flagged",
            purpose=LOG_PURPOSE,
            ip=self.request.META.get("REMOTE_ADDR"),
        )
