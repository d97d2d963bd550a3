"""The authority viewer's page: flagged cases (red and yellow current declarations,
open isolation cases) of the sites in its divisions, across companies by design
(DESIGN.md), masked without any reveal, and every view written to the access log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.views import generic

from firstline.core.models import AccessLog
from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.core.views import ScopedViewMixin
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.health.models import Declaration, IsolationCase, Status
from firstline.health.services.isolation import OPEN_STATES

PAGE_SIZE = 50
LOG_OBJECT_TYPE = "flagged_cases"
LOG_PURPOSE = "辖区重点人员查看（脱敏）"


def mask_name(name: str) -> str:
    """张伟 → 张*, 欧阳娜娜 → 欧***: the family name only."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def division_sites(scope: Scope):
    """Sites whose community lies in one of the scope's divisions. Site declares no
    division scope path, so the scope's division filter is asked for with the
    community's code path here; company and site grants play no part on this page."""
    divisions = Scope(scope.user_id, tuple(g for g in scope.grants if g.target == Target.DIVISION))
    condition = divisions.q(company="company_id", division="community__code")
    if condition is None:
        return Site.all_tenants.none()
    return Site.all_tenants.filter(condition)


class FlaggedList(ScopedViewMixin, generic.TemplateView):
    model = Site  # reads below go through division_sites, not the company scope
    permission = "health.view_flagged"
    template_name = "health/flagged_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        sites = list(
            division_sites(self.scope)
            .order_by("name", "id")
            .values_list("id", "company_id", "name")
        )
        site_ids = [pk for pk, _company, _name in sites]
        declarations = Paginator(
            Declaration.all_tenants.filter(
                site_id__in=site_ids, current=True, status__in=(Status.RED, Status.YELLOW)
            )
            .select_related("site", "resident", "household", "household__building")
            .order_by("status", "-submitted_at", "-id"),  # "red" sorts before "yellow"
            PAGE_SIZE,
        ).get_page(self.request.GET.get("dpage"))
        cases = Paginator(
            IsolationCase.all_tenants.filter(site_id__in=site_ids, state__in=OPEN_STATES)
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
        AccessLog.objects.bulk_create(
            [
                AccessLog(
                    company_id=company_id,
                    actor=self.request.user,
                    object_type=LOG_OBJECT_TYPE,
                    object_id=",".join(codes)[:64],
                    object_label=f"辖区 {','.join(codes)}"[:200],
                    field="flagged",
                    purpose=LOG_PURPOSE,
                    channel="web",
                    ip=self.request.META.get("REMOTE_ADDR"),
                )
                for company_id in sorted(companies)
            ]
        )
