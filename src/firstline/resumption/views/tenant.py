"""The tenant admin's pages: its unit's page (application, staff, passes), the
application form and submission, adding staff one by one or from a workbook, and
issuing passes. Each is about the tenant (the grant's unit): another's is 404."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.access.models import Pass
from firstline.core.importing import ImportRejected
from firstline.core.views import ObjectFormView, ScopedDetailView, ScopedViewMixin
from firstline.estates.models import Resident
from firstline.resumption.forms import (
    ApplicationForm,
    PassesForm,
    StaffForm,
    StaffImportForm,
    SubmitForm,
)
from firstline.resumption.models import Application, Tenant
from firstline.resumption.selectors import origins
from firstline.resumption.services import applications, staff
from firstline.resumption.services.applications import latest_for

ACT = "resumption.act_tenant"


class Mine(ScopedViewMixin, generic.View):
    """The tenant admin's entry: its (first) unit's page."""

    model = Tenant
    permission = ACT

    def get(self, request, *args, **kwargs):
        tenant = self.get_queryset().order_by("id").first()
        if tenant is None:
            raise Http404
        return redirect("resumption:tenant_home", tenant.pk)


class TenantHome(ScopedDetailView):
    model = Tenant
    permission = ACT
    template_name = "resumption/tenant_home.html"

    def refine(self, qs):
        return qs.select_related("site", "household__building")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        tenant = self.object
        application = latest_for(tenant)
        people = list(
            Resident.objects.for_scope(self.scope)
            .filter(household_id=tenant.household_id)
            .order_by("id")
        )
        passes = {
            p.resident_id: p
            for p in Pass.objects.for_scope(self.scope)
            .filter(household_id=tenant.household_id, kind=Pass.Kind.RESIDENT)
            .order_by("valid_from", "id")
        }
        active = staff.active_passes(tenant)
        ctx.update(
            application=application,
            origins=origins.with_risk(application.origin_codes) if application else [],
            staff=[(r, passes.get(r.pk)) for r in people],
            passes_active=active.count(),
            approved=application is not None and application.state == Application.State.APPROVED,
            can_apply=application is None or application.state == Application.State.REFUSED,
        )
        return ctx


class _TenantForm(ObjectFormView):
    model = Tenant
    permission = ACT

    def refine(self, qs):
        return qs.select_related("site", "household")

    def cancel_url(self) -> str:
        return self.home()

    def home(self) -> str:
        from django.urls import reverse

        return reverse("resumption:tenant_home", args=[self.object.pk])


class ApplicationEdit(_TenantForm):
    """The tenant's draft: new (none yet, or the last was refused) or edited."""

    form_class = ApplicationForm
    title = _("复工申请")
    success_message = _("复工申请已保存为草稿，确认无误后请提交。")

    def draft(self) -> Application | None:
        current = latest_for(self.object)
        return current if current and current.state == Application.State.DRAFT else None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if (draft := self.draft()) is not None:
            kwargs["instance"] = draft
        return kwargs

    def act(self, form):
        data = form.cleaned_data
        applications.application_save(
            actor=self.request.user,
            tenant=self.object,
            application=self.draft(),
            data=data,
            plan_file=data.get("plan_file") or None,
        )
        return self.home()


class ApplicationSubmit(_TenantForm):
    form_class = SubmitForm
    title = _("提交复工申请")
    success_message = _("已提交，等待楼宇管理方审批。")

    def act(self, form):
        draft = latest_for(self.object)
        if draft is None:
            raise Http404
        applications.application_submit(actor=self.request.user, application=draft)
        return self.home()


class StaffAdd(_TenantForm):
    form_class = StaffForm
    title = _("登记返岗员工")
    success_message = _("已登记。")

    def act(self, form):
        data = form.cleaned_data
        staff.staff_register(
            actor=self.request.user,
            tenant=self.object,
            name=data["name"],
            phone=data["phone"],
            id_number=data["id_number"],
        )
        return self.home()


class StaffImport(_TenantForm):
    form_class = StaffImportForm
    title = _("批量登记返岗员工")
    template_name = "resumption/staff_import.html"

    def act(self, form):
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "staff.xlsx"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                added = staff.staff_import(actor=self.request.user, tenant=self.object, path=path)
            except ImportRejected as exc:
                self.rejection = exc
                from django.core.exceptions import ValidationError

                raise ValidationError(exc.message) from exc
        self.success_message = _gettext("已登记 %(n)d 名返岗员工。") % {"n": added}
        return self.home()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rejection = getattr(self, "rejection", None)
        ctx["result"] = rejection.as_result() if rejection else None
        return ctx


class StaffTemplate(ScopedViewMixin, generic.View):
    model = Tenant
    permission = ACT

    def get(self, request, *args, **kwargs):
        response = HttpResponse(
            staff.template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="staff-template.xlsx"'
        return response


class PassesIssue(_TenantForm):
    form_class = PassesForm
    title = _("发放通行证")

    def act(self, form):
        result = staff.passes_issue(actor=self.request.user, tenant=self.object)
        message = _gettext("已发放 %(n)d 张通行证。") % {"n": result.issued}
        if result.over_cap:
            message += _gettext("另有 %(n)d 名员工超出核准人数，未发放。") % {"n": result.over_cap}
        messages.info(self.request, message)
        return self.home()
