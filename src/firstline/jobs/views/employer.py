"""The employer's pages (a member company's admin): register for a fair and keep its
booth, post positions and interview slots, and deal with the applications to its own
positions only - another employer's application, position or CV is 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.personal.fields import get_personal
from firstline.core.services import ExportColumn, local_time, yes_no
from firstline.core.views import ObjectFormView, ScopedDetailView, ScopedListView, ScopedViewMixin
from firstline.jobs.forms import BoothForm, InviteForm, MoveForm, PositionForm, SlotForm
from firstline.jobs.models import Application, Employer, Fair, Interview, InterviewSlot, Position
from firstline.jobs.selectors import people
from firstline.jobs.services import applications, fairs
from firstline.jobs.services.applications import free_slots
from firstline.orgs.models import Company

EMPLOY = people.EMPLOY
REVEAL = "people.reveal"


class EmployerHome(ScopedListView):
    """The company's registrations, and the association's fairs it may register for."""

    model = Employer
    permission = EMPLOY
    title = _("网络招聘会")
    template_name = "jobs/employer_home.html"
    table_template = "jobs/_employer_table.html"

    def refine_list(self, qs):
        return qs.select_related("fair")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        registered = set(Employer.objects.for_scope(self.scope).values_list("fair_id", flat=True))
        ctx["fairs"] = [
            f
            for f in Fair.objects.for_scope(self.scope)
            .filter(published=True)
            .order_by("-starts_on")[:20]
            if f.pk not in registered
        ]
        return ctx


class Register(ObjectFormView):
    model = Fair
    permission = EMPLOY
    form_class = BoothForm
    title = _("报名参会")
    success_message = _("已报名，等待协会审核。")

    def refine(self, qs):
        return qs.filter(published=True)

    def cancel_url(self) -> str:
        return reverse("jobs:employer_home")

    def act(self, form):
        company_ids = people.employer_company_ids(self.scope)
        if not company_ids:
            raise Http404
        company = Company.objects.get(pk=company_ids[0])
        fairs.employer_register(
            actor=self.request.user, company=company, fair=self.object, data=form.cleaned_data
        )
        return "jobs:employer_home"


class BoothEdit(ObjectFormView):
    model = Employer
    permission = EMPLOY
    form_class = BoothForm
    form_instance = True
    title = _("展位信息")

    def cancel_url(self) -> str:
        return reverse("jobs:employer_home")

    def act(self, form):
        fairs.employer_update(actor=self.request.user, employer=self.object, data=form.cleaned_data)
        return "jobs:employer_home"


class PositionList(ScopedListView):
    model = Position
    permission = EMPLOY
    title = _("本企业职位")
    table_template = "jobs/_position_table.html"
    search_fields = ("title__icontains", "city__icontains")
    filters = ("state",)

    def refine_list(self, qs):
        return qs.select_related("employer", "fair")


class PositionCreate(ObjectFormView):
    model = Employer
    permission = EMPLOY
    form_class = PositionForm
    title = _("发布职位")
    success_message = _("职位已发布。")

    def cancel_url(self) -> str:
        return reverse("jobs:position_list")

    def act(self, form):
        fairs.position_save(actor=self.request.user, employer=self.object, data=form.cleaned_data)
        return "jobs:position_list"


class PositionEdit(ObjectFormView):
    model = Position
    permission = EMPLOY
    form_class = PositionForm
    form_instance = True
    title = _("编辑职位")
    template_name = "jobs/position_edit.html"

    def refine(self, qs):
        return qs.select_related("employer")

    def cancel_url(self) -> str:
        return reverse("jobs:position_list")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["slots"] = list(
            InterviewSlot.objects.for_scope(self.scope).filter(position_id=self.object.pk)
        )
        return ctx

    def act(self, form):
        fairs.position_save(
            actor=self.request.user,
            employer=self.object.employer,
            position=self.object,
            data=form.cleaned_data,
        )
        return "jobs:position_list"


class SlotCreate(ObjectFormView):
    model = Position
    permission = EMPLOY
    form_class = SlotForm
    title = _("新增面试时段")
    success_message = _("面试时段已添加。")

    def cancel_url(self) -> str:
        return reverse("jobs:position_edit", args=[self.object.pk])

    def act(self, form):
        applications.slot_create(actor=self.request.user, position=self.object, **form.cleaned_data)
        return self.cancel_url()


def _phone(request):
    """The applicant's phone in an export: masked unless the exporter may reveal."""
    if request.scope.has_perm(REVEAL):
        return lambda a: get_personal(a.graduate, "phone")
    return lambda a: a.graduate.phone_masked


class ApplicationList(ScopedListView):
    """Applications to the company's own positions; the export holds only graduates
    who applied and consented to sharing (every row here applied)."""

    model = Application
    permission = EMPLOY
    title = _("求职申请")
    table_template = "jobs/_application_table.html"
    filters = ("state", "position")
    search_fields = ("graduate__name__icontains", "position__title__icontains")

    def refine_list(self, qs):
        qs = people.employer_applications(qs)
        if self.request.GET.get("export"):
            qs = qs.filter(graduate__consent=True)
        return qs

    @property
    def export_columns(self):
        return (
            ExportColumn(str(_("姓名")), "graduate.name"),
            ExportColumn(str(_("学校")), "graduate.school", 20),
            ExportColumn(str(_("专业")), "graduate.major", 20),
            ExportColumn(str(_("毕业年份")), "graduate.graduation_year"),
            ExportColumn(str(_("手机号")), _phone(self.request)),
            ExportColumn(str(_("职位")), "position.title", 20),
            ExportColumn(str(_("状态")), "get_state_display"),
            ExportColumn(str(_("投递时间")), lambda a: local_time(a.created_at), 18),
            ExportColumn(str(_("有简历")), lambda a: yes_no(bool(a.graduate.cv_name))),
        )


class ApplicationDetail(ScopedDetailView):
    model = Application
    permission = EMPLOY
    template_name = "jobs/application_detail.html"

    def refine(self, qs):
        return people.employer_applications(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["interview"] = (
            Interview.objects.for_scope(self.scope)
            .filter(application_id=self.object.pk)
            .select_related("slot")
            .first()
        )
        ctx["free_slots"] = list(free_slots(self.object))
        return ctx


class _ApplicationForm(ObjectFormView):
    model = Application
    permission = EMPLOY

    def refine(self, qs):
        return people.employer_applications(qs)

    def cancel_url(self) -> str:
        return reverse("jobs:application_detail", args=[self.object.pk])


class ApplicationMove(_ApplicationForm):
    form_class = MoveForm
    title = _("处理求职申请")

    def act(self, form):
        data = form.cleaned_data
        applications.application_move(
            actor=self.request.user,
            application=self.object,
            state=data["state"],
            note=data.get("note") or "",
            offer_salary=data.get("offer_salary"),
        )
        return self.cancel_url()


class ApplicationInvite(_ApplicationForm):
    form_class = InviteForm
    title = _("邀请面试")
    success_message = _("已邀请面试。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "slots": free_slots(self.object)}

    def act(self, form):
        applications.application_invite(
            actor=self.request.user, application=self.object, slot=form.cleaned_data.get("slot")
        )
        return self.cancel_url()


class CvDownload(ScopedViewMixin, generic.View):
    """An applicant's CV, for the employer it applied to (and consented to share with)."""

    model = Application
    permission = EMPLOY

    def get(self, request, pk):
        application = get_object_or_404(people.employer_applications(self.get_queryset()), pk=pk)
        graduate = application.graduate
        if not graduate.consent or not graduate.cv:
            raise Http404
        try:
            handle = graduate.cv.open("rb")
        except (FileNotFoundError, ValidationError):
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=graduate.cv_name or graduate.cv.name,
            content_type=graduate.cv_type or "application/octet-stream",
        )
