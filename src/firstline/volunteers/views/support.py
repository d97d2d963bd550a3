"""Support tasks of hospitals and isolation points: the site's list and form, one
task, and the public handover page the receiving party opens by scanning the task's
handover QR code (or by typing its number and code)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from firstline.core.services import ExportColumn
from firstline.core.views import (
    HistoryMixin,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
    apply_errors,
    row_id,
)
from firstline.volunteers.forms import HandoverCodeForm, HandoverForm, TaskForm
from firstline.volunteers.models import SupportTask
from firstline.volunteers.selectors.figures import with_overdue
from firstline.volunteers.selectors.public import task_for_handover_public
from firstline.volunteers.services import support

VIEW_DUTY = "volunteers.view_duty"
MANAGE = "volunteers.manage_duty"


class TaskList(ScopedListView):
    """保障任务: by due time, overdue ones marked."""

    model = SupportTask
    permission = VIEW_DUTY
    table_template = "volunteers/_task_table.html"
    title = _("保障任务")
    filters = ("site", "state", "task_type")
    create_url_name = "volunteers:task_create"
    search_fields = ("title__icontains", "location__icontains")
    export_columns = (
        ExportColumn(_("类型"), "task_type.name", 14),
        ExportColumn(_("内容"), "title", 24),
        ExportColumn(_("项目/点位"), "site.name", 24),
        ExportColumn(_("执行人"), lambda t: t.assignee.person_masked if t.assignee_id else "", 10),
        ExportColumn(_("截止时间"), "due_at", 18),
        ExportColumn(_("状态"), "get_state_display", 8),
        ExportColumn(_("超时"), lambda t: "是" if t.overdue else "", 6),
        ExportColumn(_("重量（公斤）"), "weight_kg", 10),
        ExportColumn(_("接收人"), "receiver_name", 10),
        ExportColumn(_("交接时间"), "done_at", 18),
    )

    def refine_list(self, qs):
        if self.request.GET.get("overdue") == "1":
            from firstline.volunteers.selectors.figures import overdue_q

            qs = qs.filter(overdue_q())
        return with_overdue(qs.select_related("site", "task_type", "assignee")).order_by(
            "due_at", "id"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"state": SupportTask.State.choices}
        ctx["can_create"] = bool(self.request.scope.for_perm(MANAGE).grants)
        return ctx


class TaskCreate(ServiceFormView):
    model = SupportTask
    permission = MANAGE
    form_class = TaskForm
    title = _("新建保障任务")
    success_message = _("已派发。")

    def act(self, form):
        d = form.cleaned_data
        return support.task_create(
            actor=self.request.user,
            site=d["site"],
            task_type=d["task_type"],
            title=d["title"],
            due_at=d["due_at"],
            assignee=d["assignee"],
            location=d["location"],
        )


class TaskDetail(HistoryMixin, ScopedDetailView):
    model = SupportTask
    permission = VIEW_DUTY
    template_name = "volunteers/task_detail.html"

    def refine(self, qs):
        return with_overdue(qs.select_related("site", "task_type", "assignee"))


# --- the receiving party's page (public) -----------------------------------------------------


def handover(request, token: str):
    """交接: the receiving party confirms what they take over and signs by name."""
    task = task_for_handover_public(token=token)
    if task is None:
        return render(request, "volunteers/handover_missing.html", status=404)
    status = 200
    if request.method == "POST":
        form = HandoverForm(request.POST)
        if form.is_valid():
            try:
                support.task_handover(
                    actor=request.user,
                    task=task,
                    receiver_name=form.cleaned_data["receiver_name"],
                    receiver_unit=form.cleaned_data["receiver_unit"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 422
            else:
                return redirect("volunteers:handover", token)
        else:
            status = 422
    else:
        form = HandoverForm()
    return render(request, "volunteers/handover.html", {"task": task, "form": form}, status=status)


def handover_code(request):
    """The same by the task's number and six-digit code, for a phone that cannot scan."""
    asked = "code" in request.GET
    form = HandoverCodeForm(request.GET if asked else None)
    if asked and form.is_valid():
        number = row_id(request.GET.get("number"))
        try:
            token = support.handover_code_check(number=number, code=form.cleaned_data["code"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if token is not None:
                return redirect("volunteers:handover", token)
            form.add_error("code", _("任务编号或交接码不正确。"))
    return render(
        request,
        "volunteers/handover_code.html",
        {"form": form, "number": request.GET.get("number", "")},
        status=422 if asked and form.errors else 200,
    )
