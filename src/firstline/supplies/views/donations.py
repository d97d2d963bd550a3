"""Donation and stock pages.

The coordinator's pages (catalogue, donors, campaigns, warehouses, pledges, batches,
stock, reconciliation, adjustments) are the scoped base views over association rows
(views/coordination.py): a user without an association role gets 403, another
association's row is 404. Company and site users see their own stock through the
same `for_scope` (a location, its balances and entries declare company and site
paths) and move stock from their store to a site. Each write calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.views import (
    PAGE_SIZES,
    ForgivingPaginationMixin,
    ScopedViewMixin,
    apply_errors,
)
from firstline.supplies.forms.donations import (
    AdjustForm,
    BatchForm,
    BatchLineFormSet,
    CampaignForm,
    DocumentForm,
    DonorForm,
    PledgeForm,
    TransferForm,
    WarehouseForm,
)
from firstline.supplies.models import (
    Balance,
    Campaign,
    Donor,
    InboundBatch,
    Item,
    Location,
    Pledge,
    QualityDocument,
    Warehouse,
)
from firstline.supplies.selectors import donations as donations_selectors
from firstline.supplies.selectors.coordination import COORDINATE, VIEW_ALL, associations_for
from firstline.supplies.selectors.stock import scoped_locations
from firstline.supplies.services import donations as donations_services
from firstline.supplies.views.coordination import (
    CoordinatorAction,
    CoordinatorDetail,
    CoordinatorForm,
    CoordinatorList,
    CoordinatorMixin,
)

VIEW_STOCK = "supplies.view_stock"


# --- catalogue, donors, campaigns, warehouses ------------------------------------------------


class ItemList(LoginRequiredMixin, generic.ListView):
    """The catalogue, for coordinators: shared reference data (no scope to apply), so
    not a scoped list; the same list page, search, filter and pagination."""

    template_name = "core/list.html"
    table_template = "supplies/donations_items_table.html"
    title = gettext_lazy("物资目录")
    search_fields = ("name__icontains", "code__icontains", "standard__icontains")
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not associations_for(request.scope, VIEW_ALL):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_paginate_by(self, queryset):
        size = self.request.GET.get("per_page", "")
        return int(size) if size.isdigit() and int(size) in PAGE_SIZES else self.paginate_by

    def get_queryset(self):
        qs = donations_selectors.items()
        if kind := self.request.GET.get("kind"):
            qs = qs.filter(kind=kind)
        if term := self.request.GET.get("q", "").strip():
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{field: term})
            qs = qs.filter(condition)
        return qs

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and self.request.htmx.target == "list-table":
            return [self.table_template]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=self.title,
            table_template=self.table_template,
            query=self.request.GET.get("q", ""),
            filter_values={"kind": self.request.GET.get("kind", "")},
            filter_choices={"kind": Item.Kind.choices},
            page_sizes=PAGE_SIZES,
        )
        return ctx


class DonorList(CoordinatorList):
    model = Donor
    title = gettext_lazy("捐赠方")
    table_template = "supplies/donations_donors_table.html"
    search_fields = ("name__icontains", "public_name__icontains")
    filters = ("kind",)
    create_url_name = "supplies:donor_create"

    def refine_list(self, qs):
        return qs.order_by("name", "id")

    def filter_choices(self):
        return {"kind": Donor.Kind.choices}


class DonorCreate(CoordinatorForm):
    form_class = DonorForm
    title = gettext_lazy("新建捐赠方")
    cancel_url_name = "supplies:donor_list"

    def act(self, form):
        donations_services.donor_create(
            actor=self.request.user, association_id=self.association_id, **form.cleaned_data
        )
        return reverse("supplies:donor_list")


class DonorEdit(CoordinatorForm):
    form_class = DonorForm
    title = gettext_lazy("编辑捐赠方")
    cancel_url_name = "supplies:donor_list"

    @cached_property
    def donor(self) -> Donor:
        return get_object_or_404(donations_selectors.donors(self.scope), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.donor}

    def act(self, form):
        donations_services.donor_update(
            actor=self.request.user, donor=self.donor, **form.cleaned_data
        )
        return reverse("supplies:donor_list")


class CampaignList(CoordinatorList):
    model = Campaign
    title = gettext_lazy("募捐活动")
    table_template = "supplies/donations_campaigns_table.html"
    search_fields = ("name__icontains",)
    create_url_name = "supplies:campaign_create"

    def refine_list(self, qs):
        return qs.order_by("-starts_on", "id")


class CampaignCreate(CoordinatorForm):
    form_class = CampaignForm
    title = gettext_lazy("新建募捐活动")
    cancel_url_name = "supplies:campaign_list"

    def act(self, form):
        donations_services.campaign_create(
            actor=self.request.user, association_id=self.association_id, **form.cleaned_data
        )
        return reverse("supplies:campaign_list")


class WarehouseList(CoordinatorList):
    model = Warehouse
    title = gettext_lazy("仓库")
    table_template = "supplies/donations_warehouses_table.html"
    search_fields = ("name__icontains", "address__icontains")
    create_url_name = "supplies:warehouse_create"

    def refine_list(self, qs):
        return qs.select_related("district").order_by("name", "id")


class WarehouseCreate(CoordinatorForm):
    form_class = WarehouseForm
    title = gettext_lazy("新建仓库")
    cancel_url_name = "supplies:warehouse_list"

    def act(self, form):
        donations_services.warehouse_create(
            actor=self.request.user, association_id=self.association_id, **form.cleaned_data
        )
        return reverse("supplies:warehouse_list")


# --- pledges ------------------------------------------------------------------------------------


class PledgeList(CoordinatorList):
    model = Pledge
    title = gettext_lazy("认捐")
    table_template = "supplies/donations_pledges_table.html"
    search_fields = ("donor__name__icontains", "note__icontains")
    filters = ("state",)
    create_url_name = "supplies:pledge_create"

    def refine_list(self, qs):
        return qs.select_related("donor", "item", "campaign").order_by("-pledged_at", "-id")

    def filter_choices(self):
        return {"state": Pledge.State.choices}


class PledgeCreate(CoordinatorForm):
    form_class = PledgeForm
    title = gettext_lazy("登记认捐")
    cancel_url_name = "supplies:pledge_list"

    def act(self, form):
        data = form.cleaned_data
        donations_services.pledge_create(
            actor=self.request.user,
            donor=data["donor"],
            item=data["item"],
            quantity=data["quantity"],
            campaign=data["campaign"],
            direction=form.direction(),
            note=data["note"],
        )
        return reverse("supplies:pledge_list")


class PledgeCancel(CoordinatorAction):
    model = Pledge

    def post(self, request, pk):
        pledge = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            donations_services.pledge_cancel(actor=request.user, pledge=pledge)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("认捐已取消。"))
        return redirect("supplies:pledge_list")


# --- inbound batches ---------------------------------------------------------------------------


class BatchList(CoordinatorList):
    model = InboundBatch
    title = gettext_lazy("入库批次")
    table_template = "supplies/donations_batches_table.html"
    search_fields = ("donor__name__icontains", "note__icontains")
    filters = ("warehouse_id",)
    create_url_name = "supplies:batch_receive"

    def refine_list(self, qs):
        return donations_selectors.batch_rows(qs)

    def filter_choices(self):
        return {
            "warehouse_id": list(
                donations_selectors.warehouses(self.scope).values_list("pk", "name")
            )
        }


class BatchDetail(CoordinatorDetail):
    model = InboundBatch
    template_name = "supplies/donations_batch_detail.html"
    context_object_name = "batch"

    def refine(self, qs):
        return donations_selectors.batch_detail(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        batch = self.object
        entries = Paginator(donations_selectors.batch_entries(self.scope, batch), 50).get_page(
            self.request.GET.get("page")
        )
        ctx.update(
            lines=donations_selectors.batch_lines(self.scope, batch),
            documents=donations_selectors.batch_documents(self.scope, batch),
            page_obj=entries,
            entries=entries.object_list,
        )
        return ctx


class BatchReceive(CoordinatorForm):
    """The batch header and its item lines (a formset), received in one service call."""

    form_class = BatchForm
    template_name = "supplies/donations_batch_receive.html"
    title = gettext_lazy("捐赠物资入库")
    cancel_url_name = "supplies:batch_list"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("lines", self.lines_formset())
        return ctx

    def lines_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        return BatchLineFormSet(data, prefix="lines")

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        lines = self.lines_formset()
        if not (form.is_valid() and lines.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, lines=lines))
        data = form.cleaned_data
        rows = [
            donations_services.Line(
                f["item"], f.get("lot_no") or None, f.get("expiry"), f["quantity"]
            )
            for f in (x.cleaned_data for x in lines.forms)
            if f
        ]
        try:
            batch = donations_services.batch_receive(
                actor=request.user,
                association_id=data["donor"].association_id,
                donor=data["donor"],
                warehouse=data["warehouse"],
                lines=rows,
                campaign=data["campaign"],
                pledge=data["pledge"],
                direction=form.direction()
                if form.direction() != donations_services.Direction()
                else None,
                received_at=data["received_at"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, lines=lines))
        messages.success(request, _("第 %(n)d 批已入库。") % {"n": batch.number})
        return redirect("supplies:batch_detail", batch.pk)


class DocumentAdd(CoordinatorForm):
    form_class = DocumentForm
    title = gettext_lazy("上传质量文件")

    @cached_property
    def batch(self):
        return get_object_or_404(donations_selectors.batches(self.scope), pk=self.kwargs["pk"])

    def act(self, form):
        donations_services.quality_document_add(
            actor=self.request.user, batch=self.batch, **form.cleaned_data
        )
        return reverse("supplies:batch_detail", args=[self.batch.pk])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["cancel_url"] = reverse("supplies:batch_detail", args=[self.batch.pk])
        return ctx


class DocumentDownload(CoordinatorMixin, ScopedViewMixin, generic.View):
    model = QualityDocument

    def get(self, request, pk):
        document = get_object_or_404(self.get_queryset(), pk=pk)
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.file.name.rsplit("/", 1)[-1],
        )


# --- stock (the coordinator's) ---------------------------------------------------------------


class StockList(CoordinatorList):
    """Balances per location, item and batch, filtered by location kind, location, item."""

    model = Balance
    title = gettext_lazy("库存")
    template_name = "supplies/stock_list.html"
    table_template = "supplies/stock_table.html"
    filters = ("location__kind", "location_id", "item_id")
    search_fields = ("location__public_name__icontains",)
    paginate_by = 50

    def refine_list(self, qs):
        return donations_selectors.on_hand(qs)

    def filter_choices(self):
        real = [(k, label) for k, label in Location.Kind.choices if k not in Location.VIRTUAL_KINDS]
        return {
            "location__kind": real,
            "item_id": list(Item.objects.values_list("pk", "name")),
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["warehouse_totals"] = donations_selectors.totals_by_location(
            self.scope,
            donations_selectors.locations(self.scope).filter(kind=Location.Kind.WAREHOUSE),
        )
        return ctx


class Reconciliation(CoordinatorMixin, ScopedViewMixin, generic.TemplateView):
    """Cached balances against the sum of entries, and the hash chain's verify result."""

    model = Location
    template_name = "supplies/stock_reconciliation.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["reports"] = [
            {"association_id": pk, **donations_selectors.reconciliation(self.scope, pk)}
            for pk in sorted(associations_for(self.scope))
        ]
        return ctx


class StockAdjust(CoordinatorForm):
    form_class = AdjustForm
    title = gettext_lazy("盘点调整")
    cancel_url_name = "supplies:stock_list"
    success_message = gettext_lazy("已记入台账。")

    def get_initial(self):
        return {k: v for k, v in self.request.GET.items() if k in ("location", "item", "batch")}

    def act(self, form):
        donations_services.stock_adjust(actor=self.request.user, **form.cleaned_data)
        return reverse("supplies:stock_location", args=[form.cleaned_data["location"].pk])


# --- stock (the companies' and sites') -----------------------------------------------------


def stock_scope(request):
    """Who may read stock: a coordinator (the association's whole ledger) and company
    and site users (their own stores and sites). Neither → 403."""
    scope = request.scope.for_any_perm(VIEW_ALL, VIEW_STOCK)
    if not scope.grants:
        raise PermissionDenied
    return scope


class StockMine(ForgivingPaginationMixin, ScopedViewMixin, generic.ListView):
    """A company's or site's stock on hand, batch by batch."""

    model = Balance
    permission = VIEW_STOCK
    template_name = "supplies/stock_mine.html"
    paginate_by = 50

    def locations(self):
        return scoped_locations(self.scope)

    def refine(self, qs):
        return donations_selectors.on_hand(qs, item_id=self.request.GET.get("item_id") or None)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            totals=donations_selectors.totals_by_location(self.scope, self.locations()),
            can_transfer=bool(self.locations().filter(kind=Location.Kind.COMPANY).exists())
            and self.request.scope.has_perm(donations_services.TRANSFER_PERMISSION),
        )
        return ctx


class StockLocation(LoginRequiredMixin, generic.TemplateView):
    """One location's balances and its latest entries (404 outside the user's reach)."""

    template_name = "supplies/stock_location.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        scope = stock_scope(self.request)
        location = get_object_or_404(donations_selectors.locations(scope), pk=self.kwargs["pk"])
        entries = Paginator(donations_selectors.location_entries(scope, location), 50).get_page(
            self.request.GET.get("page")
        )
        ctx.update(
            location=location,
            balances=donations_selectors.on_hand(
                Balance.objects.for_scope(scope).filter(location_id=location.pk)
            ),
            page_obj=entries,
            entries=entries.object_list,
            can_adjust=location.association_id in associations_for(self.request.scope, COORDINATE),
        )
        return ctx


class Transfer(LoginRequiredMixin, generic.FormView):
    """Company store → one of its sites, with the transfer permission company-wide."""

    form_class = TransferForm
    template_name = "core/form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.scope.for_perm(
            donations_services.TRANSFER_PERMISSION
        ).ids("company"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        scope = self.request.scope.for_perm(donations_services.TRANSFER_PERMISSION)
        return {**super().get_form_kwargs(), "locations": scoped_locations(scope)}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=_("调拨到项目"), cancel_url=reverse("supplies:stock_mine"))
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            donations_services.transfer(
                actor=self.request.user,
                scope=self.request.scope,
                from_location=data["from_location"],
                to_location=data["to_location"],
                lines=[(data["item"], None, data["quantity"])],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已调拨。"))
        return redirect("supplies:stock_mine")
