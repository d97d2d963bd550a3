"""Staff safety pages: daily health checks, kit issued, exposure incidents and their
follow-up, the day's infection count, the figures and the alerts."""

from __future__ import annotations

from django.utils import timezone
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
)
from firstline.estates.models import Site
from firstline.volunteers.forms import (
    CheckForm,
    FollowUpForm,
    IncidentForm,
    InfectionForm,
    KitForm,
)
from firstline.volunteers.models import (
    ExposureIncident,
    HealthCheck,
    InfectionReport,
    KitIssue,
    SafetyAlert,
    Symptom,
)
from firstline.volunteers.selectors import figures as figures_selectors
from firstline.volunteers.services import safety

VIEW_DUTY = "volunteers.view_duty"
MANAGE = "volunteers.manage_duty"
CHECK = "volunteers.record_check"


def _symptoms(check) -> str:
    labels = dict(Symptom.choices)
    return "、".join(str(labels.get(s, s)) for s in check.symptoms or [])


class CheckList(ScopedListView):
    """每日健康检查."""

    model = HealthCheck
    permission = VIEW_DUTY
    table_template = "volunteers/_check_table.html"
    title = _("每日健康检查")
    filters = ("site", "result", "day")
    create_url_name = "volunteers:check_create"
    search_fields = ("deployment__person_name__icontains",)
    export_columns = (
        ExportColumn(_("日期"), "day", 12),
        ExportColumn(_("姓名"), "deployment.person_masked", 10),
        ExportColumn(_("项目/点位"), "site.name", 24),
        ExportColumn(_("体温"), lambda c: float(c.temperature), 8),
        ExportColumn(_("症状"), _symptoms, 20),
        ExportColumn(_("结果"), "get_result_display", 8),
        ExportColumn(_("撤下班次"), "shifts_removed", 8),
    )

    def refine_list(self, qs):
        return qs.select_related("site", "deployment").order_by("-day", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"result": HealthCheck.Result.choices}
        ctx["can_create"] = bool(self.request.scope.for_perm(CHECK).grants)
        return ctx


class CheckCreate(ServiceFormView):
    model = HealthCheck
    permission = CHECK
    form_class = CheckForm
    title = _("记录健康检查")
    template_name = "volunteers/check_form.html"

    def act(self, form):
        d = form.cleaned_data
        check = safety.check_record(
            actor=self.request.user,
            deployment=d["deployment"],
            temperature=d["temperature"],
            symptoms=d["symptoms"],
        )
        if check.result == HealthCheck.Result.RED:
            from django.contrib import messages

            messages.warning(
                self.request,
                _("结果异常：已撤下此人 %(n)d 个班次，并已通知项目负责人。")
                % {"n": check.shifts_removed},
            )
        return "volunteers:check_list"


class KitList(ScopedListView):
    """防护用品发放: who got what, when, from which ledger entries."""

    model = KitIssue
    permission = VIEW_DUTY
    table_template = "volunteers/_kit_table.html"
    title = _("防护用品发放")
    filters = ("site", "day", "item")
    create_url_name = "volunteers:kit_create"
    search_fields = ("deployment__person_name__icontains", "item__name__icontains")
    export_columns = (
        ExportColumn(_("日期"), "day", 12),
        ExportColumn(_("领用人"), "deployment.person_masked", 10),
        ExportColumn(_("项目/点位"), "site.name", 24),
        ExportColumn(_("物资"), "item.name", 20),
        ExportColumn(_("数量"), "quantity", 8),
    )

    def refine_list(self, qs):
        return qs.select_related("site", "deployment", "item").order_by("-day", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = bool(self.request.scope.for_perm(MANAGE).grants)
        return ctx


class KitCreate(ServiceFormView):
    model = KitIssue
    permission = MANAGE
    form_class = KitForm
    title = _("发放防护用品")
    success_message = _("已发放，并已记入物资台账。")

    def act(self, form):
        d = form.cleaned_data
        deployment = d["deployment"]
        site = Site.objects.for_scope(self.scope).get(pk=deployment.site_id)
        safety.kit_issue(
            actor=self.request.user,
            scope=self.request.scope,
            deployment=deployment,
            site=site,
            item=d["item"],
            quantity=d["quantity"],
            shift=d["shift"],
        )
        return "volunteers:kit_list"


class IncidentList(ScopedListView):
    model = ExposureIncident
    permission = VIEW_DUTY
    table_template = "volunteers/_incident_table.html"
    title = _("暴露事件")
    filters = ("site", "state", "kind", "outcome")
    create_url_name = "volunteers:incident_create"
    search_fields = ("deployment__person_name__icontains", "description__icontains")
    export_columns = (
        ExportColumn(_("发生时间"), "occurred_at", 18),
        ExportColumn(_("当事人"), "deployment.person_masked", 10),
        ExportColumn(_("项目/点位"), "site.name", 24),
        ExportColumn(_("类型"), "get_kind_display", 12),
        ExportColumn(_("状态"), "get_state_display", 8),
        ExportColumn(_("结果"), "get_outcome_display", 8),
    )

    def refine_list(self, qs):
        return qs.select_related("site", "deployment").order_by("-occurred_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {
            "state": ExposureIncident.State.choices,
            "kind": ExposureIncident.Kind.choices,
            "outcome": ExposureIncident.Outcome.choices,
        }
        ctx["can_create"] = bool(self.request.scope.for_perm(MANAGE).grants)
        return ctx


class IncidentCreate(ServiceFormView):
    model = ExposureIncident
    permission = MANAGE
    form_class = IncidentForm
    title = _("记录暴露事件")

    def act(self, form):
        d = form.cleaned_data
        return safety.incident_record(
            actor=self.request.user,
            deployment=d["deployment"],
            occurred_at=d["occurred_at"],
            kind=d["kind"],
            description=d["description"],
            action_taken=d["action_taken"],
        )


class IncidentDetail(HistoryMixin, ScopedDetailView):
    model = ExposureIncident
    permission = VIEW_DUTY
    template_name = "volunteers/incident_detail.html"

    def refine(self, qs):
        return qs.select_related("site", "deployment")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = bool(self.request.scope.for_perm(MANAGE).grants)
        ctx["follow_form"] = FollowUpForm(scope=self.scope)
        return ctx


class IncidentFollowUp(ObjectFormView):
    model = ExposureIncident
    permission = MANAGE
    form_class = FollowUpForm
    title = _("暴露事件跟进")

    def act(self, form):
        d = form.cleaned_data
        return safety.incident_follow_up(
            actor=self.request.user,
            incident=self.object,
            note=d["note"],
            outcome=d["outcome"],
            close=d["close"],
        )


class InfectionReportCreate(ServiceFormView):
    """上报感染人数: a number for the day, 0 included."""

    model = InfectionReport
    permission = MANAGE
    form_class = InfectionForm
    title = _("上报感染人数")
    success_message = _("已上报。")

    def get_initial(self):
        return {**super().get_initial(), "day": timezone.localdate()}

    def act(self, form):
        d = form.cleaned_data
        safety.infection_report(
            actor=self.request.user,
            site=d["site"],
            day=d["day"],
            infections=d["infections"],
            note=d["note"],
        )
        return "volunteers:figures"


class FiguresPage(ScopedViewMixin, generic.TemplateView):
    """一线数据: the day's figures and the figure per hospital or isolation point."""

    model = HealthCheck
    permission = VIEW_DUTY
    template_name = "volunteers/figures.html"

    def get_context_data(self, **kwargs):
        day = day_param(self.request.GET.get("day"))
        return super().get_context_data(
            title=_("一线数据"),
            day=day,
            figures=figures_selectors.figures(self.request.scope, day),
            points=figures_selectors.points(self.request.scope, day),
            can_manage=bool(self.request.scope.for_perm(MANAGE).grants),
            **kwargs,
        )


class AlertList(ScopedListView):
    """一线安全告警: staff reds and support tasks overdue."""

    model = SafetyAlert
    permission = VIEW_DUTY
    table_template = "volunteers/_alert_table.html"
    title = _("一线安全告警")
    filters = ("site", "kind")
    export_columns = (
        ExportColumn(_("时间"), "created_at", 18),
        ExportColumn(_("类型"), "get_kind_display", 14),
        ExportColumn(_("项目/点位"), "site.name", 24),
        ExportColumn(_("内容"), "message", 40),
    )

    def refine_list(self, qs):
        return qs.select_related("site").order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"kind": SafetyAlert.Kind.choices}
        return ctx
