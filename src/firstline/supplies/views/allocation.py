"""Needs and allocation pages.

Companies and sites (scoped base views): request supplies (showing the live staff
on duty and isolation figures the request will record), my needs, one need with its
lines' committed / in transit / fulfilled figures, cancel.

The coordinator (the scoped base views over association rows; the member companies'
need lines through the association path NeedLine declares): open needs with totals
per item against stock, propose a plan, review it (inline quantity edits over htmx),
approve or discard. Views are thin: needs.py and allocation.py do the work."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.core.services import ExportColumn, local_time
from firstline.core.views import (
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
    row_id,
)
from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.supplies.forms.allocation import LineQuantityForm, NeedRequestForm, ProposeForm
from firstline.supplies.models import (
    AllocationLine,
    AllocationPlan,
    Balance,
    Item,
    Location,
    Need,
    NeedLine,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.services import allocation, needs
from firstline.supplies.views.coordination import (
    CoordinatorAction,
    CoordinatorDetail,
    CoordinatorForm,
    CoordinatorList,
)

REQUEST = needs.REQUEST
PLAN_ROWS = 100


# --- companies and sites -------------------------------------------------------------------


class NeedRequest(ServiceFormView):
    model = Need
    permission = REQUEST
    form_class = NeedRequestForm
    template_name = "supplies/needs_request.html"
    title = _("申请防护物资")
    success_message = _("需求已提交。")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        site = form.fields["site"].queryset.first() if form.fields["site"].required else None
        ctx.update(title=self.title, facts=_facts(self.scope, site_id=site.pk if site else None))
        return ctx

    def act(self, form):
        data = form.cleaned_data
        site = data["site"]
        company = Company.objects.get(pk=site.company_id) if site else data["company"]
        need = needs.need_create(
            actor=self.request.user,
            scope=self.request.scope,
            company=company,
            site=site,
            justification=data["justification"],
            lines=form.lines(),
        )
        return reverse("supplies:needs_detail", args=[need.pk])


def _facts(scope, *, site_id=None, company_id=None) -> dict:
    """The live figures a request from this place would record (empty: not in scope)."""
    if site_id:
        site = Site.objects.for_scope(scope).filter(pk=site_id).only("id", "company_id").first()
        if site is None:
            return {}
        company = Company(pk=site.company_id)
        figures = needs.place_figures(company, site)
        return {"place": "site", "staff": figures.staff, "isolation": figures.isolation}
    companies = sorted(scope.ids(Target.COMPANY))
    if company_id and int(company_id) in companies:
        chosen = int(company_id)
    elif companies:
        chosen = companies[0]
    else:
        return {}
    figures = needs.place_figures(Company(pk=chosen))
    return {"place": "company", "staff": figures.staff, "isolation": figures.isolation}


class NeedFacts(ScopedViewMixin, generic.View):
    """GET ?site=&company=: the facts fragment under the request form (htmx)."""

    model = Need
    permission = REQUEST

    def get(self, request):
        site_id = row_id(request.GET.get("site"))
        facts = _facts(
            self.scope,
            site_id=site_id,
            company_id=row_id(request.GET.get("company")) if site_id is None else None,
        )
        return render(request, "supplies/needs_facts.html", {"facts": facts})


def _with_lines(qs):
    """The needs' lines, read in one more query through the same scope as the needs."""
    return qs.prefetch_related(
        Prefetch(
            "lines",
            queryset=NeedLine.objects.for_scope(qs.scope)
            .select_related("item")
            .only(
                "id",
                "need_id",
                "quantity",
                "committed",
                "in_transit",
                "fulfilled",
                "state",
                "item__id",
                "item__name",
                "item__unit",
            ),
        )
    )


def _need_place(row) -> str:
    return row.site.name if row.site_id else str(_("公司仓库"))


def _need_lines(need) -> str:
    """A need's lines as the list shows them: "N95口罩 20/100只；…"."""
    return "；".join(
        f"{li.item.name} {li.fulfilled}/{li.quantity}{li.item.unit}" for li in need.lines.all()
    )


class NeedList(ScopedListView):
    model = Need
    permission = REQUEST
    template_name = "supplies/needs_list.html"
    table_template = "supplies/needs_table.html"
    title = _("物资需求")
    filters = ("state",)
    search_fields = ("justification__icontains", "site__name__icontains")
    create_url_name = ""
    export_columns = (
        ExportColumn(_("申请时间"), lambda n: local_time(n.requested_at), 17),
        ExportColumn(_("项目"), _need_place, 18),
        ExportColumn(_("物资（已到/需求）"), _need_lines, 40),
        ExportColumn(_("状态"), "get_state_display", 8),
        ExportColumn(_("需求说明"), "justification", 30),
    )

    def refine_list(self, qs):
        return _with_lines(qs.select_related("site")).order_by("-requested_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"state": Need.State.choices}
        return ctx


class NeedDetail(ScopedDetailView):
    model = Need
    permission = REQUEST
    template_name = "supplies/needs_detail.html"

    def refine(self, qs):
        return _with_lines(qs.select_related("site", "company", "requested_by"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["lines"] = list(self.object.lines.all())
        ctx["can_cancel"] = self.object.state == Need.State.OPEN
        return ctx


class NeedCancel(ScopedViewMixin, generic.View):
    model = Need
    permission = REQUEST

    def post(self, request, pk: int):
        need = get_object_or_404(self.get_queryset().only("id", "company_id", "state"), pk=pk)
        try:
            needs.need_cancel(actor=request.user, need=need)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("需求已取消。"))
        return redirect("supplies:needs_detail", pk=pk)


# --- the coordinator -----------------------------------------------------------------------


def _stock_by_item(scope: Scope) -> dict[int, int]:
    """Units in the scope's warehouses, minus READY shipments, per item."""
    on_hand = dict(
        Balance.objects.for_scope(scope)
        .filter(location__kind=Location.Kind.WAREHOUSE)
        .values_list("item_id")
        .order_by()
        .annotate(q=Sum("quantity"))
    )
    held = dict(
        ShipmentLine.objects.for_scope(scope)
        .filter(
            shipment__state=Shipment.State.READY,
            shipment__from_location__kind=Location.Kind.WAREHOUSE,
        )
        .values_list("item_id")
        .order_by()
        .annotate(q=Sum("quantity"))
    )
    return {item: q - held.get(item, 0) for item, q in on_hand.items()}


class OpenNeeds(CoordinatorList):
    """Every member's need line still short, with filters (item, district, company),
    and the totals per item against the stock the warehouses can still give."""

    model = NeedLine
    title = _("待分配需求")
    template_name = "supplies/needs_open.html"
    table_template = "supplies/needs_open_table.html"
    filters = ("item_id", "company_id")
    paginate_by = 50
    export_columns = (
        ExportColumn(_("物资"), "item.name", 16),
        ExportColumn(_("企业"), "company.name", 20),
        ExportColumn(_("项目"), _need_place, 18),
        ExportColumn(_("需求"), "quantity", 8),
        ExportColumn(_("尚缺"), "remaining", 8),
        ExportColumn(_("单位"), "item.unit", 6),
        ExportColumn(_("申请时间"), lambda li: local_time(li.need.requested_at), 17),
        ExportColumn(_("需求说明"), "need.justification", 30),
    )

    def refine_list(self, qs):
        qs = (
            qs.filter(state__in=allocation.LIVE_STATES)
            .annotate(remaining=F("quantity") - F("committed") - F("in_transit") - F("fulfilled"))
            .filter(remaining__gt=0)
            .select_related("company", "site", "item", "need")
            .order_by("item__code", "-need__requested_at", "id")
        )
        district = self.request.GET.get("district", "").strip()
        if district.isdigit():
            qs = qs.filter(
                Q(site__community__code__startswith=district)
                | Q(site__isnull=True, company__division__code__startswith=district)
            )
        return qs

    def filter_choices(self) -> dict:
        return {"item_id": [(i.pk, i.name) for i in Item.objects.filter(active=True)]}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        stock = _stock_by_item(self.scope)
        totals = (
            self.get_queryset()
            .order_by()
            .values("item_id", "item__name", "item__unit")
            .annotate(lines=Count("id"), remaining=Sum("remaining"))
        )
        ctx["totals"] = [
            {**row, "stock": stock.get(row["item_id"], 0)}
            for row in sorted(totals, key=lambda r: r["item_id"])
        ]
        ctx["companies"] = Company.objects.for_scope(self.scope).only("id", "name")
        ctx["district"] = self.request.GET.get("district", "")
        return ctx


class PlanList(CoordinatorList):
    model = AllocationPlan
    title = _("分配方案")
    table_template = "supplies/allocation_table.html"
    filters = ("state",)
    create_url_name = "supplies:allocation_propose"

    def refine_list(self, qs):
        return (
            qs.select_related("warehouse", "created_by")
            .annotate(n_lines=Count("lines"), units=Sum("lines__quantity", default=0))
            .order_by("-created_at", "-id")
        )

    def filter_choices(self) -> dict:
        return {"state": AllocationPlan.State.choices}


class PlanPropose(CoordinatorForm):
    form_class = ProposeForm
    title = _("生成分配方案")
    success_message = _("已生成分配方案草稿，请核对后批准。")
    cancel_url_name = "supplies:allocation_list"

    def act(self, form) -> str:
        warehouse = form.cleaned_data["warehouse"]
        plan = allocation.plan_propose(
            actor=self.request.user,
            association_id=warehouse.association_id,
            warehouse=warehouse,
            item_ids=[i.pk for i in form.cleaned_data["items"]] or None,
            note=form.cleaned_data["note"],
        )
        return reverse("supplies:allocation_detail", args=[plan.pk])


def _plan_rows(plan, lines) -> list[dict]:
    """Each line with its need's remaining and the destination's weight (the live
    figures: five grouped queries whatever the page)."""
    by_site, by_company = allocation.figures_for(plan.association_id)
    from firstline.supplies.services.planner import Figures, weight

    rows = []
    for line in lines:
        fig = allocation.line_figures(by_site, by_company, line.company_id, line.site_id)
        need = line.need_line
        rows.append(
            {
                "line": line,
                "remaining": need.quantity - need.committed - need.in_transit - need.fulfilled,
                "weight": round(
                    weight(
                        Figures(
                            isolation=fig.isolation,
                            red=fig.red,
                            fevers=fig.fevers,
                            residents=fig.residents,
                            staff=fig.staff,
                        )
                    ),
                    2,
                ),
            }
        )
    return rows


def _plan_lines(scope: Scope, plan):
    return (
        AllocationLine.objects.for_scope(scope)
        .filter(plan=plan)
        .select_related("company", "site", "item", "batch", "need_line")
        .only(
            "id",
            "plan_id",
            "quantity",
            "company_id",
            "site_id",
            "company__name",
            "site__name",
            "item__name",
            "item__unit",
            "item__pack_size",
            "batch__number",
            "need_line__quantity",
            "need_line__committed",
            "need_line__in_transit",
            "need_line__fulfilled",
        )
        .order_by("item__code", "company__name", "id")
    )


class PlanDetail(CoordinatorDetail):
    model = AllocationPlan
    template_name = "supplies/allocation_detail.html"
    context_object_name = "plan"

    def refine(self, qs):
        return qs.select_related("warehouse__district", "created_by", "approved_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        plan = self.object
        page = Paginator(_plan_lines(self.scope, plan), PLAN_ROWS).get_page(
            self.request.GET.get("page")
        )
        available = defaultdict(int)
        if plan.state == AllocationPlan.State.DRAFT:
            for lot in allocation.available_stock(plan.warehouse):
                available[lot.item_id] += lot.available
        totals = (
            AllocationLine.objects.for_scope(self.scope)
            .filter(plan=plan)
            .values("item_id", "item__name", "item__unit")
            .order_by("item_id")
            .annotate(lines=Count("id"), units=Sum("quantity"))
        )
        ctx.update(
            page_obj=page,
            rows=_plan_rows(plan, page.object_list),
            totals=[{**t, "available": available.get(t["item_id"], 0)} for t in totals],
            editable=plan.state == AllocationPlan.State.DRAFT and ctx["can_coordinate"],
        )
        return ctx


class PlanLineSet(CoordinatorAction):
    """POST quantity (htmx): set one line; answers with the refreshed row, or the row
    with the error under the box."""

    model = AllocationPlan

    def post(self, request, pk: int, line_id: int):
        plan = get_object_or_404(self.get_queryset(), pk=pk)
        line = get_object_or_404(_plan_lines(self.scope, plan), pk=line_id)
        form = LineQuantityForm(request.POST)
        error = ""
        if form.is_valid():
            try:
                allocation.plan_line_set(
                    actor=request.user, plan=plan, line=line, quantity=form.cleaned_data["quantity"]
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = " ".join(form.errors.get("quantity", []))
        found = list(_plan_lines(self.scope, plan).filter(pk=line_id))
        if not found:  # set to 0: the line is gone
            response = render(request, "supplies/allocation_row_removed.html", {})
        else:
            (row,) = _plan_rows(plan, found)
            response = render(
                request,
                "supplies/allocation_row.html",
                {"r": row, "plan": plan, "editable": True, "error": error},
            )
        response["HX-Trigger"] = "fl:allocation-changed"
        return response


class _PlanAction(CoordinatorAction):
    model = AllocationPlan

    def act(self, plan):
        raise NotImplementedError

    confirm = False  # an irreversible action: refused without the `confirmed` box

    def post(self, request, pk: int):
        plan = get_object_or_404(self.get_queryset(), pk=pk)
        if self.confirm and request.POST.get("confirmed") != "1":
            messages.error(request, _("请先勾选确认，再执行此操作。"))
            return redirect("supplies:allocation_detail", pk=pk)
        try:
            message = self.act(plan)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, message)
        return redirect("supplies:allocation_detail", pk=pk)


class PlanApprove(_PlanAction):
    """POST: approve (shipments made, stock and needs committed); asks first, see
    supplies/allocation_detail.html and core/_confirm.html."""

    confirm = True

    def act(self, plan):
        shipments = allocation.plan_approve(actor=self.request.user, plan=plan)
        return _("方案已批准，生成发货单 %(n)d 张。") % {"n": len(shipments)}


class PlanDiscard(_PlanAction):
    def act(self, plan):
        allocation.plan_discard(actor=self.request.user, plan=plan)
        return _("方案已作废。")
