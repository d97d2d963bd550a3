"""The association's members registry: companies, their memberships and contacts.

An association sees its member companies and their aggregates (site counts),
never a resident; a company admin sees its own company."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.roles import Target
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.core.views import (
    HistoryMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
)
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership
from firstline.orgs.validators import validate_credit_code

COMPANY_FIELDS = [
    "name",
    "credit_code",
    "division",
    "contact_name",
    "contact_phone",
    "address",
    "status",
]


# --- services -------------------------------------------------------------------------


@transaction.atomic
def company_create(*, actor, association: Association, data: dict) -> Company:
    """A new member company and its membership of `association`."""
    company = Company(**{k: data[k] for k in COMPANY_FIELDS if k in data})
    company.credit_code = company.credit_code.upper()
    company.full_clean()
    company.save()
    Membership.objects.create(
        company=company, association=association, joined_on=timezone.localdate()
    )
    audit_record(
        actor=actor,
        company_id=company.pk,
        action="create",
        obj=company,
        changes=changes_of(company, COMPANY_FIELDS),
    )
    return company


@transaction.atomic
def company_update(*, actor, company: Company, data: dict) -> Company:
    before = snapshot(company, COMPANY_FIELDS)
    for k in COMPANY_FIELDS:
        if k in data:
            setattr(company, k, data[k])
    company.credit_code = company.credit_code.upper()
    company.full_clean()
    company.save()
    audit_record(
        actor=actor,
        company_id=company.pk,
        action="update",
        obj=company,
        changes=changes_of(company, COMPANY_FIELDS, before),
    )
    return company


# --- forms ----------------------------------------------------------------------------


class CompanyForm(forms.Form):
    association = forms.ModelChoiceField(label=_("所属协会"), queryset=Association.objects.none())
    name = forms.CharField(label=_("企业名称"), max_length=128)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=18, validators=[validate_credit_code]
    )
    division = forms.ModelChoiceField(
        label=_("注册地（区）"), queryset=Division.objects.filter(level=Division.Level.DISTRICT)
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=Company.Status.choices, initial=Company.Status.ACTIVE
    )

    def __init__(self, *args, scope, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{k: getattr(instance, k) for k in COMPANY_FIELDS if k != "division"},
                    "division": instance.division_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.instance = instance
        associations = Association.objects.filter(pk__in=sorted(scope.ids(Target.ASSOCIATION)))
        self.fields["association"].queryset = associations
        if instance is not None:
            del self.fields["association"]
        elif len(scope.ids(Target.ASSOCIATION)) == 1:
            self.fields["association"].initial = next(iter(scope.ids(Target.ASSOCIATION)))
            self.fields["association"].widget = forms.HiddenInput()
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].upper()
        clash = Company.objects.filter(credit_code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("该统一社会信用代码已登记。"))
        return code


# --- views ----------------------------------------------------------------------------


def _company_list(qs):
    sites = (
        Site.all_tenants.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.select_related("division").annotate(
        site_count=Coalesce(Subquery(sites, output_field=IntegerField()), Value(0))
    )


class CompanyList(ScopedListView):
    model = Company
    permission = "orgs.view_company"
    table_template = "orgs/_company_table.html"
    template_name = "orgs/company_list.html"
    filters = ("status",)
    create_url_name = "company_create"
    title = _("会员企业")

    def refine_list(self, qs):
        return _company_list(qs).order_by("name")

    def search_q(self, term):
        return (
            Q(name__icontains=term) | Q(credit_code__iexact=term) | Q(contact_name__icontains=term)
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = self.request.scope.has_perm("orgs.add_company")
        ctx["status_choices"] = Company.Status.choices
        return ctx


class CompanyDetail(HistoryMixin, ScopedDetailView):
    model = Company
    permission = "orgs.view_company"
    template_name = "orgs/company_detail.html"

    def refine(self, qs):
        return _company_list(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["memberships"] = Membership.objects.filter(company=self.object).select_related(
            "association"
        )
        labels = dict(Site.Type.choices)
        rows = (
            Site.all_tenants.filter(company=self.object)
            .values("site_type")
            .annotate(n=Count("pk"))
            .order_by("-n")
        )
        ctx["sites_by_type"] = [(labels.get(r["site_type"], r["site_type"]), r["n"]) for r in rows]
        return ctx

    def history_company_id(self, obj) -> int:
        return obj.pk  # a company's own audit rows carry its id as company_id


class CompanyCreate(ScopedCreateView):
    model = Company
    permission = "orgs.add_company"
    form_class = CompanyForm

    def save(self, form):
        data = form.cleaned_data
        return company_create(actor=self.request.user, association=data["association"], data=data)


class CompanyUpdate(ScopedUpdateView):
    model = Company
    permission = "orgs.change_company"
    form_class = CompanyForm

    def save(self, form):
        return company_update(actor=self.request.user, company=self.object, data=form.cleaned_data)
