"""The produce programme (issue #23): certified suppliers in poor counties,
group-purchase campaigns, orders, purchase orders, deliveries, distribution, money
recorded, impact.

- A Supplier is certified by the association (its county, the county's
  poverty-alleviation status, a contact whose phone is sealed, a login); its
  Certificates expire, and a supplier with an expired one joins no new campaign.
  Products carry weight per unit in grams (shown in jin and kg) and a price per unit
  in fen (integers: no float ever holds money).
- A Campaign is run by the association or by one member company (`company`): its
  CampaignProducts (the price frozen when added), its CampaignSites (a tenant row per
  site that may order), an ordering window, a minimum order and a delivery day.
- An Order is one household's at one site (one per campaign, changed in place); its
  OrderLines hold whole units. Per line, once the campaign is settled:
  quantity = delivered + short + refunded (`line_reconciles`).
- At close, lines add up per site and supplier into PurchaseOrders; the supplier
  confirms (possibly less), the shortfall is shared across households in whole units
  (services/purchasing.py) and each affected household gets an OrderMessage.
- The site manager receives the delivery (receipt on the purchase order), then checks
  off each order at handover; what was not handed over is refunded.
- Payments record money (transfer references, cash collection, refunds), never card
  data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AssociationModel, BaseAuditAction, SiteModel
from firstline.core.personal.fields import personal_columns
from firstline.core.scope import Through

GRAMS_PER_JIN = 500

# Member companies reach their association's rows (suppliers, products, campaigns)
# through their membership.
MEMBER_COMPANIES = Through(
    "association_id", "orgs.Membership", key="company_id", value="association_id"
)


class Supplier(AssociationModel):
    """A produce supplier certified by the association, in a (formerly) poor county."""

    class Poverty(models.TextChoices):
        POOR = "poor", _("国家级贫困县")
        LIFTED = "lifted", _("已脱贫摘帽县")
        NONE = "none", _("非贫困县")

    name = models.CharField(_("名称"), max_length=100)
    county = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在县")
    )
    poverty = models.CharField(
        _("扶贫状态"), max_length=8, choices=Poverty.choices, default=Poverty.POOR
    )
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    locals().update(personal_columns("phone", _("联系电话")))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登录账号"),
    )
    active = models.BooleanField(_("启用"), default=True)

    scope_paths = {"association": "association_id", "company": MEMBER_COMPANIES}

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "name"],
                name="market_supplier_name_uniq",
                violation_error_message=_("已有同名供应商。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("market:supplier_detail", args=[self.pk])


class Certificate(AssociationModel):
    """A supplier's licence or certification, with its expiry."""

    class Kind(models.TextChoices):
        FOOD_SAFETY = "food_safety", _("食品经营许可证")
        PRODUCTION = "production", _("食品生产许可证")
        POVERTY = "poverty", _("扶贫产品认定")
        GREEN = "green", _("绿色食品认证")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("供应商")
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("证书编号"), max_length=64)
    expires_on = models.DateField(_("有效期至"))

    scope_paths = {"association": "association_id"}

    class Meta:
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")
        ordering = ["supplier", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Product(AssociationModel):
    """A product of a supplier: weight per unit in grams, price per unit in fen."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="products", verbose_name=_("供应商")
    )
    name = models.CharField(_("品名"), max_length=100)
    origin = models.CharField(_("产地"), max_length=100)
    unit = models.CharField(_("单位"), max_length=8, default="箱")
    grams_per_unit = models.PositiveIntegerField(_("每单位重量（克）"))
    price_fen = models.PositiveIntegerField(_("单价（分）"))
    available = models.PositiveIntegerField(_("可供数量"), default=0)
    photo = models.ImageField(_("照片"), upload_to="market/products/", blank=True)
    trace_code = models.CharField(_("溯源码"), max_length=64, blank=True)

    scope_paths = {"association": "association_id", "company": MEMBER_COMPANIES}

    class Meta:
        verbose_name = _("农产品")
        verbose_name_plural = _("农产品")
        ordering = ["supplier", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grams_per_unit__gt=0) & Q(price_fen__gt=0),
                name="market_product_positive",
                violation_error_message=_("重量和单价必须大于零。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("market:product_edit", args=[self.pk])

    @property
    def jin(self) -> float:
        return self.grams_per_unit / GRAMS_PER_JIN

    @property
    def kg(self) -> float:
        return self.grams_per_unit / 1000

    @property
    def weight_label(self) -> str:
        """Weight per unit as shown: "5 斤 / 2.5 kg"."""
        return f"{round(self.jin, 3):g} {_('斤')} / {round(self.kg, 3):g} kg"

    @property
    def price_yuan(self) -> str:
        return yuan(self.price_fen)


def yuan(fen: int | None) -> str:
    fen = fen or 0
    return f"{fen // 100}.{fen % 100:02d}"


class Campaign(AssociationModel):
    """A group purchase: products, sites, an ordering window, a delivery day."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("接受预订")
        CLOSED = "closed", _("已截单")
        ORDERED = "ordered", _("已下采购单")
        DELIVERED = "delivered", _("已到货")
        DONE = "done", _("已完成")

    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起企业"),
        help_text=_("空：协会发起"),
    )
    title = models.CharField(_("名称"), max_length=100)
    opens_at = models.DateTimeField(_("开始预订"))
    closes_at = models.DateTimeField(_("截单时间"))
    delivery_on = models.DateField(_("配送日期"))
    min_order_fen = models.PositiveIntegerField(_("起订金额（分）"), default=0)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_paths = {
        "association": "association_id",
        "company": (
            "company_id",
            Through("id", "market.CampaignSite", "company_id", "campaign_id"),
        ),
        "site": Through("id", "market.CampaignSite", "site_id", "campaign_id"),
    }

    class Meta:
        verbose_name = _("团购活动")
        verbose_name_plural = _("团购活动")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="market_campaign_window",
                violation_error_message=_("截单时间必须晚于开始时间。"),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("market:campaign_detail", args=[self.pk])

    @property
    def min_order_yuan(self) -> str:
        return yuan(self.min_order_fen)


class CampaignProduct(AssociationModel):
    """A product offered in a campaign, at the price frozen when it was added."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="offers", verbose_name=_("活动")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("农产品")
    )
    price_fen = models.PositiveIntegerField(_("单价（分）"))

    class Meta:
        verbose_name = _("活动商品")
        verbose_name_plural = _("活动商品")
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "product"], name="market_campaignproduct_uniq"
            )
        ]

    @property
    def price_yuan(self) -> str:
        return yuan(self.price_fen)


class CampaignSite(SiteModel):
    """A site whose households may order in a campaign."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sites", verbose_name=_("活动")
    )

    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "household": Through("site_id", "estates.Household", key="id", value="site_id"),
    }

    class Meta:
        verbose_name = _("参与项目")
        verbose_name_plural = _("参与项目")
        ordering = ["campaign", "site", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "campaign", "site"], name="market_campaignsite_uniq"
            ),
            models.UniqueConstraint(fields=["company", "id"], name="market_campaignsite_cid"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("market:shop", args=[self.pk])


class Order(SiteModel):
    """One household's order in one campaign (changed in place until the window closes)."""

    class State(models.TextChoices):
        PLACED = "placed", _("已预订")
        CANCELLED = "cancelled", _("已取消")
        CONFIRMED = "confirmed", _("已确认")
        DELIVERED = "delivered", _("已送达")

    class Handover(models.TextChoices):
        PICKUP = "pickup", _("自提")
        DOORSTEP = "doorstep", _("送货上门")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="orders", verbose_name=_("活动")
    )
    household = models.ForeignKey(
        "estates.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("住户")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.PLACED, db_index=True
    )
    handover = models.CharField(
        _("收货方式"), max_length=16, choices=Handover.choices, default=Handover.PICKUP
    )
    total_fen = models.PositiveIntegerField(_("金额（分）"), default=0)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_staff = models.BooleanField(_("物业代订"), default=False)
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "campaign", "household"],
                name="market_order_household_uniq",
                violation_error_message=_("该住户在本次活动已有订单。"),
            ),
            models.UniqueConstraint(fields=["company", "id"], name="market_order_cid"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("market:order_detail", args=[self.pk])

    @property
    def total_yuan(self) -> str:
        return yuan(self.total_fen)

    # Reconciliation: `paid_fen` and `refunded_fen` are annotated by
    # selectors/catalogue.py::with_money.
    @property
    def paid_yuan(self) -> str:
        return yuan(getattr(self, "paid_fen", 0))

    @property
    def refunded_yuan(self) -> str:
        return yuan(getattr(self, "refunded_fen", 0))

    @property
    def due_fen(self) -> int:
        """What the household still owes (negative: owed back)."""
        return self.total_fen - (getattr(self, "paid_fen", 0) - getattr(self, "refunded_fen", 0))

    @property
    def due_yuan(self) -> str:
        due = self.due_fen
        return ("-" if due < 0 else "") + yuan(abs(due))


class OrderLine(SiteModel):
    """Whole units of one product in an order. Settled: quantity = delivered + short +
    refunded."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("农产品")
    )
    price_fen = models.PositiveIntegerField(_("单价（分）"))
    quantity = models.PositiveIntegerField(_("预订数量"))
    short = models.PositiveIntegerField(_("缺货数量"), default=0)
    delivered = models.PositiveIntegerField(_("交付数量"), default=0)
    refunded = models.PositiveIntegerField(_("退款数量"), default=0)

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "order", "product"], name="market_orderline_uniq"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & Q(quantity__gte=F("delivered") + F("short") + F("refunded")),
                name="market_orderline_reconciles",
                violation_error_message=_("交付、缺货与退款之和不能超过预订数量。"),
            ),
        ]

    @property
    def settled(self) -> bool:
        return self.quantity == self.delivered + self.short + self.refunded


class OrderMessage(SiteModel):
    """An in-app message to a household about its order (a shortfall, a refund)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="messages", verbose_name=_("订单")
    )
    body = models.CharField(_("内容"), max_length=500)

    class Meta:
        verbose_name = _("订单消息")
        verbose_name_plural = _("订单消息")
        ordering = ["order", "id"]


class PurchaseOrder(SiteModel):
    """What one site orders from one supplier in one campaign; the site manager's
    receipt of the delivery is recorded on it."""

    class State(models.TextChoices):
        SENT = "sent", _("待供应商确认")
        CONFIRMED = "confirmed", _("供应商已确认")
        RECEIVED = "received", _("已到货验收")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("活动")
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("供应商")
    )
    association = models.ForeignKey(
        "orgs.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.SENT, db_index=True
    )
    total_fen = models.PositiveIntegerField(_("金额（分）"), default=0)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    quality_issues = models.CharField(_("质量问题"), max_length=500, blank=True)
    photo = models.ImageField(_("验收照片"), upload_to="market/receipts/", blank=True)

    # The association's programme desk and its suppliers (narrowed to their own by
    # market/selectors) reach purchase orders through the association.
    scope_paths = {"company": "company_id", "site": "site_id", "association": "association_id"}

    class Meta:
        verbose_name = _("采购单")
        verbose_name_plural = _("采购单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "campaign", "site", "supplier"], name="market_po_uniq"
            ),
            models.UniqueConstraint(fields=["company", "id"], name="market_po_cid"),
        ]

    def __str__(self) -> str:
        return f"PO-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("market:po_detail", args=[self.pk])

    @property
    def total_yuan(self) -> str:
        return yuan(self.total_fen)


class PurchaseOrderLine(SiteModel):
    """Units of one product on a purchase order: ordered, confirmed, received."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("采购单")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("农产品")
    )
    price_fen = models.PositiveIntegerField(_("单价（分）"))
    ordered = models.PositiveIntegerField(_("订购数量"))
    confirmed = models.PositiveIntegerField(_("确认数量"), null=True, blank=True)
    received = models.PositiveIntegerField(_("验收数量"), null=True, blank=True)

    class Meta:
        verbose_name = _("采购单明细")
        verbose_name_plural = _("采购单明细")
        ordering = ["purchase_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "purchase_order", "product"], name="market_poline_uniq"
            ),
            models.CheckConstraint(
                condition=Q(confirmed__isnull=True) | Q(confirmed__lte=F("ordered")),
                name="market_poline_confirmed",
                violation_error_message=_("确认数量不能超过订购数量。"),
            ),
        ]


class Payment(SiteModel):
    """Money recorded against an order (never processed here; no card data)."""

    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("转账")
        COLLECTION = "collection", _("代收")
        REFUND = "refund", _("退款")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("订单")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    reference = models.CharField(_("流水号"), max_length=64, blank=True)
    amount_fen = models.PositiveIntegerField(_("金额（分）"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("收付款记录")
        verbose_name_plural = _("收付款记录")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0),
                name="market_payment_positive",
                violation_error_message=_("金额必须大于零。"),
            )
        ]

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


class AuditAction(BaseAuditAction):
    SUPPLIER_SAVE = "market.supplier_save", _("保存供应商")
    PRODUCT_SAVE = "market.product_save", _("保存农产品")
    CAMPAIGN_CREATE = "market.campaign_create", _("创建团购活动")
    CAMPAIGN_OPEN = "market.campaign_open", _("开放预订")
    CAMPAIGN_CLOSE = "market.campaign_close", _("截单并生成采购单")
    ORDER_PLACE = "market.order_place", _("预订农产品")
    ORDER_CANCEL = "market.order_cancel", _("取消订单")
    PO_CONFIRM = "market.po_confirm", _("供应商确认采购单")
    PO_RECEIVE = "market.po_receive", _("到货验收")
    ORDER_HANDOVER = "market.order_handover", _("交付订单")
    PAYMENT_RECORD = "market.payment_record", _("登记收付款")
