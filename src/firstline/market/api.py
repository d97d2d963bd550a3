"""market API under /api/v1/market/: a site's orders and purchase orders (the site
manager's, the company's), the owner's own household's orders and ordering, the
supplier's own purchase orders and confirmations, the receipt and handover at the
site, closing a campaign, and the public impact figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field
from ninja.errors import HttpError

from firstline.core.api import (
    Choice,
    NonNegativeInt,
    PositiveInt,
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    unprocessable,
    validation_errors_as_422,
)
from firstline.core.roles import Target
from firstline.estates.models import Household
from firstline.geo.models import Division
from firstline.market.models import (
    Campaign,
    CampaignSite,
    Certificate,
    Order,
    Payment,
    Product,
    PurchaseOrder,
    Supplier,
)
from firstline.market.selectors import catalogue as catalogue_selectors
from firstline.market.selectors import impact as impact_selectors
from firstline.market.selectors import orders as selectors
from firstline.market.selectors.orders import MANAGE, ORDER, RUN_CAMPAIGN, RUN_SITE, SUPPLY
from firstline.market.services import campaigns, catalogue, orders, purchasing
from firstline.orgs.api import AUTH
from firstline.orgs.models import Membership

router = ScopedRouter(tags=["market"])


class MarketLineOut(Schema):
    product_id: int
    product: str = Field(alias="product.name")
    price_fen: int
    quantity: int
    short: int
    delivered: int
    refunded: int


class MarketOrderOut(Schema):
    id: int
    company_id: int
    site_id: int
    campaign_id: int
    campaign: str = Field(alias="campaign.title")
    household_id: int
    room: str = Field(alias="household.label")
    state: str
    handover: str
    total_fen: int
    paid_fen: int = 0
    refunded_fen: int = 0
    by_staff: bool
    created_at: datetime
    lines: list[MarketLineOut]
    messages: list[str]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())

    @staticmethod
    def resolve_messages(obj):
        return [m.body for m in obj.messages.all()]


router.scoped_list(
    "/orders",
    Order,
    RUN_SITE,
    MarketOrderOut,
    refine=lambda qs: catalogue_selectors.with_money(selectors.orders_with_lines(qs)).order_by(
        "-created_at", "-id"
    ),
    name="list_market_orders",
    noun="produce orders of one's sites",
)
router.scoped_detail(
    "/orders/{pk}",
    Order,
    RUN_SITE,
    MarketOrderOut,
    refine=lambda qs: catalogue_selectors.with_money(selectors.orders_with_lines(qs)),
    name="get_market_order",
    noun="produce order",
)
router.scoped_list(
    "/my/orders",
    Order,
    ORDER,
    MarketOrderOut,
    refine=lambda qs: selectors.orders_with_lines(qs).order_by("-created_at", "-id"),
    name="list_my_market_orders",
    noun="produce orders of one's own household",
)


class MarketLineIn(Schema):
    product_id: RowId
    quantity: NonNegativeInt = Field(le=orders.MAX_UNITS)


class MarketOrderIn(Schema):
    campaign_site_id: RowId
    lines: list[MarketLineIn] = Field(min_length=1, max_length=50)
    handover: Choice(Order.Handover) = Order.Handover.PICKUP  # type: ignore[valid-type]


def _order_out(request, order: Order, permission: str) -> Order:
    return scoped_object(request, Order, permission, order.pk, selectors.orders_with_lines)


@router.post(
    "/my/orders",
    auth=AUTH,
    response=MarketOrderOut,
    operation_id="place_my_market_order",
    summary="Place or change one's household's order while the window is open",
)
def my_order_place(request, payload: MarketOrderIn):
    scope = perm_scope(request, ORDER)
    campaign_site = scoped_object(request, CampaignSite, ORDER, payload.campaign_site_id)
    household = (
        Household.objects.for_scope(scope)
        .filter(site_id=campaign_site.site_id)
        .order_by("id")
        .first()
    )
    if household is None or household.pk not in scope.ids(Target.HOUSEHOLD):
        return _not_found()
    with validation_errors_as_422():
        order = orders.order_place(
            actor=request.user,
            campaign_site=campaign_site,
            household=household,
            quantities={line.product_id: line.quantity for line in payload.lines},
            handover=payload.handover,
        )
    return _order_out(request, order, ORDER)


def _not_found():
    raise Http404


@router.post(
    "/my/orders/{pk}/cancel",
    auth=AUTH,
    response=MarketOrderOut,
    operation_id="cancel_my_market_order",
    summary="Cancel one's household's order before the window closes",
)
def my_order_cancel(request, pk: RowId):
    order = scoped_object(request, Order, ORDER, pk)
    with validation_errors_as_422():
        orders.order_cancel(actor=request.user, order=order)
    return _order_out(request, order, ORDER)


@router.post(
    "/orders/{pk}/handover",
    auth=AUTH,
    response=MarketOrderOut,
    operation_id="hand_over_market_order",
    summary="Check an order off at handover (everything confirmed, the rest refunded)",
)
def order_handover(request, pk: RowId):
    order = scoped_object(request, Order, RUN_SITE, pk)
    with validation_errors_as_422():
        purchasing.order_handover(actor=request.user, order=order)
    return _order_out(request, order, RUN_SITE)


class MarketPoLineOut(Schema):
    product_id: int
    product: str = Field(alias="product.name")
    price_fen: int
    ordered: int
    confirmed: int | None
    received: int | None


class MarketPurchaseOrderOut(Schema):
    id: int
    company_id: int
    site_id: int
    site: str = Field(alias="site.name")
    campaign_id: int
    campaign: str = Field(alias="campaign.title")
    delivery_on: date = Field(alias="campaign.delivery_on")
    supplier_id: int
    supplier: str = Field(alias="supplier.name")
    state: str
    total_fen: int
    quality_issues: str
    lines: list[MarketPoLineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


router.scoped_list(
    "/purchase-orders",
    PurchaseOrder,
    RUN_SITE,
    MarketPurchaseOrderOut,
    refine=lambda qs: selectors.purchase_orders_with_lines(qs).order_by("-created_at", "-id"),
    name="list_market_purchase_orders",
    noun="purchase orders of one's sites",
)
router.scoped_detail(
    "/purchase-orders/{pk}",
    PurchaseOrder,
    RUN_SITE,
    MarketPurchaseOrderOut,
    refine=selectors.purchase_orders_with_lines,
    name="get_market_purchase_order",
    noun="purchase order",
)


class MarketQuantityIn(Schema):
    product_id: RowId
    quantity: NonNegativeInt


class MarketReceiveIn(Schema):
    received: list[MarketQuantityIn] = Field(default_factory=list, max_length=50)
    quality_issues: str = Field("", max_length=500)


@router.post(
    "/purchase-orders/{pk}/receive",
    auth=AUTH,
    response=MarketPurchaseOrderOut,
    operation_id="receive_market_purchase_order",
    summary="The site's receipt of a confirmed purchase order (units, quality issues)",
)
def po_receive(request, pk: RowId, payload: MarketReceiveIn):
    po = scoped_object(request, PurchaseOrder, RUN_SITE, pk)
    with validation_errors_as_422():
        purchasing.po_receive(
            actor=request.user,
            purchase_order=po,
            received={x.product_id: x.quantity for x in payload.received},
            quality_issues=payload.quality_issues,
        )
    return scoped_object(request, PurchaseOrder, RUN_SITE, pk, selectors.purchase_orders_with_lines)


router.scoped_list(
    "/supplier/purchase-orders",
    PurchaseOrder,
    SUPPLY,
    MarketPurchaseOrderOut,
    refine=lambda qs: selectors.purchase_orders_with_lines(
        selectors.own_supplier_only(qs)
    ).order_by("-created_at", "-id"),
    name="list_supplier_purchase_orders",
    noun="one's own supplier's purchase orders",
)


class MarketConfirmIn(Schema):
    confirmed: list[MarketQuantityIn] = Field(default_factory=list, max_length=50)


@router.post(
    "/supplier/purchase-orders/{pk}/confirm",
    auth=AUTH,
    response=MarketPurchaseOrderOut,
    operation_id="confirm_supplier_purchase_order",
    summary="The supplier confirms its purchase order (less than ordered: shared fairly)",
)
def po_confirm(request, pk: RowId, payload: MarketConfirmIn):
    po = scoped_object(request, PurchaseOrder, SUPPLY, pk, selectors.own_supplier_only)
    with validation_errors_as_422():
        purchasing.po_confirm(
            actor=request.user,
            purchase_order=po,
            confirmed={x.product_id: x.quantity for x in payload.confirmed},
        )
    return scoped_object(
        request,
        PurchaseOrder,
        SUPPLY,
        pk,
        lambda qs: selectors.purchase_orders_with_lines(selectors.own_supplier_only(qs)),
    )


class MarketCampaignOut(Schema):
    id: int
    association_id: int
    company_id: int | None
    title: str
    state: str
    opens_at: datetime
    closes_at: datetime
    purchase_orders: int = Field(alias="sent")


@router.post(
    "/campaigns/{pk}/close",
    auth=AUTH,
    response=MarketCampaignOut,
    operation_id="close_market_campaign",
    summary="Close a campaign's window now and send its purchase orders",
)
def campaign_close(request, pk: RowId):
    campaign = scoped_object(request, Campaign, RUN_CAMPAIGN, pk)
    if campaign.company_id is None and not request.scope.for_perm("market.manage_programme").ids(
        Target.ASSOCIATION
    ):
        _not_found()
    with validation_errors_as_422():
        pos = campaigns.campaign_close(actor=request.user, campaign=campaign)
    campaign.refresh_from_db()
    campaign.sent = len(pos)
    return campaign


class MarketImpactRow(Schema):
    label: str
    jin: int
    yuan: int
    households: int | str


class MarketImpactOut(Schema):
    total: MarketImpactRow
    county: list[MarketImpactRow]
    supplier: list[MarketImpactRow]
    product: list[MarketImpactRow]
    company: list[MarketImpactRow]
    district: list[MarketImpactRow]


@router.get(
    "/impact",
    auth=None,
    response=MarketImpactOut,
    operation_id="market_public_impact",
    summary="Public impact of the produce programme (aggregates, small cells suppressed)",
)
def impact(request):
    return impact_selectors.impact_across_tenants()


# --- the programme desk: suppliers, certificates, products, supplier logins ---------------


class MarketSupplierOut(Schema):
    id: int
    association_id: int
    name: str
    county_id: int
    county: str = Field(alias="county.name")
    poverty: str
    contact_name: str
    phone_masked: str
    active: bool
    has_login: bool
    certificate_expired: bool = False

    @staticmethod
    def resolve_has_login(obj):
        return obj.user_id is not None

    @staticmethod
    def resolve_certificate_expired(obj):
        return bool(getattr(obj, "expired", False))


def _suppliers(qs):
    return catalogue_selectors.suppliers_annotated(qs, qs.scope)


router.scoped_list(
    "/suppliers",
    Supplier,
    MANAGE,
    MarketSupplierOut,
    refine=_suppliers,
    name="list_market_suppliers",
    noun="the association's produce suppliers",
)
router.scoped_detail(
    "/suppliers/{pk}",
    Supplier,
    MANAGE,
    MarketSupplierOut,
    refine=_suppliers,
    name="get_market_supplier",
    noun="produce supplier",
)


class MarketSupplierIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    county_id: RowId
    poverty: Choice(Supplier.Poverty) = Supplier.Poverty.POOR  # type: ignore[valid-type]
    contact_name: str = Field("", max_length=64)
    phone: str = Field("", max_length=20, description="sealed; on edit, blank keeps it")
    active: bool = True


def _county(county_id: int) -> Division:
    county = Division.objects.filter(pk=county_id, level=Division.Level.DISTRICT).first()
    if county is None:
        raise unprocessable(ValidationError({"county_id": "unknown county"}))
    return county


def _desk(request) -> int:
    ids = sorted(perm_scope(request, MANAGE).ids(Target.ASSOCIATION))
    if not ids:
        raise HttpError(403, "permission denied")
    return ids[0]


def _supplier_out(request, pk: int):
    return scoped_object(request, Supplier, MANAGE, pk, _suppliers)


@router.post(
    "/suppliers",
    auth=AUTH,
    response=MarketSupplierOut,
    operation_id="create_market_supplier",
    summary="Certify a new supplier (the association's programme desk)",
)
def supplier_create(request, payload: MarketSupplierIn):
    association_id = _desk(request)
    county = _county(payload.county_id)
    with validation_errors_as_422():
        supplier = catalogue.supplier_save(
            actor=request.user,
            association_id=association_id,
            name=payload.name,
            county=county,
            poverty=payload.poverty,
            contact_name=payload.contact_name,
            phone=payload.phone,
            active=payload.active,
        )
    return _supplier_out(request, supplier.pk)


@router.put(
    "/suppliers/{pk}",
    auth=AUTH,
    response=MarketSupplierOut,
    operation_id="update_market_supplier",
    summary="Edit a supplier (a blank phone keeps the sealed one)",
)
def supplier_update(request, pk: RowId, payload: MarketSupplierIn):
    supplier = scoped_object(request, Supplier, MANAGE, pk)
    county = _county(payload.county_id)
    with validation_errors_as_422():
        catalogue.supplier_save(
            actor=request.user,
            association_id=supplier.association_id,
            supplier=supplier,
            name=payload.name,
            county=county,
            poverty=payload.poverty,
            contact_name=payload.contact_name,
            phone=payload.phone,
            active=payload.active,
        )
    return _supplier_out(request, pk)


class MarketCertificateIn(Schema):
    kind: Choice(Certificate.Kind)  # type: ignore[valid-type]
    number: str = Field(min_length=1, max_length=64)
    expires_on: date


class MarketCertificateOut(Schema):
    id: int
    supplier_id: int
    kind: str
    number: str
    expires_on: date


@router.post(
    "/suppliers/{pk}/certificates",
    auth=AUTH,
    response=MarketCertificateOut,
    operation_id="add_market_supplier_certificate",
    summary="Add a supplier's certificate (kind, number, expiry)",
)
def certificate_add(request, pk: RowId, payload: MarketCertificateIn):
    supplier = scoped_object(request, Supplier, MANAGE, pk)
    with validation_errors_as_422():
        return catalogue.certificate_add(
            actor=request.user,
            supplier=supplier,
            kind=payload.kind,
            number=payload.number,
            expires_on=payload.expires_on,
        )


class MarketLoginIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    name: str = Field(min_length=1, max_length=64)


class MarketLoginOut(Schema):
    username: str
    password: str = Field(description="the first password, shown this once")


@router.post(
    "/suppliers/{pk}/login",
    auth=AUTH,
    response=MarketLoginOut,
    operation_id="create_market_supplier_login",
    summary="Open the supplier's login; its first password is answered this once",
)
def supplier_login(request, pk: RowId, payload: MarketLoginIn):
    supplier = scoped_object(request, Supplier, MANAGE, pk)
    with validation_errors_as_422():
        user, password = catalogue.supplier_login_create(
            actor=request.user, supplier=supplier, username=payload.username, name=payload.name
        )
    return {"username": user.username, "password": password}


class MarketProductOut(Schema):
    id: int
    supplier_id: int
    supplier: str = Field(alias="supplier.name")
    name: str
    origin: str
    unit: str
    grams_per_unit: int
    jin: float
    kg: float
    price_fen: int
    available: int
    trace_code: str
    photo: str | None = None

    @staticmethod
    def resolve_photo(obj):
        return obj.photo.url if obj.photo else None


def _products(qs):
    return qs.select_related("supplier")


router.scoped_list(
    "/products",
    Product,
    MANAGE,
    MarketProductOut,
    refine=lambda qs: _products(qs).order_by("supplier__name", "name", "id"),
    name="list_market_products",
    noun="the association's produce products",
)


class MarketProductIn(Schema):
    supplier_id: RowId
    name: str = Field(min_length=1, max_length=100)
    origin: str = Field(min_length=1, max_length=100)
    unit: str = Field("箱", min_length=1, max_length=8)
    grams_per_unit: PositiveInt
    price_fen: PositiveInt
    available: NonNegativeInt = 0
    trace_code: str = Field("", max_length=64)


def _product_save(request, payload: MarketProductIn, product=None) -> Product:
    supplier = (
        Supplier.objects.for_scope(perm_scope(request, MANAGE))
        .filter(pk=payload.supplier_id)
        .first()
    )
    if supplier is None:
        raise unprocessable(ValidationError({"supplier_id": "unknown supplier"}))
    with validation_errors_as_422():
        return catalogue.product_save(
            actor=request.user,
            product=product,
            supplier=supplier,
            name=payload.name,
            origin=payload.origin,
            unit=payload.unit,
            grams_per_unit=payload.grams_per_unit,
            price_fen=payload.price_fen,
            available=payload.available,
            trace_code=payload.trace_code,
        )


@router.post(
    "/products",
    auth=AUTH,
    response=MarketProductOut,
    operation_id="create_market_product",
    summary="Add a supplier's product (weight in grams, price in fen)",
)
def product_create(request, payload: MarketProductIn):
    product = _product_save(request, payload)
    return scoped_object(request, Product, MANAGE, product.pk, _products)


@router.put(
    "/products/{pk}",
    auth=AUTH,
    response=MarketProductOut,
    operation_id="update_market_product",
    summary="Edit a product",
)
def product_update(request, pk: RowId, payload: MarketProductIn):
    product = scoped_object(request, Product, MANAGE, pk)
    _product_save(request, payload, product)
    return scoped_object(request, Product, MANAGE, pk, _products)


# --- campaigns: create (draft), edit, open ------------------------------------------------


class MarketCampaignDetailOut(Schema):
    id: int
    association_id: int
    company_id: int | None
    title: str
    state: str
    opens_at: datetime
    closes_at: datetime
    delivery_on: date
    min_order_fen: int
    product_ids: list[int]

    @staticmethod
    def resolve_product_ids(obj):
        return [o.product_id for o in obj.offers.all()]


def _campaigns(qs):
    return qs.prefetch_related("offers")


router.scoped_detail(
    "/campaigns/{pk}",
    Campaign,
    RUN_CAMPAIGN,
    MarketCampaignDetailOut,
    refine=_campaigns,
    name="get_market_campaign",
    noun="group-purchase campaign",
)


class MarketCampaignIn(Schema):
    title: str = Field(min_length=1, max_length=100)
    company_id: RowId | None = Field(None, description="none: the association's campaign")
    product_ids: list[RowId] = Field(min_length=1, max_length=50)
    site_ids: list[RowId] = Field(min_length=1, max_length=500)
    opens_at: datetime
    closes_at: datetime
    delivery_on: date
    min_order_fen: NonNegativeInt = 0


def _aware(value: datetime, field: str) -> datetime:
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise unprocessable(ValidationError({field: "out of range"})) from None
    return value


def _campaign_args(request, payload: MarketCampaignIn) -> dict:
    scope = perm_scope(request, RUN_CAMPAIGN)
    products = list(
        Product.objects.for_scope(scope).filter(
            pk__in=set(payload.product_ids), supplier__active=True
        )
    )
    if len(products) != len(set(payload.product_ids)):
        raise unprocessable(ValidationError({"product_ids": "unknown product"}))
    sites = list(
        catalogue_selectors.campaign_sites_choosable(scope).filter(pk__in=set(payload.site_ids))
    )
    if len(sites) != len(set(payload.site_ids)):
        raise unprocessable(ValidationError({"site_ids": "unknown site"}))
    return {
        "actor": request.user,
        "title": payload.title,
        "opens_at": _aware(payload.opens_at, "opens_at"),
        "closes_at": _aware(payload.closes_at, "closes_at"),
        "delivery_on": payload.delivery_on,
        "products": products,
        "sites": sites,
        "min_order_fen": payload.min_order_fen,
    }


def _organiser_campaign(request, pk: int) -> Campaign:
    scope = perm_scope(request, RUN_CAMPAIGN)
    campaign = scoped_object(request, Campaign, RUN_CAMPAIGN, pk)
    desk = scope.for_perm(MANAGE).ids(Target.ASSOCIATION)
    if not (campaign.company_id is None and campaign.association_id in desk) and (
        campaign.company_id not in scope.ids(Target.COMPANY)
    ):
        raise Http404
    return campaign


@router.post(
    "/campaigns",
    auth=AUTH,
    response=MarketCampaignDetailOut,
    operation_id="create_market_campaign",
    summary="Create a draft campaign (a company its own sites; the association any member's)",
)
def campaign_create(request, payload: MarketCampaignIn):
    scope = perm_scope(request, RUN_CAMPAIGN)
    company = None
    if payload.company_id is None:
        desk = sorted(scope.for_perm(MANAGE).ids(Target.ASSOCIATION))
        if not desk:
            raise unprocessable(ValidationError({"company_id": "a company's campaign names it"}))
        association_id = desk[0]
    else:
        if payload.company_id not in scope.ids(Target.COMPANY):
            raise unprocessable(ValidationError({"company_id": "not your company"}))
        membership = Membership.objects.filter(company_id=payload.company_id).order_by("id").first()
        if membership is None:
            raise unprocessable(ValidationError({"company_id": "not a member company"}))
        company, association_id = membership.company, membership.association_id
    args = _campaign_args(request, payload)
    with validation_errors_as_422():
        campaign = campaigns.campaign_create(
            association_id=association_id, company=company, open_now=False, **args
        )
    return scoped_object(request, Campaign, RUN_CAMPAIGN, campaign.pk, _campaigns)


@router.put(
    "/campaigns/{pk}",
    auth=AUTH,
    response=MarketCampaignDetailOut,
    operation_id="update_market_campaign",
    summary="Edit a draft campaign (its organiser)",
)
def campaign_update(request, pk: RowId, payload: MarketCampaignIn):
    campaign = _organiser_campaign(request, pk)
    args = _campaign_args(request, payload)
    with validation_errors_as_422():
        campaigns.campaign_update(campaign=campaign, **args)
    return scoped_object(request, Campaign, RUN_CAMPAIGN, pk, _campaigns)


@router.post(
    "/campaigns/{pk}/open",
    auth=AUTH,
    response=MarketCampaignDetailOut,
    operation_id="open_market_campaign",
    summary="Open a draft campaign for ordering (suppliers' certificates checked)",
)
def campaign_open(request, pk: RowId):
    campaign = _organiser_campaign(request, pk)
    with validation_errors_as_422():
        campaigns.campaign_open(actor=request.user, campaign=campaign)
    return scoped_object(request, Campaign, RUN_CAMPAIGN, pk, _campaigns)


# --- a site manager orders for a household without a phone -------------------------------


class MarketStaffOrderIn(Schema):
    household_id: RowId
    lines: list[MarketLineIn] = Field(min_length=1, max_length=50)
    handover: Choice(Order.Handover) = Order.Handover.PICKUP  # type: ignore[valid-type]


@router.post(
    "/campaign-sites/{pk}/orders",
    auth=AUTH,
    response=MarketOrderOut,
    operation_id="place_market_order_for_household",
    summary="The site manager orders for a household without a phone (by_staff)",
)
def staff_order(request, pk: RowId, payload: MarketStaffOrderIn):
    scope = perm_scope(request, RUN_SITE)
    campaign_site = scoped_object(request, CampaignSite, RUN_SITE, pk)
    household = (
        Household.objects.for_scope(scope)
        .filter(pk=payload.household_id, site_id=campaign_site.site_id)
        .first()
    )
    if household is None:
        raise unprocessable(ValidationError({"household_id": "no such household at this site"}))
    with validation_errors_as_422(renames={"household": "household_id", "quantities": "lines"}):
        order = orders.order_place(
            actor=request.user,
            campaign_site=campaign_site,
            household=household,
            quantities={line.product_id: line.quantity for line in payload.lines},
            handover=payload.handover,
            by_staff=True,
        )
    return scoped_object(
        request,
        Order,
        RUN_SITE,
        order.pk,
        lambda qs: catalogue_selectors.with_money(selectors.orders_with_lines(qs)),
    )


# --- payments ------------------------------------------------------------------------------


class MarketPaymentIn(Schema):
    kind: Choice(Payment.Kind)  # type: ignore[valid-type]
    amount_fen: PositiveInt
    reference: str = Field("", max_length=64)


@router.post(
    "/orders/{pk}/payments",
    auth=AUTH,
    response=MarketOrderOut,
    operation_id="record_market_payment",
    summary="Record a payment reference (transfer, collection or refund) against an order",
)
def payment_record(request, pk: RowId, payload: MarketPaymentIn):
    order = scoped_object(request, Order, RUN_SITE, pk)
    with validation_errors_as_422():
        purchasing.payment_record(
            actor=request.user,
            order=order,
            kind=payload.kind,
            amount_fen=payload.amount_fen,
            reference=payload.reference,
        )
    return scoped_object(
        request,
        Order,
        RUN_SITE,
        pk,
        lambda qs: catalogue_selectors.with_money(selectors.orders_with_lines(qs)),
    )
