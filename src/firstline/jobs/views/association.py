"""The association's pages: its fairs (create, edit), the employers' registrations to
verify, and a fair's figures, live and afterwards, with an Excel export."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from firstline.core import exporting
from firstline.core.services import ExportColumn, list_export
from firstline.core.views import ObjectFormView, ScopedDetailView, ScopedListView, ServiceFormView
from firstline.jobs.forms import DecideForm, FairForm
from firstline.jobs.models import Employer, Fair
from firstline.jobs.selectors import figures, people
from firstline.jobs.services import fairs

MANAGE = people.MANAGE
FIGURES = people.FIGURES


class FairList(ScopedListView):
    model = Fair
    permission = MANAGE
    title = _("招聘会")
    template_name = "jobs/fair_list.html"
    table_template = "jobs/_fair_table.html"
    search_fields = ("title__icontains",)


class FairCreate(ServiceFormView):
    model = Fair
    permission = MANAGE
    form_class = FairForm
    title = _("新建招聘会")
    cancel_url_name = "jobs:fair_list"

    def act(self, form):
        association_ids = sorted(self.scope.ids("association"))
        from firstline.orgs.models import Association

        association = Association.objects.get(pk=association_ids[0])
        fairs.fair_save(actor=self.request.user, association=association, data=form.cleaned_data)
        return "jobs:fair_list"


class FairEdit(ObjectFormView):
    model = Fair
    permission = MANAGE
    form_class = FairForm
    form_instance = True
    title = _("编辑招聘会")

    def cancel_url(self) -> str:
        return reverse("jobs:fair_list")

    def act(self, form):
        fairs.fair_save(
            actor=self.request.user,
            association=None,
            fair=self.object,
            data=form.cleaned_data,
        )
        return "jobs:fair_list"


class EmployerList(ScopedListView):
    """Member companies' registrations, to verify."""

    model = Employer
    permission = MANAGE
    title = _("参会企业审核")
    table_template = "jobs/_employer_table.html"
    filters = ("state", "fair")
    search_fields = ("booth_name__icontains",)

    def refine_list(self, qs):
        return qs.select_related("fair")


class EmployerDecide(ObjectFormView):
    model = Employer
    permission = MANAGE
    form_class = DecideForm
    title = _("审核参会企业")
    success_message = _("已审核。")

    def cancel_url(self) -> str:
        return reverse("jobs:employer_list")

    def act(self, form):
        data = form.cleaned_data
        fairs.employer_decide(
            actor=self.request.user,
            employer=self.object,
            verified=data["verified"],
            note=data.get("note") or "",
        )
        return "jobs:employer_list"


FIGURE_ROWS = (
    ("employers", _("参会企业")),
    ("positions", _("职位")),
    ("headcount", _("招聘人数")),
    ("graduates", _("求职毕业生")),
    ("applications", _("求职申请")),
    ("interviews", _("面试")),
    ("offers", _("录用")),
    ("booth_staff", _("展位工作人员")),
    ("visitor_days", _("公开页访客（人·天）")),
    ("participants", _("参与人次")),
)


class Figures(ScopedDetailView):
    model = Fair
    permission = FIGURES
    template_name = "jobs/figures.html"

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt:
            if fmt not in exporting.CONTENT_TYPES:
                raise Http404
            self.object = self.get_object()
            numbers = figures.fair_figures(self.object)
            rows = [(str(label), numbers[key]) for key, label in FIGURE_ROWS]
            rows += [(str(label), n) for _value, label, n in numbers["by_state"]]
            out, name = list_export(
                actor=request.user,
                rows=rows,
                columns=(
                    ExportColumn(_gettext("指标"), lambda r: r[0], 24),
                    ExportColumn(_gettext("数量"), lambda r: r[1]),
                ),
                sheet=_gettext("招聘会数据"),
                fmt=fmt,
                company_ids=frozenset(),
                what="jobs.fair",
                filters={"fair": self.object.pk},
            )
            return FileResponse(
                out, as_attachment=True, filename=name, content_type=exporting.CONTENT_TYPES[fmt]
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        numbers = figures.fair_figures(self.object)
        ctx.update(
            figures=numbers,
            rows=[(label, numbers[key]) for key, label in FIGURE_ROWS],
        )
        return ctx
