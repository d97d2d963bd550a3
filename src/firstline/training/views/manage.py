"""The company's and the association's training pages: the roster of front-line
completions (a site manager's sites, a company's staff on duty), enrolling staff one
by one or from a workbook, and the figures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.importing import ImportRejected
from firstline.core.services import ExportColumn, list_export
from firstline.core.views import ScopedViewMixin, ServiceFormView, row_id
from firstline.estates.models import Staff
from firstline.training import selectors
from firstline.training.forms import EnrolForm, ImportForm
from firstline.training.models import Enrolment
from firstline.training.selectors import ENROL, FIGURES, PROGRESS
from firstline.training.services import enrolment as enrolling

PAGE_SIZE = 100


def _cell(enrolment: Enrolment | None) -> str:
    if enrolment is None:
        return str(_("未报名"))
    if enrolment.state == Enrolment.State.COMPLETED:
        return "✓ " + timezone.localtime(enrolment.completed_at).strftime("%Y-%m-%d")
    return str(_("学习中"))


class Roster(ScopedViewMixin, generic.TemplateView):
    """The staff the scope reaches (a site manager: its sites; ?site= narrows), on
    duty first, with each front-line course: ✓ and the date, in progress, or not
    enrolled. `?duty=1`: those on duty only (the company's view). ?format=xlsx."""

    model = Staff
    permission = PROGRESS
    template_name = "training/roster.html"

    def staff(self):
        return selectors.roster_staff(
            self.scope,
            site_id=row_id(self.request.GET.get("site")),
            on_duty_only=self.request.GET.get("duty") == "1",
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") in ("xlsx", "csv"):
            courses, rows = selectors.roster_rows(self.scope, self.staff())
            columns = [
                ExportColumn(_("姓名"), lambda r: r[0].name, 10),
                ExportColumn(_("项目"), lambda r: r[0].site.name, 16),
                ExportColumn(_("岗位"), lambda r: r[0].get_position_display(), 10),
                ExportColumn(_("在岗"), lambda r: "是" if r[0].on_duty else "否", 6),
                ExportColumn(_("手机号"), lambda r: r[0].phone_masked, 14),
            ] + [
                ExportColumn(c.title, lambda r, i=i: _cell(r[1][i]), 16)
                for i, c in enumerate(courses)
            ]
            out, name = list_export(
                actor=request.user,
                rows=rows,
                columns=columns,
                sheet=str(_("培训完成情况")),
                fmt=request.GET["format"],
                company_ids=self.scope.company_ids,
                what="training.roster",
                filters={k: v for k, v in request.GET.items() if k != "format"},
            )
            return FileResponse(out, as_attachment=True, filename=name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = Paginator(self.staff(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        courses, rows = selectors.roster_rows(self.scope, page.object_list)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            title=_("一线防控培训完成情况"),
            courses=courses,
            rows=rows,
            page_obj=page,
            query=query.urlencode(),
        )
        ctx["can_enrol"] = bool(self.request.scope.for_perm(ENROL).grants)
        return ctx


class Enrol(ServiceFormView):
    model = Enrolment
    permission = ENROL
    form_class = EnrolForm
    title = _("为员工报名培训")
    cancel_url_name = "training:roster"
    success_message = _("已报名。")

    def act(self, form):
        enrolling.enrolment_create(
            actor=self.request.user,
            staff=form.cleaned_data["staff"],
            course=form.cleaned_data["course"],
        )
        return "training:roster"


class EnrolImport(ServiceFormView):
    """A workbook of enrolments: all rows or none, the rejected rows listed."""

    model = Enrolment
    permission = ENROL
    form_class = ImportForm
    template_name = "training/import.html"
    title = _("批量报名培训")
    cancel_url_name = "training:roster"

    def get(self, request, *args, **kwargs):
        if request.GET.get("template") == "1":
            response = HttpResponse(
                enrolling.template(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = 'attachment; filename="training-enrolments.xlsx"'
            return response
        return super().get(request, *args, **kwargs)

    def act(self, form):
        upload = form.cleaned_data["file"]
        try:
            n = enrolling.enrolments_import(
                actor=self.request.user,
                staff_qs=Staff.objects.for_scope(self.scope),
                courses_qs=selectors.courses(self.scope),
                path=upload.temporary_file_path()
                if hasattr(upload, "temporary_file_path")
                else upload,
            )
        except ImportRejected as exc:
            self.rejected = exc
            raise ValidationError({"file": [str(_("文件有错误，未导入任何行。"))]}) from None
        self.success_message = _("已报名 %(n)d 人次。") % {"n": n}
        return "training:roster"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rejected = getattr(self, "rejected", None)
        ctx["result"] = rejected.as_result() if rejected else None
        return ctx


class Figures(ScopedViewMixin, generic.TemplateView):
    """Enrolments, completions, pass rates by course and by company: the association's
    members, or the company's own. ?format=xlsx."""

    model = Enrolment
    permission = FIGURES
    template_name = "training/figures.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") in ("xlsx", "csv"):
            data = selectors.figures(self.scope)
            rows = [(_("课程"), r["course__title"], r) for r in data["by_course"]] + [
                (_("企业"), r["company__name"], r) for r in data["by_company"]
            ]
            out, name = list_export(
                actor=request.user,
                rows=rows,
                columns=[
                    ExportColumn(_("维度"), lambda r: str(r[0]), 8),
                    ExportColumn(_("名称"), lambda r: r[1], 30),
                    ExportColumn(_("报名"), lambda r: r[2]["enrolments"], 8),
                    ExportColumn(_("完成"), lambda r: r[2]["completed"], 8),
                    ExportColumn(_("测验次数"), lambda r: r[2]["attempts"], 8),
                    ExportColumn(_("通过率（%）"), lambda r: r[2]["pass_rate"], 10),
                ],
                sheet=str(_("培训统计")),
                fmt=request.GET["format"],
                company_ids=self.scope.company_ids,
                what="training.figures",
                filters={},
            )
            return FileResponse(out, as_attachment=True, filename=name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=_("培训统计"), **selectors.figures(self.scope))
        return ctx
