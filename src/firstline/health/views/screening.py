"""Staff pages of screening: declarations (list, detail, declare for a resident,
import), the sites' declaration QR codes, risk lists (list, versions, upload with
re-screening), and the worklist (follow-up calls, referral, closing).

Tenant pages are declared on the scoped base views. Risk lists are shared
reference data, not tenant rows: every signed-in user may read them, and only
the association (health.change_risklist) uploads them.
"""

from __future__ import annotations

from io import BytesIO

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.models import TaskProgress
from firstline.core.services import ExportColumn, local_time
from firstline.core.views import (
    ForgivingPaginationMixin,
    HistoryMixin,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    apply_errors,
    row_id,
)
from firstline.estates.models import Resident, Site
from firstline.estates.selectors import resident_search_q
from firstline.estates.views.site_filter import SiteFilterMixin
from firstline.health.forms.screening import (
    CallForm,
    ConsentForm,
    DeclarationImportForm,
    ReferForm,
    RiskListUploadForm,
    declaration_forms,
)
from firstline.health.models import (
    Declaration,
    DeclarationPlace,
    FollowUpCall,
    RiskArea,
    RiskList,
    Status,
    Symptom,
    WorkItem,
)
from firstline.health.services import worklist
from firstline.health.services.declarations import declaration_reasons
from firstline.health.services.declarations_import import (
    declarations_import,
    declarations_template,
)
from firstline.health.services.risklists import risklist_import
from firstline.health.tasks import rescreen_enqueue
from firstline.health.views.base import resident_matches
from firstline.health.views.declare import declare_path, submit_with_consent

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RISKLIST_PERMISSION = "health.change_risklist"


def prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related model: Q(name=…) → Q(resident__name=…)."""
    children = [
        prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1])
        for child in q.children
    ]
    return Q(*children, _connector=q.connector, _negated=q.negated)


# --- declarations -------------------------------------------------------------------------


class DeclarationList(SiteFilterMixin, ScopedListView):
    """Declarations, current ones by default; filter by site and status, search by
    resident name, room, the last four of a phone or a full phone or ID number."""

    model = Declaration
    permission = "health.view_declaration"
    template_name = "health/declaration_list.html"
    table_template = "health/_declaration_table.html"
    title = gettext_lazy("行程申报")
    filters = ("status",)
    create_url_name = "health:declaration_create"
    export_columns = (
        ExportColumn(gettext_lazy("项目"), "site.name", 18),
        ExportColumn(gettext_lazy("住户"), "household.label", 14),
        ExportColumn(gettext_lazy("姓名"), "resident.name", 10),
        ExportColumn(gettext_lazy("手机号"), "resident.phone_masked", 14),
        ExportColumn(gettext_lazy("结果"), "get_status_display", 8),
        ExportColumn(gettext_lazy("渠道"), "get_channel_display", 10),
        ExportColumn(gettext_lazy("申报时间"), lambda d: local_time(d.submitted_at), 17),
    )

    def show_all(self) -> bool:
        return self.request.GET.get("history") == "1"

    def refine_list(self, qs):
        qs = qs.select_related("resident", "household", "household__building", "site")
        if not self.show_all():
            qs = qs.filter(current=True)
        return self.site_filter(qs)

    def search_q(self, term):
        return prefixed(resident_search_q(term), "resident__")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            status_choices=Status.choices,
            history=self.show_all(),
            can_create=self.request.scope.has_perm("health.add_declaration"),
            can_import=self.request.scope.has_perm("health.import_declaration"),
        )
        return ctx


def _declaration_detail_qs(qs):
    return qs.select_related(
        "resident",
        "household",
        "household__building",
        "site",
        "consent",
        "consent__recorded_by",
        "recorded_by",
    )


class DeclarationDetail(HistoryMixin, ScopedDetailView):
    """One declaration: places, status with reasons, the consent, the resident masked."""

    model = Declaration
    permission = "health.view_declaration"
    template_name = "health/declaration_detail.html"
    context_object_name = "declaration"

    def refine(self, qs):
        return _declaration_detail_qs(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.object
        ctx["places"] = list(
            DeclarationPlace.objects.for_scope(self.scope)
            .filter(declaration_id=obj.pk)
            .order_by("visited_on", "id")
        )
        ctx["reasons"] = declaration_reasons(obj)
        ctx["symptoms"] = [
            Symptom(s).label if s in Symptom.values else s for s in obj.symptoms or ()
        ]
        ctx["consent_channel"] = dict(Declaration.Channel.choices).get(
            obj.consent.channel, obj.consent.channel
        )
        workitems = self.request.scope.for_perm("health.view_workitem")
        ctx["work_item"] = (
            WorkItem.objects.for_scope(workitems)
            .filter(resident_id=obj.resident_id)
            .order_by("state", "-created_at")
            .first()
            if workitems.grants
            else None
        )
        ctx["can_edit"] = False  # a declaration is a record: a new one supersedes it
        return ctx


class DeclarationCreate(ScopedViewMixin, generic.TemplateView):
    """Staff declare for a resident without a phone: pick the resident (?resident=),
    tick the resident's consent (recorded with channel "staff"), fill in the form."""

    model = Resident
    permission = "health.add_declaration"
    template_name = "health/declaration_create.html"

    def resident(self) -> Resident | None:
        value = self.request.POST.get("resident") or self.request.GET.get("resident", "")
        if not value:
            return None
        if (pk := row_id(value)) is None:
            raise Http404
        return get_object_or_404(
            self.get_queryset().select_related("household", "household__building", "site"),
            pk=pk,
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        resident = kwargs.get("resident") or self.resident()
        ctx["resident"] = resident
        ctx["title"] = _("代为申报")
        if resident is None:
            term = self.request.GET.get("q", "").strip()
            ctx["query"] = term
            ctx["matches"] = resident_matches(self.get_queryset(), term)
        else:
            form, places = declaration_forms()
            ctx.setdefault("consent_form", ConsentForm(prefix="consent"))
            ctx.setdefault("form", form)
            ctx.setdefault("places", places)
        return ctx

    def post(self, request):
        resident = self.resident()
        if resident is None:
            raise Http404
        form, places = declaration_forms(request.POST)
        consent_form = ConsentForm(request.POST, prefix="consent")
        valid = [f.is_valid() for f in (consent_form, form, places)]
        if all(valid):
            try:
                declaration = submit_with_consent(
                    resident=resident,
                    form=form,
                    places=places,
                    channel=Declaration.Channel.STAFF,
                    actor=request.user,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已为 %(name)s 提交申报，筛查结果：%(status)s。")
                    % {"name": resident.name, "status": declaration.get_status_display()},
                )
                return redirect(declaration.get_absolute_url())
        ctx = self.get_context_data(
            resident=resident, consent_form=consent_form, form=form, places=places
        )
        return self.render_to_response(ctx, status=400)


class DeclarationImport(ScopedViewMixin, generic.FormView):
    """Upload a workbook of declarations into one site: all rows or none."""

    model = Site
    permission = "health.import_declaration"
    form_class = DeclarationImportForm
    template_name = "health/declaration_import.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "scope": self.scope}

    def form_valid(self, form):
        try:
            result = declarations_import(
                actor=self.request.user,
                site=form.cleaned_data["site"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            ctx = self.get_context_data(form=form, row_errors=import_errors(form, exc))
            return self.render_to_response(ctx, status=400)
        ctx = self.get_context_data(
            form=self.form_class(scope=self.scope), result=result, site=form.cleaned_data["site"]
        )
        return self.render_to_response(ctx)


def import_errors(form, exc: ValidationError) -> list[str]:
    """An import's errors: those of a form field go under it, the rest (the file as a
    whole, and each bad row, which the engine names by row and column) are returned
    as lines for the list above the form."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    lines = []
    for field, field_messages in exc.message_dict.items():
        if field in form.fields and field != "file":
            form.add_error(field, field_messages)
        else:
            lines.extend(field_messages)
    return lines


class DeclarationImportTemplate(ScopedViewMixin, generic.View):
    """The empty workbook to fill in."""

    model = Site
    permission = "health.import_declaration"

    def get(self, request):
        return FileResponse(
            BytesIO(declarations_template()),
            as_attachment=True,
            filename=_("行程申报导入模板.xlsx"),
            content_type=XLSX,
        )


# --- the sites' declaration links ------------------------------------------------------------


def qr_svg(url: str) -> str:
    # segno writes the SVG from our own URL (a signed token): nothing user-typed.
    return segno.make(url, micro=False, error="m").svg_inline(scale=5, border=2)


class DeclareQR(ScopedListView):
    """申报二维码: each site's public declaration link with its QR code, to print
    and post at the gate."""

    model = Site
    permission = "health.add_declaration"
    template_name = "health/declaration_qr.html"
    table_template = "health/_declaration_qr_cards.html"
    title = gettext_lazy("申报二维码")
    paginate_by = 25

    def refine_list(self, qs):
        return qs.only("id", "company_id", "name", "address").order_by("name", "id")

    def search_q(self, term):
        return Q(name__icontains=term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        cards = []
        for site in ctx["object_list"]:
            url = self.request.build_absolute_uri(declare_path(site))
            cards.append({"site": site, "url": url, "svg": qr_svg(url)})
        ctx["cards"] = cards
        return ctx


# --- risk lists (shared reference data) ------------------------------------------------------


class RiskListList(ForgivingPaginationMixin, LoginRequiredMixin, generic.ListView):
    """Every named list with its versions, the one in force marked."""

    model = RiskList
    template_name = "health/risklist_list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = RiskList.objects.select_related("imported_by").order_by("name", "-version")
        if self.request.GET.get("current") == "1":
            qs = qs.filter(current=True)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            can_upload=self.request.scope.has_perm(RISKLIST_PERMISSION),
            only_current=self.request.GET.get("current") == "1",
        )
        return ctx


class RiskListDetail(LoginRequiredMixin, generic.DetailView):
    """One version of a list and its areas (paginated)."""

    model = RiskList
    template_name = "health/risklist_detail.html"
    context_object_name = "risk_list"
    AREAS_PER_PAGE = 100

    def get_queryset(self):
        return RiskList.objects.select_related("imported_by")

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        ctx = super().get_context_data(**kwargs)
        areas = RiskArea.objects.filter(risk_list=self.object).order_by(
            "division_code", "name", "id"
        )
        term = self.request.GET.get("q", "").strip()
        if term:
            areas = areas.filter(Q(name__icontains=term) | Q(division_code__startswith=term))
        level = self.request.GET.get("level", "")
        if level:
            areas = areas.filter(level=level)
        page = Paginator(areas, self.AREAS_PER_PAGE).get_page(self.request.GET.get("page"))
        ctx.update(
            page_obj=page,
            paginator=page.paginator,
            areas=page.object_list,
            query=term,
            level=level,
            versions=RiskList.objects.filter(name=self.object.name).order_by("-version")[:50],
        )
        return ctx


class RiskListUpload(LoginRequiredMixin, generic.FormView):
    """Upload a new version of a list, then re-screen every current declaration as
    a task whose progress bar the page follows."""

    form_class = RiskListUploadForm
    template_name = "health/risklist_upload.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.scope.has_perm(RISKLIST_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["names"] = list(
            RiskList.objects.filter(current=True).order_by("name").values_list("name", flat=True)
        )
        if "progress" not in kwargs and (progress_id := self.request.GET.get("progress")):
            ctx["progress"] = _own_progress(self.request, progress_id)
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            risk_list = risklist_import(
                actor=self.request.user,
                name=data["name"].strip(),
                source=data.get("source", "").strip(),
                published_at=data["published_at"],
                file=data["file"],
                file_name=data["file"].name[:200],
            )
        except ValidationError as exc:
            ctx = self.get_context_data(form=form, row_errors=import_errors(form, exc))
            return self.render_to_response(ctx, status=400)
        progress = rescreen_start(actor=self.request.user, risk_list=risk_list)
        ctx = self.get_context_data(form=self.form_class(), risk_list=risk_list, progress=progress)
        return self.render_to_response(ctx)


def rescreen_start(*, actor, risk_list: RiskList) -> TaskProgress:
    """Queue the re-screening after a risk list changed; its progress row first."""
    progress = rescreen_enqueue(actor=actor, reason=str(risk_list))
    progress.refresh_from_db()  # an immediate backend may have finished it already
    return progress


def _own_progress(request, progress_id: str) -> TaskProgress:
    try:
        progress = TaskProgress.objects.filter(pk=progress_id, owner=request.user).first()
    except ValidationError:  # not a UUID
        progress = None
    if progress is None:
        raise Http404
    return progress


# --- the worklist ----------------------------------------------------------------------------

OPEN_STATES = (WorkItem.State.OPEN, WorkItem.State.FOLLOWING, WorkItem.State.REFERRED)


class WorkItemList(SiteFilterMixin, ScopedListView):
    """New reds and yellows first: open items before those in hand, red before
    yellow, newest first."""

    model = WorkItem
    permission = "health.view_workitem"
    template_name = "health/workitem_list.html"
    table_template = "health/_workitem_table.html"
    title = gettext_lazy("筛查跟进")
    filters = ("level",)
    export_columns = (
        ExportColumn(gettext_lazy("项目"), "site.name", 18),
        ExportColumn(gettext_lazy("住户"), "household.label", 14),
        ExportColumn(gettext_lazy("姓名"), "resident.name", 10),
        ExportColumn(gettext_lazy("手机号"), "resident.phone_masked", 14),
        ExportColumn(gettext_lazy("等级"), "get_level_display", 8),
        ExportColumn(gettext_lazy("状态"), "get_state_display", 8),
        ExportColumn(gettext_lazy("转介至"), "referred_to", 16),
        ExportColumn(gettext_lazy("发现时间"), lambda w: local_time(w.created_at), 17),
    )
    STATES = ("active", "closed", "all")

    def state(self) -> str:
        state = self.request.GET.get("state", "active")
        return state if state in self.STATES else "active"

    def refine_list(self, qs):
        qs = qs.select_related(
            "resident", "household", "household__building", "site", "declaration"
        )
        state = self.state()
        if state == "active":
            qs = qs.filter(state__in=OPEN_STATES)
        elif state == "closed":
            qs = qs.filter(state=WorkItem.State.CLOSED)
        qs = qs.annotate(
            state_rank=Case(
                When(state=WorkItem.State.OPEN, then=Value(0)),
                When(state=WorkItem.State.CLOSED, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            level_rank=Case(
                When(level=Status.RED, then=Value(0)),
                When(level=Status.YELLOW, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        ).order_by("state_rank", "level_rank", "-created_at", "-id")
        return self.site_filter(qs)

    def search_q(self, term):
        return prefixed(resident_search_q(term), "resident__")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            state=self.state(),
            level_choices=[(Status.RED, Status.RED.label), (Status.YELLOW, Status.YELLOW.label)],
        )
        return ctx


def isolation_url(resident_id: int) -> str:
    """The isolation-case page of the care pages, for a resident (built by another
    part of the app; the plain path stands in until its name exists)."""
    try:
        base = reverse("health:isolation_create")
    except NoReverseMatch:
        base = "/health/isolation/new/"
    return f"{base}?resident={resident_id}"


class WorkItemDetail(HistoryMixin, ScopedDetailView):
    """One item: the resident (masked), the declaration's reasons, the calls, and
    the forms to record a call, refer, or close."""

    model = WorkItem
    permission = "health.view_workitem"
    template_name = "health/workitem_detail.html"
    context_object_name = "item"

    def refine(self, qs):
        return qs.select_related(
            "resident", "household", "household__building", "site", "declaration"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        item = self.object
        calls = list(
            FollowUpCall.objects.for_scope(self.scope)
            .filter(work_item_id=item.pk)
            .select_related("caller")
            .order_by("-called_at", "-id")
        )
        ctx.update(
            calls=calls,
            reasons=declaration_reasons(item.declaration) if item.declaration else [],
            can_change=self.request.scope.has_perm("health.change_workitem")
            and item.state != WorkItem.State.CLOSED,
            isolation_url=isolation_url(item.resident_id),
            isolated=any(c.outcome == FollowUpCall.Outcome.ISOLATED for c in calls),
        )
        ctx.setdefault("call_form", CallForm())
        ctx.setdefault("refer_form", ReferForm(initial={"to": item.referred_to}))
        return ctx


class WorkItemAction(ScopedViewMixin, generic.View):
    """POST one action on an item; errors show on the detail page, nothing saved."""

    model = WorkItem
    permission = "health.change_workitem"
    form_class: type = CallForm
    form_name = "call_form"

    def act(self, item: WorkItem, form) -> str:
        raise NotImplementedError

    def post(self, request, pk: int):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        form = self.form_class(request.POST) if self.form_class else None
        if form is None or form.is_valid():
            try:
                message = self.act(item, form)
            except ValidationError as exc:
                if form is None:
                    messages.error(request, " ".join(exc.messages))
                    return redirect(item.get_absolute_url())
                apply_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect(item.get_absolute_url())
        return self.invalid(request, pk, form)

    def invalid(self, request, pk: int, form):
        detail = WorkItemDetail()
        detail.setup(request, pk=pk)
        detail.scope = request.scope.for_perm(WorkItemDetail.permission)
        detail.object = detail.get_object()
        ctx = detail.get_context_data(**{self.form_name: form})
        return render(request, detail.template_name, ctx, status=400)


class WorkItemCall(WorkItemAction):
    def act(self, item, form):
        worklist.call_record(
            actor=self.request.user,
            item=item,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        )
        return _("已记录跟进通话。")


class WorkItemRefer(WorkItemAction):
    form_class = ReferForm
    form_name = "refer_form"

    def act(self, item, form):
        worklist.refer(
            actor=self.request.user,
            item=item,
            to=form.cleaned_data["to"],
            notes=form.cleaned_data["notes"],
        )
        return _("已转介至 %(to)s。") % {"to": form.cleaned_data["to"]}


class WorkItemClose(WorkItemAction):
    form_class = None

    def act(self, item, form):
        worklist.close(actor=self.request.user, item=item)
        return _("已关闭该跟进事项。")
