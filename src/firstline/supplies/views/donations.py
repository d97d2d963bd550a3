"""Donation and stock pages.

The coordinator's pages (catalogue, donors, campaigns, warehouses, pledges, batches,
stock, reconciliation, adjustments) read association-level rows, which `for_scope`
does not reach: `CoordinatorMixin` resolves the associations the user acts for
(`associations_for`) once per request, refuses a user with none (403), and every
queryset here starts from those ids, so another association's row is 404.
Company and site users see their own stock through `stock.scoped_locations` and
move stock from their store to a site. Each write calls one service."""

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

from firstline.core.views import PAGE_SIZES, apply_errors
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
from firstline.supplies.models import Donor, Item, Location, Pledge, QualityDocument
from firstline.supplies.selectors import donations as donations_selectors
from firstline.supplies.selectors.coordination import associations_for
from firstline.supplies.selectors.stock import scoped_locations
from firstline.supplies.services import donations as donations_services

VIEW_ALL = "supplies.view_all"
COORDINATE = "supplies.coordinate"
VIEW_STOCK = "supplies.view_stock"


# --- bases ------------------------------------------------------------------------------------


class CoordinatorMixin(LoginRequiredMixin):
    """Login, then the associations the user acts for with `permission` (403 if none)."""

    permission = VIEW_ALL

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.association_ids = associations_for(request.scope, self.permission)
            if not self.association_ids:
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def association_id(self) -> int:
        """Where new rows go: the (first) association the coordinator acts for."""
        return min(self.association_ids)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_coordinate"] = bool(associations_for(self.request.scope, COORDINATE))
        return ctx


class AssociationList(CoordinatorMixin, generic.ListView):
    """A paginated list on core/list.html: search (`search_fields`), exact filters, and
    the htmx table fragment, like ScopedListView but over association rows."""

    template_name = "core/list.html"
    table_template = ""
    title = ""
    search_fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    paginate_by = 25
    create_url_name = ""

    def rows(self):
        raise NotImplementedError

    def filter_choices(self) -> dict:
        return {}

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("per_page", self.paginate_by))
        except ValueError:
            size = self.paginate_by
        return size if size in PAGE_SIZES else self.paginate_by

    def get_queryset(self):
        qs = self.rows()
        for name in self.filters:
            value = self.request.GET.get(name)
            if value:
                qs = qs.filter(**{name: value})
        term = self.request.GET.get("q", "").strip()
        if term and self.search_fields:
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
            filter_values={name: self.request.GET.get(name, "") for name in self.filters},
            filter_choices=self.filter_choices(),
            page_sizes=PAGE_SIZES,
            can_create=bool(self.create_url_name) and ctx["can_coordinate"],
            create_url_name=self.create_url_name,
        )
        return ctx


class CoordinatorForm(CoordinatorMixin, generic.FormView):
    """GET shows the form, POST calls the service (`act`, returns where to go). A
    ValidationError from the service lands on the form; nothing is saved."""

    permission = COORDINATE
    template_name = "core/form.html"
    title = ""
    success_message = gettext_lazy("已保存。")
    cancel_url_name = "dashboard"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "association_ids": self.association_ids}

    def act(self, form) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            target = self.act(form)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(target)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=self.title, cancel_url=reverse(self.cancel_url_name))
        return ctx


# --- catalogue, donors, campaigns, warehouses ------------------------------------------------


class ItemList(AssociationList):
    title = gettext_lazy("物资目录")
    table_template = "supplies/donations_items_table.html"
    search_fields = ("name__icontains", "code__icontains", "standard__icontains")
    filters = ("kind",)
    paginate_by = 50

    def rows(self):
        return donations_selectors.items()

    def filter_choices(self):
        return {"kind": Item.Kind.choices}


class DonorList(AssociationList):
    title = gettext_lazy("捐赠方")
    table_template = "supplies/donations_donors_table.html"
    search_fields = ("name__icontains", "public_name__icontains")
    filters = ("kind",)
    create_url_name = "supplies:donor_create"

    def rows(self):
        return donations_selectors.donors(self.association_ids)

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
        return get_object_or_404(
            donations_selectors.donors(self.association_ids), pk=self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.donor}

    def act(self, form):
        donations_services.donor_update(
            actor=self.request.user, donor=self.donor, **form.cleaned_data
        )
        return reverse("supplies:donor_list")


class CampaignList(AssociationList):
    title = gettext_lazy("募捐活动")
    table_template = "supplies/donations_campaigns_table.html"
    search_fields = ("name__icontains",)
    create_url_name = "supplies:campaign_create"

    def rows(self):
        return donations_selectors.campaigns(self.association_ids)


class CampaignCreate(CoordinatorForm):
    form_class = CampaignForm
    title = gettext_lazy("新建募捐活动")
    cancel_url_name = "supplies:campaign_list"

    def act(self, form):
        donations_services.campaign_create(
            actor=self.request.user, association_id=self.association_id, **form.cleaned_data
        )
        return reverse("supplies:campaign_list")


class WarehouseList(AssociationList):
    title = gettext_lazy("仓库")
    table_template = "supplies/donations_warehouses_table.html"
    search_fields = ("name__icontains", "address__icontains")
    create_url_name = "supplies:warehouse_create"

    def rows(self):
        return donations_selectors.warehouses(self.association_ids)


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


class PledgeList(AssociationList):
    title = gettext_lazy("认捐")
    table_template = "supplies/donations_pledges_table.html"
    search_fields = ("donor__name__icontains", "note__icontains")
    filters = ("state",)
    create_url_name = "supplies:pledge_create"

    def rows(self):
        return donations_selectors.pledges(self.association_ids)

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


class PledgeCancel(CoordinatorMixin, generic.View):
    permission = COORDINATE
    http_method_names = ["post"]

    def post(self, request, pk):
        pledge = get_object_or_404(donations_selectors.pledges(self.association_ids), pk=pk)
        try:
            donations_services.pledge_cancel(actor=request.user, pledge=pledge)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("认捐已取消。"))
        return redirect("supplies:pledge_list")


# --- inbound batches ---------------------------------------------------------------------------


class BatchList(AssociationList):
    title = gettext_lazy("入库批次")
    table_template = "supplies/donations_batches_table.html"
    search_fields = ("donor__name__icontains", "note__icontains")
    filters = ("warehouse_id",)
    create_url_name = "supplies:batch_receive"

    def rows(self):
        return donations_selectors.batches(self.association_ids)

    def filter_choices(self):
        return {
            "warehouse_id": list(
                donations_selectors.warehouses(self.association_ids).values_list("pk", "name")
            )
        }


class BatchDetail(CoordinatorMixin, generic.TemplateView):
    template_name = "supplies/donations_batch_detail.html"

    @cached_property
    def batch(self):
        batch = donations_selectors.batch_for(self.association_ids, self.kwargs["pk"])
        if batch is None:
            from django.http import Http404

            raise Http404
        return batch

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        entries = Paginator(donations_selectors.batch_entries(self.batch), 50).get_page(
            self.request.GET.get("page")
        )
        ctx.update(
            batch=self.batch,
            lines=donations_selectors.batch_lines(self.batch),
            documents=donations_selectors.batch_documents(self.batch),
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
        return get_object_or_404(
            donations_selectors.batches(self.association_ids), pk=self.kwargs["pk"]
        )

    def act(self, form):
        donations_services.quality_document_add(
            actor=self.request.user, batch=self.batch, **form.cleaned_data
        )
        return reverse("supplies:batch_detail", args=[self.batch.pk])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["cancel_url"] = reverse("supplies:batch_detail", args=[self.batch.pk])
        return ctx


class DocumentDownload(CoordinatorMixin, generic.View):
    def get(self, request, pk):
        document = get_object_or_404(
            QualityDocument.objects.filter(batch__association_id__in=sorted(self.association_ids)),
            pk=pk,
        )
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.file.name.rsplit("/", 1)[-1],
        )


# --- stock (the coordinator's) ---------------------------------------------------------------


class StockList(AssociationList):
    """Balances per location, item and batch, filtered by location kind, location, item."""

    title = gettext_lazy("库存")
    template_name = "supplies/stock_list.html"
    table_template = "supplies/stock_table.html"
    filters = ("location__kind", "location_id", "item_id")
    search_fields = ("location__public_name__icontains",)
    paginate_by = 50

    def rows(self):
        return donations_selectors.balances(
            donations_selectors.association_locations(self.association_ids)
        )

    def filter_choices(self):
        real = [(k, label) for k, label in Location.Kind.choices if k not in Location.VIRTUAL_KINDS]
        return {
            "location__kind": real,
            "item_id": list(Item.objects.values_list("pk", "name")),
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["warehouse_totals"] = donations_selectors.totals_by_location(
            donations_selectors.association_locations(self.association_ids).filter(
                kind=Location.Kind.WAREHOUSE
            )
        )
        return ctx


class Reconciliation(CoordinatorMixin, generic.TemplateView):
    """Cached balances against the sum of entries, and the hash chain's verify result."""

    template_name = "supplies/stock_reconciliation.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["reports"] = [
            {"association_id": pk, **donations_selectors.reconciliation(pk)}
            for pk in sorted(self.association_ids)
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


def visible_locations(request):
    """Locations the user may read: the coordinator's association's, and the company
    stores and sites the user's own grants reach. Neither → 403."""
    parts = []
    if ids := associations_for(request.scope, VIEW_ALL):
        parts.append(donations_selectors.association_locations(ids))
    own = request.scope.for_perm(VIEW_STOCK)
    if own.grants:
        parts.append(scoped_locations(own))
    if not parts:
        raise PermissionDenied
    qs = parts[0]
    for part in parts[1:]:
        qs = qs | part
    return qs


class StockMine(LoginRequiredMixin, generic.ListView):
    """A company's or site's stock on hand, batch by batch."""

    template_name = "supplies/stock_mine.html"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.scope.for_perm(VIEW_STOCK).grants:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def locations(self):
        return scoped_locations(self.request.scope.for_perm(VIEW_STOCK))

    def get_queryset(self):
        return donations_selectors.balances(
            self.locations(), item_id=self.request.GET.get("item_id") or None
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            totals=donations_selectors.totals_by_location(self.locations()),
            can_transfer=bool(self.locations().filter(kind=Location.Kind.COMPANY).exists())
            and self.request.scope.has_perm(donations_services.TRANSFER_PERMISSION),
        )
        return ctx


class StockLocation(LoginRequiredMixin, generic.TemplateView):
    """One location's balances and its latest entries (404 outside the user's reach)."""

    template_name = "supplies/stock_location.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        location = get_object_or_404(visible_locations(self.request), pk=self.kwargs["pk"])
        entries = Paginator(donations_selectors.location_entries(location), 50).get_page(
            self.request.GET.get("page")
        )
        ctx.update(
            location=location,
            balances=donations_selectors.balances(Location.objects.filter(pk=location.pk)),
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
