"""The building manager's pages: tenants (registered, exported to Excel), the
tenants' applications with approve / refuse / suspend, and the building's figures."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.services import ExportColumn
from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
    day_param,
    row_id,
)
from firstline.estates.models import Resident, Site
from firstline.resumption.forms import ApproveForm, ReasonForm, TenantAdminForm, TenantForm
from firstline.resumption.models import Application, Tenant
from firstline.resumption.selectors import figures as figures_selectors
from firstline.resumption.selectors import origins
from firstline.resumption.services import applications, tenants
from firstline.resumption.services.applications import latest_for

MANAGE = "resumption.manage_building"


def _state_of(tenant: Tenant) -> str:
    state = getattr(tenant, "latest_state", None)
    return str(Application.State(state).label) if state else str(_("未申请"))


class TenantList(ScopedListView):
    model = Tenant
    permission = MANAGE
    template_name = "resumption/tenant_list.html"
    table_template = "resumption/_tenant_table.html"
    title = _("入驻企业")
    filters = ("site",)
    create_url_name = "resumption:tenant_create"
    export_columns = (
        ExportColumn(_("楼宇"), "site.name", 20),
        ExportColumn(_("企业名称"), "name", 28),
        ExportColumn(_("统一社会信用代码"), "credit_code", 22),
        ExportColumn(_("单元"), "household.label", 14),
        ExportColumn(_("所在楼层"), "floors", 10),
        ExportColumn(_("联系人"), "contact_name", 10),
        ExportColumn(_("联系电话"), "phone_masked", 14),
        ExportColumn(_("复工状态"), _state_of, 10),
        ExportColumn(_("返岗员工"), "staff_count", 8),
    )

    def refine_list(self, qs):
        return figures_selectors.tenants_listed(qs)

    def search_q(self, term):
        return Q(name__icontains=term) | Q(credit_code__icontains=term.upper())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {
            "site": [(s.pk, s.name) for s in figures_selectors.building_sites(self.scope)]
        }
        return ctx


class TenantCreate(ServiceFormView):
    model = Tenant
    permission = MANAGE
    form_class = TenantForm
    title = _("登记入驻企业")
    cancel_url_name = "resumption:tenant_list"
    success_message = _("已登记入驻企业。")

    def act(self, form):
        data = form.cleaned_data
        return tenants.tenant_register(
            actor=self.request.user,
            building=data["building"],
            floor=data["floor"],
            room=data["room"],
            data=data,
            phone=data["phone"],
        )


class TenantDetail(HistoryMixin, ScopedDetailView):
    model = Tenant
    permission = MANAGE
    template_name = "resumption/tenant_detail.html"

    def refine(self, qs):
        return qs.select_related("site", "household__building")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        tenant = self.object
        ctx.update(
            applications=Application.objects.for_scope(self.scope)
            .filter(tenant=tenant)
            .order_by("-created_at", "-id"),
            staff=Resident.objects.for_scope(self.scope)
            .filter(household_id=tenant.household_id)
            .order_by("id"),
            passes_active=figures_selectors.tenant_passes(self.scope, tenant),
        )
        return ctx


class TenantAdminCreate(ObjectFormView):
    """开设管理账号: a login for the tenant's own admin (its application, staff, passes)."""

    model = Tenant
    permission = MANAGE
    form_class = TenantAdminForm
    title = _("为入驻企业开设管理账号")

    def act(self, form):
        d = form.cleaned_data
        _user, password = tenants.tenant_admin_create(
            actor=self.request.user, tenant=self.object, username=d["username"], name=d["name"]
        )
        messages.info(
            self.request,
            _("已开设登录账号 %(u)s，初始密码 %(p)s（只显示这一次，请转告本人）")
            % {"u": d["username"], "p": password},
        )
        return self.object


class ApplicationList(ScopedListView):
    model = Application
    permission = MANAGE
    table_template = "resumption/_application_table.html"
    title = _("复工申请")
    filters = ("site", "state")

    def refine_list(self, qs):
        return qs.select_related("site", "tenant").order_by("-created_at", "-id")

    def search_q(self, term):
        return Q(tenant__name__icontains=term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {
            "site": [(s.pk, s.name) for s in figures_selectors.building_sites(self.scope)],
            "state": Application.State.choices,
        }
        return ctx


class ApplicationDetail(HistoryMixin, ScopedDetailView):
    model = Application
    permission = MANAGE
    template_name = "resumption/application_detail.html"

    def refine(self, qs):
        return qs.select_related("site", "tenant__household__building", "decided_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            origins=origins.with_risk(self.object.origin_codes),
            manager=True,
            is_latest=latest_for(self.object.tenant) == self.object,
        )
        return ctx


class _Decide(ObjectFormView):
    model = Application
    permission = MANAGE

    def refine(self, qs):
        return qs.select_related("tenant")


class ApplicationApprove(_Decide):
    form_class = ApproveForm
    form_instance = True
    title = _("批准复工")
    success_message = _("已批准复工。")

    def act(self, form):
        return applications.application_approve(
            actor=self.request.user,
            application=self.object,
            approved_headcount=form.cleaned_data["approved_headcount"],
            conditions=form.cleaned_data["conditions"],
        )


class ApplicationRefuse(_Decide):
    form_class = ReasonForm
    title = _("不批准复工")
    success_message = _("已不批准。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "confirm_text": _("确认不批准此复工申请")}

    def act(self, form):
        return applications.application_refuse(
            actor=self.request.user, application=self.object, reason=form.cleaned_data["reason"]
        )


class ApplicationSuspend(_Decide):
    form_class = ReasonForm
    title = _("暂停复工")
    success_message = _("已暂停复工，该企业员工的通行证已注销。")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "confirm_text": _("确认暂停：该企业员工的通行证将全部注销"),
        }

    def act(self, form):
        return applications.application_suspend(
            actor=self.request.user, application=self.object, reason=form.cleaned_data["reason"]
        )


class BuildingFigures(ScopedViewMixin, generic.TemplateView):
    """楼宇复工数据: one building's tenants, staff and gate refusals."""

    model = Tenant
    permission = MANAGE
    template_name = "resumption/building_figures.html"

    def get_context_data(self, **kwargs):
        sites = list(figures_selectors.building_sites(self.scope))
        wanted = row_id(self.request.GET.get("site"))
        if wanted is not None:
            site = get_object_or_404(Site.objects.for_scope(self.scope), pk=wanted)
        elif sites:
            site = sites[0]
        else:
            raise Http404
        day = day_param(self.request.GET.get("day"))
        return super().get_context_data(
            title=_("楼宇复工数据"),
            site=site,
            sites=sites,
            day=day,
            figures=figures_selectors.building(self.scope, site, day),
            **kwargs,
        )
