"""The association's members registry pages: companies, their memberships and contacts.

An association sees its member companies and their aggregates (site counts),
never a resident; a company admin sees its own company."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.normalise import normalise_credit_code
from firstline.core.views import (
    HistoryMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
)
from firstline.estates import selectors
from firstline.estates.models import Site
from firstline.orgs.forms import CompanyForm
from firstline.orgs.models import Company, Membership
from firstline.orgs.services.members import company_create, company_update

# --- views ----------------------------------------------------------------------------


def _company_list(qs):
    return selectors.with_site_count_across_tenants(qs.select_related("division"))


class CompanyList(ScopedListView):
    model = Company
    permission = "orgs.view_company"
    table_template = "estates/_company_table.html"
    template_name = "estates/company_list.html"
    filters = ("status",)
    create_url_name = "company_create"
    title = _("会员企业")

    def refine_list(self, qs):
        return _company_list(qs).order_by("name")

    def search_q(self, term):
        return (
            Q(name__icontains=term)
            | Q(credit_code=normalise_credit_code(term))
            | Q(contact_name__icontains=term)
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = self.request.scope.has_perm("orgs.add_company")
        ctx["status_choices"] = Company.Status.choices
        return ctx


class CompanyDetail(HistoryMixin, ScopedDetailView):
    model = Company
    permission = "orgs.view_company"
    template_name = "estates/company_detail.html"

    def refine(self, qs):
        return _company_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["memberships"] = Membership.objects.filter(company=self.object).select_related(
            "association"
        )
        labels = dict(Site.Type.choices)
        rows = selectors.site_types_across_tenants(self.object)
        ctx["sites_by_type"] = [(labels.get(r["site_type"], r["site_type"]), r["n"]) for r in rows]
        return ctx

    def history_company_id(self, obj) -> int:
        return obj.pk  # a company's own audit rows carry its id as company_id


class CompanyCreate(ScopedCreateView):
    model = Company
    permission = "orgs.add_company"
    form_class = CompanyForm

    def act(self, form):
        data = form.cleaned_data
        return company_create(actor=self.request.user, association=data["association"], data=data)


class CompanyUpdate(ScopedUpdateView):
    model = Company
    permission = "orgs.change_company"
    form_class = CompanyForm

    def act(self, form):
        return company_update(actor=self.request.user, company=self.object, data=form.cleaned_data)
