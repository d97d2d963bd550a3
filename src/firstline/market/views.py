"""market pages: the public impact page; the site's orders (handover by QR code or
room) and purchase orders (receipt); the owner's campaigns, ordering and own orders
(phone first); the supplier's purchase orders and confirmation."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from firstline.core import exporting
from firstline.core.roles import Target
from firstline.core.services import ExportColumn, local_time
from firstline.core.views import (
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    apply_errors,
    row_id,
)
from firstline.estates.models import Household
from firstline.market import forms
from firstline.market.models import (
    Campaign,
    CampaignSite,
    Order,
    Product,
    PurchaseOrder,
    Supplier,
    yuan,
)
from firstline.market.selectors import catalogue as catalogue_selectors
from firstline.market.selectors import impact as impact_selectors
from firstline.market.selectors import orders as selectors
from firstline.market.selectors.orders import (
    MANAGE,
    ORDER,
    RUN_CAMPAIGN,
    RUN_SITE,
    SUPPLY,
    VIEW_IMPACT,
)
from firstline.market.services import campaigns as campaign_services
from firstline.market.services import catalogue, purchasing
from firstline.market.services import orders as order_services
from firstline.orgs.models import Membership


def _scope(request, permission: str):
    """The part of the caller's scope that may use this page; none at all: 403."""
    scope = request.scope.for_perm(permission)
    if not scope.grants:
        raise PermissionDenied
    return scope


def _one(queryset, pk: int):
    """One row of a scoped queryset; outside the scope, like a missing row: 404."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _act(request, service, done: str) -> None:
    """Call the service; its refusal or `done` as the page's message."""
    try:
        service()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)


BREAKDOWNS = (
    ("county", _("按贫困县")),
    ("supplier", _("按供应商")),
    ("product", _("按农产品")),
    ("company", _("按物业企业")),
    ("district", _("按城区")),
)


def impact(request):
    """消费扶贫成效: public, no login, aggregates only; `?export=xlsx` gives managers
    (market.view_impact) the same figures as a workbook for their meetings."""
    figures = impact_selectors.impact_across_tenants()
    if request.GET.get("export") == "xlsx":
        if not (request.user.is_authenticated and request.scope.has_perm(VIEW_IMPACT)):
            raise PermissionDenied
        return _impact_workbook(figures)
    can_export = request.user.is_authenticated and request.scope.has_perm(VIEW_IMPACT)
    return render(request, "market/impact.html", {"figures": figures, "can_export": can_export})


def _impact_workbook(figures: dict) -> FileResponse:
    rows = [
        exporting.Strong(
            [
                str(_("合计")),
                "",
                figures["total"].jin,
                figures["total"].yuan,
                figures["total"].households,
            ]
        )
    ]
    for key, label in BREAKDOWNS:
        rows += [[str(label), r.label, r.jin, r.yuan, r.households] for r in figures[key]]
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    exporting.xlsx_write(
        rows,
        out,
        sheet=str(_("消费扶贫成效")),
        header=[str(_("分组")), str(_("名称")), str(_("斤")), str(_("元")), str(_("住户"))],
        widths=[14, 24, 12, 12, 10],
    )
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename="market-impact.xlsx",
        content_type=exporting.CONTENT_TYPES["xlsx"],
    )


class OrderList(ScopedListView):
    model = Order
    permission = RUN_SITE
    table_template = "market/_order_table.html"
    title = _("农产品订单")
    filters = ("state", "campaign_id")
    export_columns = (
        ExportColumn(_("订单号"), "pk", 10),
        ExportColumn(_("活动"), lambda o: o.campaign.title, 20),
        ExportColumn(_("房号"), lambda o: o.household.label, 14),
        ExportColumn(_("状态"), lambda o: o.get_state_display(), 10),
        ExportColumn(_("收货方式"), lambda o: o.get_handover_display(), 10),
        ExportColumn(_("金额（元）"), lambda o: yuan(o.total_fen), 10),
        ExportColumn(_("已付（元）"), lambda o: yuan(o.paid_fen), 10),
        ExportColumn(_("已退（元）"), lambda o: yuan(o.refunded_fen), 10),
        ExportColumn(_("待收（元）"), lambda o: o.due_yuan, 10),
    )

    def refine_list(self, qs):
        return catalogue_selectors.with_money(
            qs.select_related("campaign", "household__building")
        ).order_by("-created_at", "-id")


class OrderDetail(ScopedDetailView):
    """The site's view of one order: lines, messages, and the handover button."""

    model = Order
    permission = RUN_SITE
    template_name = "market/order_detail.html"

    def refine(self, qs):
        return catalogue_selectors.with_money(selectors.orders_with_lines(qs)).prefetch_related(
            "payments"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        o = self.object
        ctx.update(paid_yuan=o.paid_yuan, refunded_yuan=o.refunded_yuan, due_yuan=o.due_yuan)
        return ctx


@login_required
@require_POST
def order_handover(request, pk: int):
    """交付: everything confirmed is handed over (the rest refunded)."""
    scope = _scope(request, RUN_SITE)
    order = _one(Order.objects.for_scope(scope), pk)
    _act(request, lambda: purchasing.order_handover(actor=request.user, order=order), _("已交付。"))
    return redirect(order)


@login_required
def handover_lookup(request):
    """扫码交付: the order's signed QR code, or a room's label, finds the order."""
    scope = _scope(request, RUN_SITE)
    code = request.GET.get("code", "").strip()[:200]
    room = request.GET.get("room", "").strip()[:40]
    found = []
    qs = Order.objects.for_scope(scope).filter(state=Order.State.PLACED)
    if code:
        pk = order_services.order_from_code(code)
        found = (
            list(qs.filter(pk=pk).select_related("campaign", "household__building")) if pk else []
        )
    elif room:
        found = list(
            qs.filter(household__room=room).select_related("campaign", "household__building")[:20]
        )
    return render(
        request,
        "market/handover.html",
        {
            "code": code,
            "room": room,
            "found": found,
            "searched": bool(code or room),
            "campaign_sites": list(
                CampaignSite.objects.for_scope(scope)
                .filter(campaign__state=Campaign.State.OPEN)
                .select_related("campaign", "site")
                .order_by("campaign__closes_at", "id")[:20]
            ),
        },
    )


class PurchaseOrderDetail(ScopedDetailView):
    """The site's purchase order: lines and the receipt."""

    model = PurchaseOrder
    permission = RUN_SITE
    template_name = "market/po_detail.html"

    def refine(self, qs):
        return selectors.purchase_orders_with_lines(qs)


@login_required
@require_POST
def po_receive(request, pk: int):
    """到货验收: the confirmed quantities received, with the quality issues noted."""
    scope = _scope(request, RUN_SITE)
    po = _one(PurchaseOrder.objects.for_scope(scope), pk)
    _act(
        request,
        lambda: purchasing.po_receive(
            actor=request.user,
            purchase_order=po,
            quality_issues=request.POST.get("quality_issues", "").strip()[:500],
            photo=request.FILES.get("photo"),
        ),
        _("已验收。"),
    )
    return redirect(po)


@login_required
def my_orders(request):
    """The owner's page: open campaigns of its site, and its household's orders."""
    scope = _scope(request, ORDER)
    return render(
        request,
        "market/my_orders.html",
        {
            "campaign_sites": list(selectors.open_campaign_sites(scope)),
            "orders": list(selectors.household_orders(scope)[:20]),
        },
    )


@login_required
def shop(request, pk: int):
    """预订: one campaign at the owner's site; whole units per product; pickup or doorstep."""
    scope = _scope(request, ORDER)
    campaign_site = _one(selectors.open_campaign_sites(scope), pk)
    household = (
        Household.objects.for_scope(scope)
        .filter(site_id=campaign_site.site_id)
        .select_related("building")
        .order_by("id")
        .first()
    )
    if household is None:
        raise Http404
    offers = list(campaign_site.campaign.offers.all())
    errors: list[str] = []
    if request.method == "POST":
        quantities = {}
        for offer in offers:
            raw = request.POST.get(f"q{offer.product_id}", "0").strip() or "0"
            if not raw.isdigit() or len(raw) > 3:
                errors.append(_("数量须为 0 到 999 的整数。"))
                break
            quantities[offer.product_id] = int(raw)
        handover = request.POST.get("handover", Order.Handover.PICKUP)
        if handover not in Order.Handover.values:
            errors.append(_("请选择收货方式。"))
        if not errors:
            try:
                order = order_services.order_place(
                    actor=request.user,
                    campaign_site=campaign_site,
                    household=household,
                    quantities=quantities,
                    handover=handover,
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(request, _("预订成功。"))
                return redirect("market:my_order", pk=order.pk)
    current = {}
    existing = (
        Order.objects.for_scope(scope)
        .filter(campaign_id=campaign_site.campaign_id, household=household, state="placed")
        .prefetch_related("lines")
        .first()
    )
    if existing:
        current = {line.product_id: line.quantity for line in existing.lines.all()}
    rows = [(offer, current.get(offer.product_id, 0)) for offer in offers]
    return render(
        request,
        "market/shop.html",
        {
            "campaign_site": campaign_site,
            "campaign": campaign_site.campaign,
            "rows": rows,
            "household": household,
            "errors": errors,
            "existing": existing,
            "handovers": Order.Handover.choices,
        },
    )


@login_required
def my_order(request, pk: int):
    """The owner's order: lines (short, delivered, refunded), messages, its QR code."""
    scope = _scope(request, ORDER)
    order = _one(selectors.household_orders(scope), pk)
    return render(
        request,
        "market/my_order.html",
        {"order": order, "code": order_services.order_code(order)},
    )


@login_required
@require_POST
def my_order_cancel(request, pk: int):
    scope = _scope(request, ORDER)
    order = _one(Order.objects.for_scope(scope), pk)
    _act(
        request,
        lambda: order_services.order_cancel(actor=request.user, order=order),
        _("订单已取消。"),
    )
    return redirect("market:my_order", pk=order.pk)


@login_required
def supplier_orders(request):
    """The supplier's purchase orders (its own only), each confirmable."""
    scope = _scope(request, SUPPLY)
    return render(
        request,
        "market/supplier_orders.html",
        {"purchase_orders": list(selectors.supplier_purchase_orders(scope)[:50])},
    )


@login_required
@require_POST
def supplier_confirm(request, pk: int):
    """确认采购单: units per product (less than ordered: shared fairly at the site)."""
    scope = _scope(request, SUPPLY)
    po = _one(selectors.supplier_purchase_orders(scope), pk)
    confirmed = {}
    for line in po.lines.all():
        raw = request.POST.get(f"c{line.product_id}", "").strip()
        if raw:
            if not raw.isdigit() or len(raw) > 6:
                messages.error(request, _("确认数量须为整数。"))
                return redirect("market:supplier_orders")
            confirmed[line.product_id] = int(raw)
    _act(
        request,
        lambda: purchasing.po_confirm(actor=request.user, purchase_order=po, confirmed=confirmed),
        _("已确认采购单。"),
    )
    return redirect("market:supplier_orders")


class CampaignList(ScopedListView):
    """团购活动: the association's campaigns (the desk) or those a company's sites take
    part in; closing asks first."""

    model = Campaign
    permission = RUN_CAMPAIGN
    table_template = "market/_campaign_table.html"
    create_url_name = "market:campaign_create"
    title = _("团购活动")
    filters = ("state",)
    export_columns = (
        ExportColumn(_("名称"), "title", 24),
        ExportColumn(_("状态"), lambda c: c.get_state_display(), 10),
        ExportColumn(_("截单时间"), lambda c: local_time(c.closes_at), 16),
        ExportColumn(_("配送日期"), lambda c: c.delivery_on.isoformat(), 12),
    )

    def refine_list(self, qs):
        return qs.order_by("-opens_at", "-id")


@login_required
def campaign_close(request, pk: int):
    """截单: GET asks first, POST closes now and sends the purchase orders. An
    association campaign is the desk's to close, a company's campaign the company's."""
    scope = _scope(request, RUN_CAMPAIGN)
    campaign = Campaign.objects.for_scope(scope).filter(pk=pk).first()
    desk = scope.for_perm(MANAGE).ids(Target.ASSOCIATION)
    if campaign is None or (
        campaign.association_id not in desk and campaign.company_id not in scope.ids(Target.COMPANY)
    ):
        raise Http404
    if request.method == "POST":
        try:
            pos = campaign_services.campaign_close(actor=request.user, campaign=campaign)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已截单，生成采购单 %(n)d 张。") % {"n": len(pos)})
        return redirect("market:campaign_list")
    return render(request, "market/campaign_close.html", {"campaign": campaign})


# --- the programme desk: suppliers, certificates, products, supplier logins ---------------


def _desk_association(scope) -> int:
    """The association whose programme the desk runs (none: 403)."""
    ids = sorted(scope.for_perm(MANAGE).ids(Target.ASSOCIATION))
    if not ids:
        raise PermissionDenied
    return ids[0]


class SupplierList(ScopedListView):
    """供应商: certified suppliers; an expired certificate is flagged."""

    model = Supplier
    permission = MANAGE
    table_template = "market/_supplier_table.html"
    create_url_name = "market:supplier_create"
    title = _("供应商")
    filters = ("poverty",)
    export_columns = (
        ExportColumn(_("名称"), "name", 24),
        ExportColumn(_("所在县"), lambda s: s.county.name, 14),
        ExportColumn(_("扶贫状态"), lambda s: s.get_poverty_display(), 14),
        ExportColumn(_("联系人"), "contact_name", 10),
        ExportColumn(_("联系电话"), "phone_masked", 14),
        ExportColumn(_("证书过期"), lambda s: str(_("是")) if s.expired else "", 8),
    )

    def refine_list(self, qs):
        return catalogue_selectors.suppliers_annotated(qs, self.scope)

    def search_q(self, term):
        return Q(name__icontains=term)


class SupplierDetail(ScopedDetailView):
    """One supplier: contact (phone masked), certificates (expired flagged), products,
    its login."""

    model = Supplier
    permission = MANAGE
    template_name = "market/supplier_detail.html"

    def refine(self, qs):
        return qs.select_related("county", "user")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            certificates=list(catalogue_selectors.supplier_certificates(self.scope, self.object)),
            products=list(
                catalogue_selectors.products_listed(self.scope).filter(supplier=self.object)
            ),
            today=timezone.localdate(),
        )
        return ctx


class SupplierEdit(ObjectFormView):
    """新建/编辑供应商 (one page: without a pk it creates)."""

    model = Supplier
    permission = MANAGE
    form_class = forms.SupplierForm
    form_instance = True
    cancel_url_name = "market:supplier_list"

    @property
    def title(self):
        return _("编辑供应商") if self.object else _("新建供应商")

    def act(self, form):
        d = form.cleaned_data
        return catalogue.supplier_save(
            actor=self.request.user,
            association_id=self.object.association_id
            if self.object
            else _desk_association(self.request.scope),
            supplier=self.object,
            name=d["name"],
            county=d["county"],
            poverty=d["poverty"],
            contact_name=d["contact_name"],
            phone=d["phone"],
            active=d["active"],
        )


class CertificateAdd(ObjectFormView):
    model = Supplier
    permission = MANAGE
    form_class = forms.CertificateForm
    title = _("添加资质证书")

    def act(self, form):
        d = form.cleaned_data
        catalogue.certificate_add(
            actor=self.request.user,
            supplier=self.object,
            kind=d["kind"],
            number=d["number"],
            expires_on=d["expires_on"],
        )
        return self.object


class SupplierLoginCreate(ObjectFormView):
    """开设供应商账号: the first password is shown once."""

    model = Supplier
    permission = MANAGE
    form_class = forms.SupplierLoginForm
    title = _("为供应商开设登录账号")

    def act(self, form):
        d = form.cleaned_data
        _user, password = catalogue.supplier_login_create(
            actor=self.request.user, supplier=self.object, username=d["username"], name=d["name"]
        )
        messages.info(
            self.request,
            _("已开设登录账号 %(u)s，初始密码 %(p)s（只显示这一次，请转告本人）")
            % {"u": d["username"], "p": password},
        )
        return self.object


class ProductList(ScopedListView):
    model = Product
    permission = MANAGE
    table_template = "market/_product_table.html"
    create_url_name = "market:product_create"
    title = _("农产品")
    filters = ("supplier",)
    export_columns = (
        ExportColumn(_("品名"), "name", 20),
        ExportColumn(_("供应商"), lambda p: p.supplier.name, 20),
        ExportColumn(_("产地"), "origin", 14),
        ExportColumn(_("单位"), "unit", 6),
        ExportColumn(_("每单位（斤）"), lambda p: p.jin, 10),
        ExportColumn(_("单价（元）"), lambda p: p.price_yuan, 10),
        ExportColumn(_("可供数量"), "available", 10),
        ExportColumn(_("溯源码"), "trace_code", 16),
    )

    def refine_list(self, qs):
        return qs.select_related("supplier").order_by("supplier__name", "name", "id")

    def search_q(self, term):
        return Q(name__icontains=term)


class ProductEdit(ObjectFormView):
    """新建/编辑农产品: price in yuan (stored in fen), photo checked by its bytes."""

    model = Product
    permission = MANAGE
    form_class = forms.ProductForm
    form_instance = True
    cancel_url_name = "market:product_list"

    @property
    def title(self):
        return _("编辑农产品") if self.object else _("新建农产品")

    def act(self, form):
        d = form.cleaned_data
        catalogue.product_save(
            actor=self.request.user,
            product=self.object,
            supplier=d["supplier"],
            name=d["name"],
            origin=d["origin"],
            unit=d["unit"],
            grams_per_unit=d["grams_per_unit"],
            price_fen=forms.to_fen(d["price_yuan"]),
            available=d["available"],
            trace_code=d["trace_code"],
            photo=d.get("photo"),
        )
        return "market:product_list"


# --- campaigns: create, edit (draft), open ------------------------------------------------


def _organiser_campaign(scope, pk: int) -> Campaign:
    """A campaign the caller organises: the desk's association campaigns, a company's
    own; anything else 404."""
    campaign = Campaign.objects.for_scope(scope).filter(pk=pk).first()
    desk = scope.for_perm(MANAGE).ids(Target.ASSOCIATION)
    if campaign is None or (
        not (campaign.company_id is None and campaign.association_id in desk)
        and campaign.company_id not in scope.ids(Target.COMPANY)
    ):
        raise Http404
    return campaign


class CampaignEdit(ObjectFormView):
    """新建/编辑团购活动: products, sites (a company its own, the desk any member's),
    window, minimum order, delivery day. Saved as a draft; opening asks first."""

    model = Campaign
    permission = RUN_CAMPAIGN
    form_class = forms.CampaignForm
    cancel_url_name = "market:campaign_list"

    @property
    def title(self):
        return _("编辑团购活动") if self.object else _("新建团购活动")

    @cached_property
    def object(self):
        if "pk" not in self.kwargs:
            return None
        return _organiser_campaign(self.scope, self.kwargs["pk"])

    def get_initial(self):
        c = self.object
        if c is None:
            return {}
        return {
            "title": c.title,
            "company": c.company_id,
            "products": [o.product_id for o in c.offers.all()],
            "sites": list(
                CampaignSite.objects.for_scope(self.scope)
                .filter(campaign=c)
                .values_list("site_id", flat=True)
            ),
            "opens_at": timezone.localtime(c.opens_at).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": timezone.localtime(c.closes_at).strftime("%Y-%m-%dT%H:%M"),
            "delivery_on": c.delivery_on,
            "min_order_yuan": f"{yuan(c.min_order_fen)}",
        }

    def act(self, form):
        d = form.cleaned_data
        args = {
            "actor": self.request.user,
            "title": d["title"],
            "opens_at": d["opens_at"],
            "closes_at": d["closes_at"],
            "delivery_on": d["delivery_on"],
            "products": list(d["products"]),
            "sites": list(d["sites"]),
            "min_order_fen": forms.to_fen(d["min_order_yuan"]),
        }
        if self.object is not None:
            return campaign_services.campaign_update(campaign=self.object, **args)
        company = d["company"]
        if company is None:
            association_id = _desk_association(self.scope)
        else:
            membership = Membership.objects.filter(company=company).order_by("id").first()
            if membership is None:
                raise ValidationError({"company": _("该企业不是协会会员。")})
            association_id = membership.association_id
        return campaign_services.campaign_create(
            association_id=association_id, company=company, open_now=False, **args
        )


class CampaignDetail(ScopedDetailView):
    """One campaign: products, sites, state; edit while a draft, open (asks first),
    close."""

    model = Campaign
    permission = RUN_CAMPAIGN
    template_name = "market/campaign_detail.html"

    def refine(self, qs):
        return qs.select_related("company").prefetch_related("offers__product__supplier")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        desk = self.scope.for_perm(MANAGE).ids(Target.ASSOCIATION)
        c = self.object
        ctx.update(
            sites=list(
                CampaignSite.objects.for_scope(self.scope)
                .filter(campaign=c)
                .select_related("site")
                .order_by("site_id")
            ),
            organiser=(c.company_id is None and c.association_id in desk)
            or c.company_id in self.scope.ids(Target.COMPANY),
        )
        return ctx


@login_required
def campaign_open(request, pk: int):
    """开放预订: GET asks first, POST opens (suppliers' certificates checked)."""
    scope = _scope(request, RUN_CAMPAIGN)
    campaign = _organiser_campaign(scope, pk)
    if request.method == "POST":
        _act(
            request,
            lambda: campaign_services.campaign_open(actor=request.user, campaign=campaign),
            _("已开放预订。"),
        )
        return redirect(campaign)
    return render(request, "market/campaign_open.html", {"campaign": campaign})


# --- the site manager orders for a household without a phone ------------------------------


@login_required
def staff_order(request, pk: int):
    """代订: a campaign at one's site; room lookup -> household -> quantities, placed
    with `by_staff`."""
    scope = _scope(request, RUN_SITE)
    campaign_site = _one(
        CampaignSite.objects.for_scope(scope).select_related("campaign", "site"), pk
    )
    room = request.GET.get("room", "").strip()[:40]
    households = Household.objects.for_scope(scope).filter(site_id=campaign_site.site_id)
    found = list(households.filter(room=room).select_related("building")[:20]) if room else []
    household = None
    raw = request.GET.get("household") or request.POST.get("household")
    if raw:
        household_id = row_id(raw)
        household = (
            households.filter(pk=household_id).select_related("building").first()
            if household_id
            else None
        )
        if household is None:
            raise Http404
    offers = list(campaign_site.campaign.offers.select_related("product").order_by("id"))
    form = None
    if household is not None:
        form = forms.StaffOrderForm(request.POST or None, offers=offers)
        if request.method == "POST" and form.is_valid():
            try:
                order = order_services.order_place(
                    actor=request.user,
                    campaign_site=campaign_site,
                    household=household,
                    quantities=form.quantities(),
                    handover=form.cleaned_data["handover"],
                    by_staff=True,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已为住户代订。"))
                return redirect(order)
    return render(
        request,
        "market/staff_order.html",
        {
            "campaign_site": campaign_site,
            "campaign": campaign_site.campaign,
            "room": room,
            "found": found,
            "household": household,
            "form": form,
        },
    )


# --- payments ------------------------------------------------------------------------------


class PaymentRecord(ObjectFormView):
    """登记收付款: a transfer's reference or cash collected (or a refund) against an
    order; recorded, never processed."""

    model = Order
    permission = RUN_SITE
    form_class = forms.PaymentForm
    title = _("登记收付款")

    def act(self, form):
        d = form.cleaned_data
        purchasing.payment_record(
            actor=self.request.user,
            order=self.object,
            kind=d["kind"],
            amount_fen=forms.to_fen(d["amount_yuan"]),
            reference=d["reference"],
        )
        return self.object
