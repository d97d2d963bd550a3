"""Protective supplies and donations, moved in the open.

- The item catalogue (Item, Lot) is shared reference data, like divisions.
- Donors, campaigns, pledges, warehouses and inbound batches are the association's.
- Every movement of stock is one immutable LedgerEntry from one Location to another
  (donor → warehouse → transit → company/site → consumed; adjustments with a reason).
  Each unit keeps the inbound batch it came from, so any batch can be traced to every
  destination. Entries are hash-chained in `seq` order (see `supplies/services/ledger.py`):
  each entry's hash covers its published fields and the previous entry's hash, so an
  edited, deleted or reordered entry breaks the chain.
- Balance is the cached sum of entries per (location, item, batch), written in the
  same transaction as the entries with row locks in a fixed order; a real location's
  balance cannot go below zero (a check constraint), the outside world's can (donors
  give, consumption and write-offs take).
- Association rows (AssociationModel, or TenantManager with their own `scope_paths`)
  are read through the scope's association grants; a location, its balances and its
  entries also through the company and site grants of the places they name.
- Needs and shipments are the receiving company's rows (TenantModel). The
  coordinator reaches them through declared association paths: a member company's
  needs (through orgs.Membership), the shipments sent from its own ledger. No
  association path leads to residents or other personal data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AssociationModel, BaseAuditAction, TenantModel
from firstline.core.scope import Through
from firstline.core.tenancy import TenantManager

# --- catalogue (shared) -----------------------------------------------------------------


class Item(models.Model):
    class Kind(models.TextChoices):
        SUIT = "suit", _("医用防护服")
        N95 = "n95", _("医用防护口罩（N95/KN95）")
        SURGICAL_MASK = "surgical_mask", _("医用外科口罩")
        DISINFECTANT = "disinfectant_84", _("84消毒液")
        ALCOHOL = "alcohol_75", _("75%医用酒精")
        GLOVES = "gloves", _("乳胶手套")
        SPRAYER = "sprayer", _("喷雾器")
        SANITISER = "sanitiser", _("免洗洗手液")
        GOGGLES = "goggles", _("护目镜")
        THERMOMETER = "thermometer", _("测温枪")

    code = models.CharField(_("物资编码"), max_length=32, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    unit = models.CharField(_("单位"), max_length=8)  # 件, 只, 瓶, 副, 台 …
    pack_size = models.PositiveIntegerField(_("每箱数量"), default=1)
    standard = models.CharField(_("执行标准"), max_length=64, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("物资")
        verbose_name_plural = _("物资")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="supplies_item_pack_size")
        ]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    """A manufacturer's lot of one item, with its expiry date."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    lot_no = models.CharField(_("生产批号"), max_length=64)
    manufacturer = models.CharField(_("生产企业"), max_length=128, blank=True)
    expiry_date = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("生产批次")
        verbose_name_plural = _("生产批次")
        constraints = [
            models.UniqueConstraint(fields=["item", "lot_no"], name="supplies_lot_item_no_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.lot_no}"


# --- the association's side ---------------------------------------------------------


class Donor(AssociationModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("企业")
        ASSOCIATION = "association", _("协会")
        INDIVIDUAL = "individual", _("个人")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=128)
    # What the public ledger shows: an individual's name is personal data, so a donor
    # who is a person appears under this name only (default "爱心人士").
    public_name = models.CharField(_("公示名称"), max_length=128)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登录账号"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("捐赠方")
        verbose_name_plural = _("捐赠方")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="supplies_donor_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(AssociationModel):
    name = models.CharField(_("活动名称"), max_length=128)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("募捐活动")
        verbose_name_plural = _("募捐活动")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "name"], name="supplies_campaign_name_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Warehouse(AssociationModel):
    name = models.CharField(_("仓库名称"), max_length=128)
    district = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "name"], name="supplies_warehouse_name_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Direction(models.Model):
    """Where a donor directed its gift (定向捐赠): one company, one site, or the sites of
    one division. Abstract: pledges and batches carry the same three fields; at most
    one is set, none means undirected."""

    directed_company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("定向企业"),
    )
    directed_site = models.ForeignKey(
        "estates.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("定向项目"),
    )
    directed_division_code = models.CharField(_("定向区划代码"), max_length=12, blank=True)

    class Meta:
        abstract = True

    @property
    def directed(self) -> bool:
        return bool(
            self.directed_company_id or self.directed_site_id or self.directed_division_code
        )


class Pledge(Direction):
    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    class State(models.TextChoices):
        PLEDGED = "pledged", _("已认捐")
        RECEIVED = "received", _("已到货")
        CANCELLED = "cancelled", _("已取消")

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="pledges")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PLEDGED)
    pledged_at = models.DateTimeField(_("认捐时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    scope_paths = {"association": "donor__association_id"}

    class Meta:
        verbose_name = _("认捐")
        verbose_name_plural = _("认捐")
        ordering = ["-pledged_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_pledge_qty_positive")
        ]

    def __str__(self) -> str:
        return f"{self.donor_id}: {self.item_id} × {self.quantity}"


class InboundBatch(Direction, AssociationModel):
    """One arrival of donated goods at a warehouse (第 N 批), with its quality documents.
    Receiving it posts donor → warehouse entries, one per line."""

    number = models.PositiveIntegerField(_("批次号"))
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="batches")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pledge = models.ForeignKey(
        Pledge, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="batches")
    received_at = models.DateTimeField(_("入库时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("入库批次")
        verbose_name_plural = _("入库批次")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "number"], name="supplies_batch_number_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number}"


class BatchLine(models.Model):
    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    batch = models.ForeignKey(InboundBatch, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))

    scope_paths = {"association": "batch__association_id"}

    class Meta:
        verbose_name = _("入库明细")
        verbose_name_plural = _("入库明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_batchline_qty"),
            models.UniqueConstraint(
                fields=["batch", "item", "lot"], name="supplies_batchline_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.batch_id} {self.item_id} × {self.quantity}"


class QualityDocument(models.Model):
    class Kind(models.TextChoices):
        TEST_REPORT = "test_report", _("检测报告")
        CERTIFICATE = "certificate", _("产品合格证")
        REGISTRATION = "registration", _("医疗器械注册证")
        OTHER = "other", _("其他")

    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    batch = models.ForeignKey(InboundBatch, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=128)
    file = models.FileField(_("文件"), upload_to="supplies/quality/%Y/%m/")
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope_paths = {"association": "batch__association_id"}

    class Meta:
        verbose_name = _("质量文件")
        verbose_name_plural = _("质量文件")

    # --- the ledger -----------------------------------------------------------------------

    def __str__(self) -> str:
        return self.title


class Location(AssociationModel):
    """A place stock can be: one account of the double-entry ledger.

    Real locations (a warehouse, a company's store, a site, goods in transit) hold
    what is physically there and never go below zero. Virtual ones are the world
    outside: a donor (gives: goes negative by what it gave), consumed, and written
    off (adjustments, shortfalls on receipt)."""

    class Kind(models.TextChoices):
        DONOR = "donor", _("捐赠方")
        WAREHOUSE = "warehouse", _("仓库")
        TRANSIT = "transit", _("在途")
        COMPANY = "company", _("企业")
        SITE = "site", _("项目")
        CONSUMED = "consumed", _("已使用")
        WRITTEN_OFF = "written_off", _("损耗/核减")

    VIRTUAL_KINDS = frozenset({Kind.DONOR, Kind.CONSUMED, Kind.WRITTEN_OFF})

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    virtual = models.BooleanField(default=False, editable=False)
    donor = models.OneToOneField(
        Donor, null=True, blank=True, on_delete=models.PROTECT, related_name="location"
    )
    warehouse = models.OneToOneField(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="location"
    )
    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.OneToOneField(
        "estates.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The division the location is in: a site's community code, a company's or a
    # warehouse's division ('' for transit and the virtual ones). The public ledger's
    # totals by district group on its first 6 digits; directed gifts match its prefix.
    division_code = models.CharField(max_length=12, blank=True, db_index=True)
    # What the public ledger prints: no personal data (a person donor's public name).
    public_name = models.CharField(_("公示名称"), max_length=128)

    # A company's store and its sites' locations are the company's to read as well.
    scope_paths = {"association": "association_id", "company": "company_id", "site": "site_id"}

    class Meta:
        verbose_name = _("库位")
        verbose_name_plural = _("库位")
        constraints = [
            # A company's own store: one per company (site locations also carry the company).
            models.UniqueConstraint(
                fields=["company"], condition=Q(kind="company"), name="supplies_location_company"
            ),
            models.UniqueConstraint(
                fields=["association", "kind"],
                condition=Q(kind__in=["transit", "consumed", "written_off"]),
                name="supplies_location_singletons",
            ),
            models.CheckConstraint(
                condition=Q(virtual=Q(kind__in=["donor", "consumed", "written_off"])),
                name="supplies_location_virtual_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name


class LedgerEntry(AssociationModel):
    """One movement of `quantity` units of `item` from `batch`, never updated or
    deleted. `seq` orders the chain; `hash` = sha256(prev_hash + the entry's
    canonical published fields), see supplies/services/ledger.py."""

    class Kind(models.TextChoices):
        INBOUND = "inbound", _("捐赠入库")
        DISPATCH = "dispatch", _("发货")
        RECEIVE = "receive", _("签收")
        SHORTFALL = "shortfall", _("签收短少")
        TRANSFER = "transfer", _("调拨")
        CONSUME = "consume", _("使用")
        ADJUST = "adjust", _("盘点调整")

    # Each association keeps its own chain: seq is unique within it.
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(InboundBatch, on_delete=models.PROTECT, related_name="entries")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    shipment = models.ForeignKey(
        "Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    # A movement belongs to both its sides: a company or site reads the entries in and
    # out of its own locations.
    scope_paths = {
        "association": "association_id",
        "company": ("from_location__company_id", "to_location__company_id"),
        "site": ("from_location__site_id", "to_location__site_id"),
    }

    class Meta:
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账分录")
        ordering = ["association", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["association", "seq"], name="supplies_entry_seq_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_entry_qty_positive"),
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")), name="supplies_entry_two_sides"
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "seq"], name="supplies_entry_batch_idx"),
            models.Index(fields=["to_location", "item"], name="supplies_entry_to_idx"),
            models.Index(fields=["from_location", "item"], name="supplies_entry_from_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind} {self.item_id} × {self.quantity}"


class LedgerHead(AssociationModel):
    """The chain's tip, one row per association: appending locks it, so entries get
    consecutive `seq` values and each names the hash before it."""

    association = models.OneToOneField(
        "orgs.Association", on_delete=models.PROTECT, related_name="+"
    )
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.association_id} @ {self.seq}"


class Balance(models.Model):
    """Cached sum of entries for one (location, item, batch); written only by
    supplies.ledger in the same transaction as the entries."""

    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(InboundBatch, on_delete=models.PROTECT, related_name="+")
    virtual = models.BooleanField(default=False)
    quantity = models.BigIntegerField(default=0)

    scope_paths = {
        "association": "location__association_id",
        "company": "location__company_id",
        "site": "location__site_id",
    }

    class Meta:
        verbose_name = _("库存余额")
        verbose_name_plural = _("库存余额")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "item", "batch"], name="supplies_balance_uniq"
            ),
            models.CheckConstraint(
                condition=Q(virtual=True) | Q(quantity__gte=0),
                name="supplies_balance_not_negative",
                violation_error_message=_("库存不足。"),
            ),
        ]

    # --- the companies' side ------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.location_id}/{self.item_id}/{self.batch_id}: {self.quantity}"


# The coordinator's path to a company's needs: the company is a member of the association.
MEMBER_COMPANIES = Through(
    "company_id", "orgs.Membership", key="association_id", value="company_id"
)


class Need(TenantModel):
    """A site's (or a company's) request for supplies, with why."""

    class State(models.TextChoices):
        OPEN = "open", _("待分配")
        PARTLY = "partly", _("部分满足")
        FULFILLED = "fulfilled", _("已满足")
        CANCELLED = "cancelled", _("已取消")

    site = models.ForeignKey(
        "estates.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("项目"),
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    justification = models.CharField(_("需求说明"), max_length=500)
    staff_on_duty = models.PositiveIntegerField(_("在岗员工"), default=0)
    isolation_cases = models.PositiveIntegerField(_("隔离观察人数"), default=0)
    requested_at = models.DateTimeField(_("申请时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {"company": "company_id", "site": "site_id", "association": MEMBER_COMPANIES}

    class Meta:
        verbose_name = _("物资需求")
        verbose_name_plural = _("物资需求")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "id"], name="supplies_need_company_id_uniq")
        ]
        permissions = [("request_supplies", "Can request supplies for a site or company")]

    def __str__(self) -> str:
        return f"need {self.pk} ({self.state})"


class NeedLine(TenantModel):
    """One item of a need. committed = approved in an allocation, not yet dispatched;
    in_transit = dispatched, not yet received; fulfilled = received."""

    class State(models.TextChoices):
        OPEN = "open", _("待分配")
        PARTLY = "partly", _("部分满足")
        FULFILLED = "fulfilled", _("已满足")
        CANCELLED = "cancelled", _("已取消")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="lines")
    site = models.ForeignKey(
        "estates.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("需求数量"))
    committed = models.PositiveIntegerField(_("已分配"), default=0)
    in_transit = models.PositiveIntegerField(_("在途"), default=0)
    fulfilled = models.PositiveIntegerField(_("已签收"), default=0)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)

    scope_paths = {"company": "company_id", "site": "site_id", "association": MEMBER_COMPANIES}

    class Meta:
        verbose_name = _("需求明细")
        verbose_name_plural = _("需求明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_needline_qty"),
            models.UniqueConstraint(
                fields=["company", "need", "item"], name="supplies_needline_item_uniq"
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="supplies_needline_company_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"


class AllocationPlan(AssociationModel):
    """The coordinator's proposal of who gets what (association-level; its lines name
    companies). Approving it creates the shipments."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        APPROVED = "approved", _("已批准")
        DISCARDED = "discarded", _("已作废")

    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("分配方案")
        verbose_name_plural = _("分配方案")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.state})"


class AllocationLine(models.Model):
    """One line of a plan: the association's row, though it names a company."""

    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    plan = models.ForeignKey(AllocationPlan, on_delete=models.CASCADE, related_name="lines")
    need_line = models.ForeignKey(NeedLine, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("orgs.Company", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        "estates.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(InboundBatch, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("分配数量"))

    scope_paths = {"association": "plan__association_id"}

    class Meta:
        verbose_name = _("分配明细")
        verbose_name_plural = _("分配明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_allocline_qty"),
            models.UniqueConstraint(
                fields=["plan", "need_line", "batch"], name="supplies_allocline_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.item_id} × {self.quantity}"


class Shipment(TenantModel):
    """Goods on their way to one company's store or one of its sites."""

    class State(models.TextChoices):
        READY = "ready", _("待发货")
        IN_TRANSIT = "in_transit", _("运输中")
        RECEIVED = "received", _("已签收")

    number = models.CharField(_("运单号"), max_length=32)
    plan = models.ForeignKey(
        AllocationPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    site = models.ForeignKey(
        "estates.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收货项目"),
    )
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.READY)
    dispatched_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The coordinator reads the shipments its own ledger sends.
    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "association": "from_location__association_id",
    }

    class Meta:
        verbose_name = _("发货单")
        verbose_name_plural = _("发货单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "id"], name="supplies_shipment_company_id_uniq"
            ),
            models.UniqueConstraint(
                fields=["company", "number"], name="supplies_shipment_number_uniq"
            ),
        ]
        permissions = [("receive_shipment", "Can confirm receipt of a shipment")]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(TenantModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    need_line = models.ForeignKey(
        NeedLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(InboundBatch, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("发货数量"))
    received_quantity = models.PositiveIntegerField(_("实收数量"), null=True, blank=True)
    difference_reason = models.CharField(_("差异原因"), max_length=200, blank=True)

    scope_paths = {
        "company": "company_id",
        "site": "shipment__site_id",
        "association": "shipment__from_location__association_id",
    }

    class Meta:
        verbose_name = _("发货明细")
        verbose_name_plural = _("发货明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supplies_shipline_qty"),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__lte=F("quantity")),
                name="supplies_shipline_received_le_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"


# --- waybill numbers (shared, like the catalogue) --------------------------------------


class ShipmentNumberDay(models.Model):
    """The platform's waybill counter of one local day (settings.TIME_ZONE): issuing
    numbers bumps `last` with an UPDATE that holds the row's lock until the issuing
    transaction ends, so two approvals at once get consecutive, distinct ranges
    (supplies/services/waybills.py)."""

    day = models.DateField(_("日期"), unique=True)
    last = models.PositiveIntegerField(_("已发号"), default=0)

    class Meta:
        verbose_name = _("运单号计数")
        verbose_name_plural = _("运单号计数")

    def __str__(self) -> str:
        return f"{self.day} #{self.last}"


class ShipmentNumber(models.Model):
    """Every waybill number ever issued, platform-wide. Its unique constraint is what
    makes a number one shipment's alone across companies: the shipment row itself is
    the receiving company's (TenantModel), whose unique constraints start with the
    company (DESIGN.md's tenancy rules), so it carries (company, number) only. Shared
    reference data: no key to the tenant's shipment."""

    number = models.CharField(_("运单号"), max_length=32)
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("运单号")
        verbose_name_plural = _("运单号")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="supplies_shipment_number_global_uniq")
        ]

    def __str__(self) -> str:
        return self.number


class AuditAction(BaseAuditAction):
    """What the supplies app's services record in the audit trail."""

    DONOR_CREATE = "supplies.donor_create", _("新建捐赠方")
    DONOR_UPDATE = "supplies.donor_update", _("修改捐赠方")
    CAMPAIGN_CREATE = "supplies.campaign_create", _("新建募捐活动")
    WAREHOUSE_CREATE = "supplies.warehouse_create", _("新建仓库")
    PLEDGE_CREATE = "supplies.pledge_create", _("登记捐赠意向")
    PLEDGE_CANCEL = "supplies.pledge_cancel", _("取消捐赠意向")
    BATCH_RECEIVE = "supplies.batch_receive", _("接收入库")
    QUALITY_DOCUMENT_ADD = "supplies.quality_document_add", _("上传质检文件")
    STOCK_ADJUST = "supplies.stock_adjust", _("调整库存")
    TRANSFER = "supplies.transfer", _("调拨")
    NEED_CREATE = "supplies.need_create", _("提交需求")
    NEED_CANCEL = "supplies.need_cancel", _("取消需求")
    PLAN_PROPOSE = "supplies.plan_propose", _("生成分配方案")
    PLAN_LINE_SET = "supplies.plan_line_set", _("修改分配数量")
    PLAN_DISCARD = "supplies.plan_discard", _("放弃分配方案")
    PLAN_APPROVE = "supplies.plan_approve", _("批准分配方案")
    SHIPMENT_CREATE = "supplies.shipment_create", _("生成发运单")
    SHIPMENT_DISPATCH = "supplies.shipment_dispatch", _("发运")
    SHIPMENT_RECEIVE = "supplies.shipment_receive", _("签收")
    CONSUMPTION_RECORD = "supplies.consumption_record", _("登记消耗")
