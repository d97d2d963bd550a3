"""Shipment pages, two sides of the same rows.

- The coordinator (association): every shipment its ledger sent, filtered by state,
  company and district; one shipment; dispatch one, or every READY one of a plan.
  Shipments are the companies' rows; the coordinator reaches them through the
  association path Shipment declares (`for_scope`, like the companies' own pages).
- The company and its sites: incoming shipments, one shipment, the receipt form; a
  site's stock with its use history, and the form to record use. These are the
  scoped base views (`for_scope`): another company's shipment or site is a 404.

Each write is one service call (supplies/services/shipments.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.core.scope import Scope
from firstline.core.services import ExportColumn, local_time
from firstline.core.views import ScopedDetailView, ScopedListView, ServiceFormView, row_id
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Company
from firstline.supplies.forms.shipments import CONSUMPTION_ROWS, ConsumptionForm, ReceiveForm
from firstline.supplies.models import (
    AllocationPlan,
    Balance,
    LedgerEntry,
    Location,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.selectors.coordination import COORDINATE, associations_for
from firstline.supplies.services.shipments import (
    consumption_record,
    plan_dispatch,
    shipment_dispatch,
    shipment_receive,
)
from firstline.supplies.views.coordination import (
    CoordinatorAction,
    CoordinatorDetail,
    CoordinatorList,
)

VIEW_STOCK = "supplies.view_stock"
RECEIVE = "supplies.receive_shipment"
CONSUME = "supplies.record_consumption"
HISTORY_ROWS = 25


def line_rows(scope: Scope, shipment_id: int):
    """A shipment's lines with what the table shows, one query."""
    return (
        ShipmentLine.objects.for_scope(scope)
        .filter(shipment_id=shipment_id)
        .select_related("item", "batch")
        .order_by("pk")
    )


# The columns both lists show, in the export (?export=xlsx|csv) as on the page.
SHIPMENT_NUMBER = ExportColumn(gettext_lazy("运单号"), "number", 18)
SHIPMENT_TAIL = (
    ExportColumn(gettext_lazy("收货地点"), "to_location.public_name", 24),
    ExportColumn(gettext_lazy("状态"), "get_state_display", 8),
    ExportColumn(gettext_lazy("发货时间"), lambda s: local_time(s.dispatched_at), 17),
    ExportColumn(gettext_lazy("签收时间"), lambda s: local_time(s.received_at), 17),
)


def _shipments(qs):
    return qs.select_related("company", "site", "to_location", "plan").order_by(
        "-created_at", "-id"
    )


# --- the coordinator ---------------------------------------------------------------------


class ShipmentList(CoordinatorList):
    model = Shipment
    template_name = "supplies/shipments_list.html"
    table_template = "supplies/shipments_table.html"
    title = gettext_lazy("发货单")
    export_columns = (
        SHIPMENT_NUMBER,
        ExportColumn(gettext_lazy("收货企业"), "company.name", 20),
        SHIPMENT_TAIL[0],
        ExportColumn(gettext_lazy("分配方案"), lambda s: f"#{s.plan_id}" if s.plan_id else "", 10),
        *SHIPMENT_TAIL[1:],
    )

    def refine_list(self, qs):
        get = self.request.GET
        if (state := get.get("state", "")) in Shipment.State.values:
            qs = qs.filter(state=state)
        if (company := row_id(get.get("company"))) is not None:
            qs = qs.filter(company_id=company)
        if (district := get.get("district", "")).isdigit():
            qs = qs.filter(to_location__division_code__startswith=district)
        return _shipments(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        companies = Company.objects.for_scope(self.scope).values_list("pk", "name")
        codes = (
            Location.objects.for_scope(self.scope)
            .filter(kind__in=[Location.Kind.SITE, Location.Kind.COMPANY])
            .exclude(division_code="")
            .values_list("division_code", flat=True)
            .distinct()
        )
        districts = Division.objects.filter(
            code__in=sorted({code[:6] for code in codes})
        ).values_list("code", "name")
        ctx.update(
            states=Shipment.State.choices,
            companies=list(companies.order_by("name")),
            districts=list(districts.order_by("code")),
            filter_values={
                k: self.request.GET.get(k, "") for k in ("state", "company", "district")
            },
            can_dispatch=bool(associations_for(self.request.scope, COORDINATE)),
        )
        return ctx


class ShipmentDetail(CoordinatorDetail):
    model = Shipment
    template_name = "supplies/shipments_detail.html"

    def refine(self, qs):
        return qs.select_related("company", "site", "from_location", "to_location", "plan")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            lines=list(line_rows(self.scope, self.object.pk)),
            coordinator=True,
            can_dispatch=bool(associations_for(self.request.scope, COORDINATE))
            and self.object.state == Shipment.State.READY,
        )
        return ctx


class ShipmentDispatch(CoordinatorAction):
    """POST: dispatch one READY shipment (a second click changes nothing)."""

    model = Shipment

    def post(self, request, pk):
        shipment = get_object_or_404(self.get_queryset().only("id", "number"), pk=pk)
        try:
            if shipment_dispatch(actor=request.user, shipment=shipment):
                messages.success(request, _("发货单 %(n)s 已发货。") % {"n": shipment.number})
            else:
                messages.info(request, _("发货单 %(n)s 此前已发货。") % {"n": shipment.number})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("supplies:shipment_detail", pk=shipment.pk)


class PlanDispatch(CoordinatorAction):
    """POST: dispatch every READY shipment of one approved plan; refused without the
    `confirmed` box (the page asks first)."""

    model = AllocationPlan

    def post(self, request, pk):
        plan = get_object_or_404(self.get_queryset().only("id", "state"), pk=pk)
        if request.POST.get("confirmed") != "1":  # asked first: supplies/_plan_dispatch_form.html
            messages.error(request, _("请先勾选确认，再执行此操作。"))
            return redirect("supplies:allocation_detail", pk=pk)
        if plan.state != AllocationPlan.State.APPROVED:
            messages.error(request, _("只有已批准的分配方案可以发货。"))
        else:
            result = plan_dispatch(actor=request.user, plan=plan)
            if result.dispatched:
                messages.success(
                    request,
                    _("已发货 %(n)d 单：%(list)s")
                    % {"n": len(result.dispatched), "list": "、".join(result.dispatched)},
                )
            for number, why in result.refused.items():
                messages.error(request, _("%(n)s 未能发货：%(why)s") % {"n": number, "why": why})
            if not result.dispatched and not result.refused:
                messages.info(request, _("该方案没有待发货的发货单。"))
        return redirect(f"{reverse('supplies:shipment_list')}?state=in_transit")


# --- the company and its sites -------------------------------------------------------------


class IncomingList(ScopedListView):
    model = Shipment
    permission = VIEW_STOCK
    template_name = "supplies/shipments_incoming.html"
    table_template = "supplies/shipments_incoming_table.html"
    title = gettext_lazy("到货签收")
    filters = ("state",)
    search_fields = ("number__icontains",)
    export_columns = (SHIPMENT_NUMBER, *SHIPMENT_TAIL)

    def refine_list(self, qs):
        return _shipments(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_choices"] = {"state": Shipment.State.choices}
        return ctx


class IncomingDetail(ScopedDetailView):
    model = Shipment
    permission = VIEW_STOCK
    template_name = "supplies/shipments_detail.html"

    def refine(self, qs):
        return qs.select_related("company", "site", "from_location", "to_location", "plan")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            lines=list(line_rows(self.scope, self.object.pk)),
            can_receive=self.object.state == Shipment.State.IN_TRANSIT
            and self.request.scope.has_perm(RECEIVE),
        )
        return ctx


class IncomingReceipt(ScopedDetailView):
    """The receipt the receiving site signs, on one A4 sheet (core/print.html): the
    waybill, where from and to, each line sent with the quantity received (blank to
    write in while the shipment is in transit) and the lines to sign."""

    model = Shipment
    permission = VIEW_STOCK
    template_name = "supplies/shipments_receipt.html"

    def refine(self, qs):
        return qs.select_related(
            "company", "site", "from_location", "to_location", "dispatched_by", "received_by"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            lines=list(line_rows(self.scope, self.object.pk)),
            back_url=reverse("supplies:incoming_detail", args=[self.object.pk]),
            printed_at=timezone.now(),
        )
        return ctx


class IncomingReceive(ServiceFormView):
    """The receipt: each line's received quantity (sent, unless changed) and a reason
    for any difference, with the message on the line."""

    model = Shipment
    permission = RECEIVE
    form_class = ReceiveForm
    template_name = "supplies/shipments_receive.html"
    success_message = gettext_lazy("已签收。")

    @cached_property
    def shipment(self) -> Shipment:
        qs = Shipment.objects.for_scope(self.scope).select_related("site", "to_location")
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "shipment": self.shipment,
            "lines": line_rows(self.scope, self.shipment.pk),
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            object=self.shipment,
            title=_("签收 %(n)s") % {"n": self.shipment.number},
            cancel_url=reverse("supplies:incoming_detail", args=[self.shipment.pk]),
        )
        return ctx

    def act(self, form):
        acted = shipment_receive(
            actor=self.request.user,
            scope=self.request.scope,
            shipment=self.shipment,
            received=form.received(),
        )
        if not acted:
            self.success_message = _("这张发货单此前已签收。")
        return reverse("supplies:incoming_detail", args=[self.shipment.pk])


class SiteStockList(ScopedListView):
    """The scope's sites with what each holds now."""

    model = Site
    permission = VIEW_STOCK
    template_name = "supplies/consumption_sites.html"
    table_template = "supplies/consumption_sites_table.html"
    title = gettext_lazy("项目库存")
    search_fields = ("name__icontains",)

    def refine_list(self, qs):
        return qs.only("id", "name", "company_id").order_by("name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        sites = list(ctx["object_list"])
        rows = (
            Balance.objects.for_scope(self.scope)
            .filter(location__kind=Location.Kind.SITE, location__site_id__in=[s.pk for s in sites])
            .values("location__site_id", "item__name", "item__unit")
            .order_by("item__name")
            .annotate(q=Sum("quantity"))
        )
        stock: dict[int, list] = {}
        for row in rows:
            if row["q"]:
                stock.setdefault(row["location__site_id"], []).append(row)
        ctx["rows"] = [(site, stock.get(site.pk, [])) for site in sites]
        return ctx


class SiteStock(ScopedDetailView):
    """One site: units on hand per item and batch, and its use and receipts (paginated)."""

    model = Site
    permission = VIEW_STOCK
    template_name = "supplies/consumption_site.html"

    def refine(self, qs):
        return qs.only("id", "name", "company_id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        site = self.object
        balances = list(
            Balance.objects.for_scope(self.scope)
            .filter(location__kind=Location.Kind.SITE, location__site_id=site.pk, quantity__gt=0)
            .select_related("item", "batch")
            .order_by("item__code", "batch__number")
        )
        history = (
            LedgerEntry.objects.for_scope(self.scope)
            .filter(Q(from_location__site_id=site.pk) | Q(to_location__site_id=site.pk))
            .select_related("item", "batch")
            .order_by("-seq")
        )
        page = Paginator(history, HISTORY_ROWS).get_page(self.request.GET.get("page"))
        ctx.update(
            balances=balances,
            page_obj=page,
            entries=list(page.object_list),
            can_consume=Site.objects.for_scope(self.request.scope.for_perm(CONSUME))
            .filter(pk=site.pk)
            .exists(),
        )
        return ctx


class ConsumptionRecord(ServiceFormView):
    """Units a site used; drawn from the batches expiring first."""

    model = Site
    permission = CONSUME
    form_class = ConsumptionForm
    template_name = "supplies/consumption_form.html"
    success_message = gettext_lazy("已记录使用。")

    @cached_property
    def site(self) -> Site:
        return get_object_or_404(
            Site.objects.for_scope(self.scope).only("id", "name", "company_id"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        ctx.update(
            object=self.site,
            title=_("记录使用 · %(site)s") % {"site": self.site.name},
            cancel_url=reverse("supplies:site_stock", args=[self.site.pk]),
            rows=[(form[f"item_{n}"], form[f"qty_{n}"]) for n in range(1, CONSUMPTION_ROWS + 1)],
        )
        return ctx

    def act(self, form):
        consumption_record(
            actor=self.request.user,
            scope=self.request.scope,
            site=self.site,
            lines=form.lines(),
            reason=form.cleaned_data["reason"],
        )
        return reverse("supplies:site_stock", args=[self.site.pk])
