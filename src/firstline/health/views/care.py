"""Care pages: isolation cases and their checks, centralised isolation points,
support requests, vulnerable residents and health alerts, for site managers and
health officers; and the resident's own isolation check-in and support request
pages. Declared on the scoped base views; each write calls one service."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.roles import Target
from firstline.core.services import ExportColumn, local_time, yes_no
from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
    apply_errors,
)
from firstline.estates.models import Household, Resident
from firstline.estates.selectors import resident_search_q, room_q
from firstline.estates.views.site_filter import SiteFilterMixin
from firstline.health.forms.care import (
    AssignForm,
    CancelForm,
    CheckForm,
    CompleteForm,
    ExtendForm,
    FacilityForm,
    IsolationOpenForm,
    ReleaseForm,
    SupportForm,
    VulnerableCallForm,
    company_facilities,
)
from firstline.health.models import (
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    IsolationFacility,
    SupportRequest,
    Symptom,
)
from firstline.health.services import alerts as alert_services
from firstline.health.services import isolation, support, vulnerable
from firstline.health.views.base import ResidentPickMixin, id_param

# The htmx event an acknowledgement sends, so a badge can count again.
ALERTS_CHANGED = "fl:health-alerts-changed"


def state_filter(qs, request, open_states, states):
    """?state= on a list: "open" (the default) is any of `open_states`, one of
    `states` is that state, anything else ("all") every state."""
    state = request.GET.get("state", "open")
    if state == "open":
        return qs.filter(state__in=open_states)
    if state in states.values:
        return qs.filter(state=state)
    return qs


def choice_filter(qs, request, name: str, choices, field: str | None = None):
    value = request.GET.get(name, "")
    return qs.filter(**{field or name: value}) if value in dict(choices) else qs


# --- isolation ----------------------------------------------------------------------------


class IsolationList(SiteFilterMixin, ScopedListView):
    """Open cases first; today's two checks per case (done / missing / not yet due)."""

    model = IsolationCase
    permission = "health.view_isolation"
    template_name = "health/isolation_list.html"
    table_template = "health/_isolation_table.html"
    title = gettext_lazy("隔离观察")
    create_url_name = "health:isolation_create"
    export_columns = (
        ExportColumn(gettext_lazy("项目"), "site.name", 18),
        ExportColumn(gettext_lazy("住户"), "household.label", 14),
        ExportColumn(gettext_lazy("姓名"), "resident.name", 10),
        ExportColumn(gettext_lazy("方式"), "get_kind_display", 10),
        ExportColumn(gettext_lazy("隔离点"), lambda c: c.facility.name if c.facility else "", 16),
        ExportColumn(gettext_lazy("全户"), lambda c: yes_no(c.whole_household), 6),
        ExportColumn(gettext_lazy("状态"), "get_state_display", 8),
        ExportColumn(gettext_lazy("开始"), "start_date", 11),
        ExportColumn(gettext_lazy("计划结束"), "planned_end", 11),
        ExportColumn(gettext_lazy("原因"), "reason", 24),
    )

    def refine_list(self, qs):
        qs = isolation.case_list(qs)
        qs = state_filter(qs, self.request, isolation.OPEN_STATES, IsolationCase.State)
        qs = choice_filter(qs, self.request, "kind", IsolationCase.Kind.choices)
        return self.site_filter(qs)

    def search_q(self, term):
        # A housemate's name finds the whole-household case that covers them.
        housemate = Exists(
            Resident.objects.for_scope(self.scope).filter(
                household_id=OuterRef("household_id"), name__icontains=term
            )
        )
        return (
            Q(resident__name__icontains=term)
            | room_q(term, "household__")
            | Q(reason__icontains=term)
            | (Q(whole_household=True) & Q(housemate))
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        today = timezone.localdate(now)
        cases = list(ctx["object_list"])
        done = isolation.today_status([c.pk for c in cases], today)
        covered = isolation.housemates(self.scope, cases)
        for case in cases:
            case.today = today_slots(case, done[case.pk], today, now)
            case.housemates = covered.get(case.pk, [])
        ctx.update(
            object_list=cases,
            state=self.request.GET.get("state", "open"),
            kind=self.request.GET.get("kind", ""),
            state_choices=IsolationCase.State.choices,
            kind_choices=IsolationCase.Kind.choices,
            can_create=self.request.scope.has_perm("health.change_isolation"),
        )
        return ctx


def today_slots(case, done: set[str], today: date, now) -> list[dict]:
    """Each of today's slots of an open case: done, missing (deadline passed) or due."""
    if (
        case.state == IsolationCase.State.RELEASED
        or not case.start_date <= today <= case.planned_end
    ):
        return []
    out = []
    for slot, label in IsolationCheck.Slot.choices:
        if slot in done:
            status = "done"
        elif isolation.slot_deadline(today, slot) <= now:
            status = "missing"
        else:
            status = "due"
        out.append({"slot": slot, "label": label, "status": status})
    return out


class IsolationDetail(HistoryMixin, ScopedDetailView):
    model = IsolationCase
    permission = "health.view_isolation"
    template_name = "health/isolation_detail.html"

    def refine(self, qs):
        return isolation.case_list(qs).select_related("opened_by", "released_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        case = self.object
        checks = list(
            IsolationCheck.objects.for_scope(self.scope)
            .filter(case_id=case.pk)
            .select_related("recorded_by")
            .order_by("day", "slot")
        )
        threshold = isolation.fever_threshold(case.company_id)
        for c in checks:
            c.flagged = c.temperature >= threshold or bool(c.symptoms)
            c.symptom_labels = [str(Symptom(s).label) for s in c.symptoms if s in Symptom.values]
        scope = self.request.scope
        ctx.update(
            checks=checks,
            housemates=isolation.housemates(self.scope, [case]).get(case.pk, []),
            chart=temperature_chart(checks, threshold) if checks else None,
            is_open=case.state != IsolationCase.State.RELEASED,
            can_change=scope.has_perm("health.change_isolation"),
            can_check=scope.has_perm("health.record_check"),
            can_support=scope.has_perm("health.change_support"),
            alerts=list(
                HealthAlert.objects.for_scope(self.scope)
                .filter(case_id=case.pk)
                .order_by("-created_at", "-id")[:20]
            ),
        )
        return ctx


def temperature_chart(checks: list[IsolationCheck], threshold) -> dict:
    """ECharts option of the temperature line (rendered with json_script; app.js draws it)."""
    labels = [f"{c.day:%m-%d} {c.get_slot_display()}" for c in checks]
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 28},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "min": 35, "max": 41, "name": "℃"},
        "series": [
            {
                "name": str(_("体温")),
                "type": "line",
                "data": [float(c.temperature) for c in checks],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"color": "#e03131", "type": "dashed"},
                    "data": [{"yAxis": float(threshold)}],
                },
            }
        ],
    }


class IsolationCreate(ResidentPickMixin, ServiceFormView):
    """?resident=<id> opens the form for that resident; without it, a search for the
    resident first (name, room, last four of the phone)."""

    model = Resident
    permission = "health.change_isolation"
    template_name = "health/isolation_create.html"
    form_class = IsolationOpenForm
    title = gettext_lazy("开启隔离观察")
    cancel_url_name = "health:isolation_list"
    success_message = gettext_lazy("已开启隔离观察。")

    @cached_property
    def resident(self) -> Resident | None:
        pk = id_param(self.request, "resident")
        if pk is None:
            return None
        return get_object_or_404(
            self.get_queryset().select_related("site", "household", "household__building"),
            pk=pk,
        )

    def chosen(self):
        return self.resident

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "company_id": self.resident.company_id}

    def get_initial(self):
        # A close contact of a confirmed case isolates with the household unless unticked.
        initial = super().get_initial()
        if self.resident is not None:
            initial["whole_household"] = isolation.household_by_default(self.resident)
        return initial

    def act(self, form):
        data = form.cleaned_data
        case = isolation.isolation_open(
            actor=self.request.user,
            resident=self.resident,
            kind=data["kind"],
            facility=data.get("facility"),
            reason=data["reason"],
            start_date=data["start_date"],
            planned_end=data.get("planned_end"),
            # The box applies to home isolation (its help text says so).
            whole_household=data["whole_household"] and data["kind"] == IsolationCase.Kind.HOME,
        )
        return case.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(resident=self.resident, **kwargs)


class CaseFormView(ObjectFormView):
    model = IsolationCase

    def refine(self, qs):
        return qs.select_related("resident").exclude(state=IsolationCase.State.RELEASED)


class IsolationExtend(CaseFormView):
    permission = "health.change_isolation"
    form_class = ExtendForm
    title = gettext_lazy("延长隔离期")
    success_message = gettext_lazy("已延长隔离期。")

    def get_initial(self):
        return {"planned_end": self.object.planned_end + timedelta(days=7)}

    def act(self, form):
        isolation.isolation_extend(
            actor=self.request.user,
            case=self.object,
            new_end=form.cleaned_data["planned_end"],
            reason=form.cleaned_data["reason"],
        )
        return self.object.get_absolute_url()


class IsolationRelease(CaseFormView):
    permission = "health.change_isolation"
    form_class = ReleaseForm
    title = gettext_lazy("解除隔离")
    success_message = gettext_lazy("已解除隔离。")

    def act(self, form):
        isolation.isolation_release(
            actor=self.request.user, case=self.object, note=form.cleaned_data["note"]
        )
        return self.object.get_absolute_url()


class IsolationCheckRecord(CaseFormView):
    """A staff member records a temperature taken at the door."""

    permission = "health.record_check"
    form_class = CheckForm
    title = gettext_lazy("录入体温检测")
    success_message = gettext_lazy("已录入。")

    def get_initial(self):
        now = timezone.now()
        return {"day": timezone.localdate(now), "slot": isolation.current_slot(now)}

    def act(self, form):
        data = form.cleaned_data
        result = isolation.check_record(
            case=self.object,
            day=data["day"],
            slot=data["slot"],
            temperature=data["temperature"],
            symptoms=data["symptoms"],
            by=IsolationCheck.By.STAFF,
            actor=self.request.user,
        )
        if result.escalated:
            messages.warning(self.request, _("体温异常或有症状：已上报防疫专员。"))
        return self.object.get_absolute_url()


# --- the resident's own check-in ----------------------------------------------------------


class MyIsolation(ScopedViewMixin, generic.TemplateView):
    """The resident's phone page: their household's open cases, each with the check of
    the current slot (or a note that it is done)."""

    model = IsolationCase
    permission = "health.record_own_check"
    template_name = "health/isolation_my.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        today, slot = timezone.localdate(now), isolation.current_slot(now)
        cases = list(
            self.get_queryset()
            .filter(state__in=isolation.OPEN_STATES)
            .select_related("resident")
            .order_by("resident__name", "id")
        )
        recent = {}
        for check in (
            IsolationCheck.objects.for_scope(self.scope)
            .filter(case_id__in=[c.pk for c in cases], day__gte=today - timedelta(days=2))
            .order_by("-day", "-slot")
        ):
            recent.setdefault(check.case_id, []).append(check)
        for case in cases:
            case.recent = recent.get(case.pk, [])
            case.slot_done = any(c.day == today and c.slot == slot for c in case.recent)
            case.form = kwargs.get("forms", {}).get(case.pk) or CheckForm(
                scope=self.scope,
                initial={"day": today, "slot": slot},
                prefix=f"c{case.pk}",
            )
        ctx.update(
            title=_("隔离健康打卡"),
            cases=cases,
            today=today,
            slot_label=IsolationCheck.Slot(slot).label,
        )
        return ctx


class MyIsolationCheck(MyIsolation):
    """POST: the resident reports one check; GET shows the check-in page."""

    def open_case(self, pk: int):
        return get_object_or_404(
            self.get_queryset().filter(state__in=isolation.OPEN_STATES).select_related("resident"),
            pk=pk,
        )

    def get(self, request, pk: int):
        self.open_case(pk)
        return super().get(request)

    def post(self, request, pk: int):
        case = self.open_case(pk)
        form = CheckForm(request.POST, scope=self.scope, prefix=f"c{case.pk}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = isolation.check_record(
                    case=case,
                    day=data["day"],
                    slot=data["slot"],
                    temperature=data["temperature"],
                    symptoms=data["symptoms"],
                    by=IsolationCheck.By.SELF,
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if result.escalated:
                    messages.warning(request, _("已上报。体温异常或有症状，工作人员会尽快联系您。"))
                else:
                    messages.success(request, _("已上报，谢谢配合。"))
                return redirect("health:isolation_my")
        return self.render_to_response(self.get_context_data(forms={case.pk: form}), status=422)


# --- facilities -------------------------------------------------------------------------


class FacilityList(ScopedViewMixin, generic.TemplateView):
    """Centralised isolation points of the user's companies, with beds taken. Points are
    company-wide (the model has no site): a site role sees its company's points, which
    `company_facilities` finds through the scope's company ids."""

    model = IsolationFacility
    permission = "health.view_isolation"
    template_name = "health/facility_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = Paginator(company_facilities(self.scope), 50).get_page(self.request.GET.get("page"))
        occupied = isolation.facility_occupancy([f.pk for f in page])
        for f in page:
            f.occupied = occupied.get(f.pk, 0)
            f.free = max(f.capacity - f.occupied, 0)
            f.percent = min(100, int(f.occupied * 100 / f.capacity)) if f.capacity else 100
        ctx.update(
            title=_("集中隔离点"),
            page_obj=page,
            paginator=page.paginator,
            object_list=list(page),
            can_manage=self.request.scope.has_perm("health.manage_facility"),
        )
        return ctx


class FacilityFormView(ServiceFormView):
    model = IsolationFacility
    permission = "health.manage_facility"
    form_class = FacilityForm

    @cached_property
    def facility(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(company_facilities(self.scope), pk=self.kwargs["pk"])

    def company_id(self) -> int:
        if self.facility is not None:
            return self.facility.company_id
        companies = sorted(self.scope.company_ids)
        if not companies:
            raise PermissionDenied
        return companies[0]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.facility}

    def act(self, form):
        isolation.facility_save(
            actor=self.request.user,
            company_id=self.company_id(),
            data=form.cleaned_data,
            facility=self.facility,
        )
        return "health:facility_list"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=_("编辑隔离点") if self.facility else _("新建隔离点"),
            cancel_url=reverse("health:facility_list"),
        )
        return ctx


# --- support --------------------------------------------------------------------------------

FIGURE_DAYS = 30


class SupportList(SiteFilterMixin, ScopedListView):
    """Open requests first; the time-to-fulfil figures of the chosen period above."""

    model = SupportRequest
    permission = "health.view_support"
    template_name = "health/support_list.html"
    table_template = "health/_support_table.html"
    title = gettext_lazy("帮扶需求")
    create_url_name = "health:support_create"
    export_columns = (
        ExportColumn(gettext_lazy("项目"), "site.name", 18),
        ExportColumn(gettext_lazy("住户"), "household.label", 14),
        ExportColumn(gettext_lazy("姓名"), lambda r: r.resident.name if r.resident else "", 10),
        ExportColumn(gettext_lazy("类型"), "get_kind_display", 10),
        ExportColumn(gettext_lazy("紧急程度"), "get_urgency_display", 8),
        ExportColumn(gettext_lazy("状态"), "get_state_display", 8),
        ExportColumn(
            gettext_lazy("负责人"), lambda r: r.assigned_to.name if r.assigned_to else "", 10
        ),
        ExportColumn(gettext_lazy("提出时间"), lambda r: local_time(r.requested_at), 17),
        ExportColumn(gettext_lazy("内容"), "details", 30),
    )

    def refine_list(self, qs):
        qs = support.request_list(qs)
        qs = state_filter(qs, self.request, support.OPEN_STATES, SupportRequest.State)
        qs = choice_filter(qs, self.request, "kind", SupportRequest.Kind.choices)
        qs = choice_filter(qs, self.request, "urgency", SupportRequest.Urgency.choices)
        return self.site_filter(qs).order_by("state", "-urgency", "-requested_at", "-id")

    def search_q(self, term):
        return (
            Q(details__icontains=term)
            | room_q(term, "household__")
            | Q(resident__name__icontains=term)
        )

    def period(self) -> tuple[date, date]:
        today = timezone.localdate()
        try:
            last = date.fromisoformat(self.request.GET.get("to", ""))
        except ValueError:
            last = today
        try:
            first = date.fromisoformat(self.request.GET.get("from", ""))
        except ValueError:
            first = last - timedelta(days=FIGURE_DAYS - 1)
        return (first, last) if first <= last else (last, first)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        first, last = self.period()
        figures_qs = self.site_filter(self.model.objects.for_scope(self.scope))
        ctx.update(
            state=self.request.GET.get("state", "open"),
            kind=self.request.GET.get("kind", ""),
            urgency=self.request.GET.get("urgency", ""),
            state_choices=SupportRequest.State.choices,
            kind_choices=SupportRequest.Kind.choices,
            urgency_choices=SupportRequest.Urgency.choices,
            figures=support.fulfil_figures(figures_qs, first=first, last=last),
            first=first,
            last=last,
            can_create=self.request.scope.has_perm("health.change_support"),
        )
        return ctx


class SupportDetail(HistoryMixin, ScopedDetailView):
    model = SupportRequest
    permission = "health.view_support"
    template_name = "health/support_detail.html"
    error_form: tuple[str, object] | None = None  # (name, bound form) after a refused action

    def refine(self, qs):
        return support.request_list(qs).select_related("requested_by", "case")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        req = self.object
        can_change = self.request.scope.has_perm("health.change_support")
        is_open = req.state in support.OPEN_STATES
        scope = self.request.scope.for_perm("health.change_support")
        if self.error_form:
            kwargs[self.error_form[0]] = self.error_form[1]
        if can_change and is_open:
            ctx.update(
                assign_form=kwargs.get("assign_form")
                or AssignForm(
                    scope=scope,
                    site_id=req.site_id,
                    initial={"assigned_to": req.assigned_to_id},
                ),
                complete_form=kwargs.get("complete_form") or CompleteForm(scope=scope),
                cancel_form=kwargs.get("cancel_form") or CancelForm(scope=scope),
            )
        ctx.update(can_change=can_change, is_open=is_open)
        return ctx


class SupportCreate(ResidentPickMixin, ServiceFormView):
    """Staff register a request for a household: ?resident=<id> or ?household=<id>
    (optionally &case=<id>) names it; without one, a search for the resident first."""

    model = Household
    permission = "health.change_support"
    template_name = "health/support_create.html"
    form_class = SupportForm
    title = gettext_lazy("登记帮扶需求")
    success_message = gettext_lazy("已登记帮扶需求。")

    @cached_property
    def resident(self):
        pk = id_param(self.request, "resident")
        if pk is None:
            return None
        return get_object_or_404(Resident.objects.for_scope(self.scope), pk=pk)

    @cached_property
    def household(self):
        pk = id_param(self.request, "household") or (
            self.resident.household_id if self.resident else None
        )
        if pk is None:
            return None
        return get_object_or_404(self.get_queryset().select_related("site", "building"), pk=pk)

    @cached_property
    def case(self):
        pk = id_param(self.request, "case")
        if pk is None:
            return None
        return get_object_or_404(IsolationCase.objects.for_scope(self.scope), pk=pk)

    def chosen(self):
        return self.household

    def act(self, form):
        data = form.cleaned_data
        req = support.request_create(
            actor=self.request.user,
            household=self.household,
            resident=self.resident,
            case=self.case,
            kind=data["kind"],
            urgency=data["urgency"],
            details=data["details"],
        )
        return req.get_absolute_url()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=self.title,
            household=self.household,
            resident=self.resident,
            case=self.case,
            cancel_url=reverse("health:support_list"),
        )
        return ctx


class SupportAction(ScopedViewMixin, generic.View):
    """POST one action on a request (assign, complete, cancel); a refused one shows the
    detail page again with the error under its field, nothing saved. GET shows the
    detail page, where the action's form is."""

    model = SupportRequest
    permission = "health.change_support"
    form_name = ""

    def get(self, request, pk: int):
        get_object_or_404(self.get_queryset(), pk=pk)
        return SupportDetail.as_view()(request, pk=pk)

    def post(self, request, pk: int):
        req = get_object_or_404(support.request_list(self.get_queryset()), pk=pk)
        form = self.make_form(req)
        if form.is_valid():
            try:
                self.act(req, form)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, self.done_message())
                return redirect(req.get_absolute_url())
        # The detail page again, as its GET renders it, with this bound form in place.
        detail = SupportDetail(error_form=(self.form_name, form))
        detail.setup(request, pk=pk)
        detail.scope = request.scope.for_perm(SupportDetail.permission)
        response = detail.get(request, pk=pk)
        response.status_code = 422
        return response


class SupportAssign(SupportAction):
    form_name = "assign_form"

    def make_form(self, req):
        return AssignForm(self.request.POST, scope=self.scope, site_id=req.site_id)

    def act(self, req, form):
        support.request_assign(
            actor=self.request.user, req=req, staff=form.cleaned_data["assigned_to"]
        )

    def done_message(self):
        return _("已分派。")


class SupportComplete(SupportAction):
    form_name = "complete_form"

    def make_form(self, req):
        return CompleteForm(self.request.POST, self.request.FILES, scope=self.scope)

    def act(self, req, form):
        support.request_complete(
            actor=self.request.user,
            req=req,
            proof_note=form.cleaned_data["proof_note"],
            photo=form.cleaned_data.get("proof_photo"),
        )

    def done_message(self):
        return _("已完成，送达记录已保存。")


class SupportCancel(SupportAction):
    form_name = "cancel_form"

    def make_form(self, req):
        return CancelForm(self.request.POST, scope=self.scope)

    def act(self, req, form):
        support.request_cancel(actor=self.request.user, req=req, reason=form.cleaned_data["reason"])

    def done_message(self):
        return _("已取消。")


class SupportPhoto(ScopedViewMixin, generic.View):
    """The proof photo, served through the scope (no public media URL for it)."""

    model = SupportRequest
    permission = "health.view_support"

    def get(self, request, pk: int):
        req = get_object_or_404(self.get_queryset().exclude(proof_photo=""), pk=pk)
        response = FileResponse(req.proof_photo.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response


class MySupport(ServiceFormView):
    """The resident's page: ask for help for their household, see their requests."""

    model = SupportRequest
    permission = "health.request_support"
    template_name = "health/support_my.html"
    form_class = SupportForm
    success_message = gettext_lazy("已提交，工作人员会尽快处理。")

    @cached_property
    def households(self):
        ids = sorted(self.scope.ids(Target.HOUSEHOLD))
        return list(
            Household.objects.for_scope(self.scope)
            .filter(pk__in=ids)
            .select_related("site", "building")
            .order_by("id")
        )

    def household(self):
        value = self.request.POST.get("household")
        for h in self.households:
            if value is None or str(h.pk) == value:
                return h
        raise Http404

    def act(self, form):
        household = self.household()
        case = (
            IsolationCase.objects.for_scope(self.scope)
            .filter(household_id=household.pk, state__in=isolation.OPEN_STATES)
            .order_by("id")
            .first()
        )
        support.request_create(
            actor=self.request.user,
            household=household,
            case=case,
            kind=form.cleaned_data["kind"],
            urgency=form.cleaned_data["urgency"],
            details=form.cleaned_data["details"],
        )
        return "health:support_my"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=_("我的帮扶需求"),
            households=self.households,
            requests=list(
                self.get_queryset()
                .select_related("assigned_to")
                .order_by("-requested_at", "-id")[:20]
            ),
        )
        return ctx


# --- vulnerable residents ---------------------------------------------------------------


class VulnerableList(SiteFilterMixin, ScopedListView):
    model = Resident
    permission = "health.view_vulnerable"
    template_name = "health/vulnerable_list.html"
    table_template = "health/_vulnerable_table.html"
    title = gettext_lazy("关爱对象")

    def refine_list(self, qs):
        qs = vulnerable.vulnerable_list(qs)
        flag = self.request.GET.get("flag", "")
        if flag in Resident.VULNERABILITY_FIELDS:
            qs = qs.filter(**{flag: True})
        if self.request.GET.get("due"):
            qs = qs.filter(due=True)
        return self.site_filter(qs)

    def search_q(self, term):
        return resident_search_q(term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            flag=self.request.GET.get("flag", ""),
            due=self.request.GET.get("due", ""),
            flags=[
                (f, Resident._meta.get_field(f).verbose_name) for f in Resident.VULNERABILITY_FIELDS
            ],
            can_call=self.request.scope.has_perm("health.record_vulnerable_check"),
            due_days=vulnerable.DUE_AFTER_DAYS,
        )
        return ctx


class VulnerableCall(ObjectFormView):
    model = Resident
    permission = "health.record_vulnerable_check"
    form_class = VulnerableCallForm
    title = gettext_lazy("关爱回访")
    cancel_url_name = "health:vulnerable_list"
    success_message = gettext_lazy("已记录回访。")

    def refine(self, qs):
        return qs.filter(vulnerable.VULNERABLE_Q).select_related("household", "household__building")

    def act(self, form):
        check = vulnerable.check_record(
            actor=self.request.user,
            resident=self.object,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        )
        if check.outcome == check.Outcome.NEEDS_HELP and self.request.scope.has_perm(
            "health.change_support"
        ):
            messages.info(self.request, _("请为该住户登记帮扶需求。"))
            return f"{reverse('health:support_create')}?resident={self.object.pk}"
        return reverse("health:vulnerable_list")


# --- alerts ---------------------------------------------------------------------------------


class AlertList(SiteFilterMixin, ScopedListView):
    model = HealthAlert
    permission = "health.view_alert"
    template_name = "health/alert_list.html"
    table_template = "health/_alert_table.html"
    title = gettext_lazy("健康告警")
    search_fields = ("message__icontains",)

    def refine_list(self, qs):
        qs = alert_services.alert_list(qs)
        if self.request.GET.get("state", "open") == "open":
            qs = qs.filter(acknowledged_at__isnull=True)
        qs = choice_filter(qs, self.request, "kind", HealthAlert.Kind.choices)
        return self.site_filter(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            state=self.request.GET.get("state", "open"),
            kind=self.request.GET.get("kind", ""),
            kind_choices=HealthAlert.Kind.choices,
            can_ack=self.request.scope.has_perm("health.change_alert"),
        )
        return ctx


class AlertAck(ScopedViewMixin, generic.View):
    """POST: acknowledge one alert; answers with its refreshed table row (htmx swaps it)."""

    model = HealthAlert
    permission = "health.change_alert"

    def post(self, request, pk: int):
        alert = get_object_or_404(self.get_queryset(), pk=pk)
        alert_services.alert_acknowledge(actor=request.user, alert=alert)
        alert = alert_services.alert_list(self.get_queryset()).get(pk=pk)
        response = render(request, "health/_alert_row.html", {"a": alert, "can_ack": True})
        response["HX-Trigger"] = ALERTS_CHANGED
        return response
