"""Closed-compound access control: policies, passes, checkpoints, devices, and the
append-only record of every gate decision."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AlertModel, BaseAuditAction, SiteModel
from firstline.core.personal.fields import personal_columns


class Mode(models.TextChoices):
    OPEN = "open", _("开放")
    REGISTERED = "registered", _("登记进出")
    CLOSED = "closed", _("封闭管理")
    # Office and commercial buildings back at work: staff with a pass enter within
    # working hours, up to a headcount per floor.
    OFFICE = "office", _("办公模式")


class VisitorRule(models.TextChoices):
    FORBIDDEN = "forbidden", _("谢绝来访")
    RESIDENT_APPROVED = "resident_approved", _("居民预约")
    ESCORTED = "escorted", _("工作人员陪同")


class DeliveryRule(models.TextChoices):
    DROP_OFF = "drop_off", _("仅放置在指定地点")
    TO_DOOR = "to_door", _("可送货上门")


class Decision(models.TextChoices):
    ADMIT = "admit", _("放行")
    DENY = "deny", _("拒绝")
    REFER = "refer", _("转交处理")


class Direction(models.TextChoices):
    IN = "in", _("进")
    OUT = "out", _("出")


class AccessPolicy(SiteModel):
    """One version of a site's closed-management rules. The version in force at a
    moment is the one with the latest effective_from not after it."""

    version = models.PositiveIntegerField(_("版本"))
    effective_from = models.DateTimeField(_("生效时间"))
    mode = models.CharField(_("管理模式"), max_length=16, choices=Mode.choices, default=Mode.CLOSED)
    temperature_threshold = models.DecimalField(
        _("体温阈值（℃）"), max_digits=3, decimal_places=1, default=Decimal("37.3")
    )
    outing_quota = models.PositiveSmallIntegerField(
        _("每户外出人次"),
        null=True,
        blank=True,
        help_text=_("每个周期内每户允许外出的人次；留空表示不限"),
    )
    outing_period_days = models.PositiveSmallIntegerField(_("外出周期（天）"), default=2)
    outing_window_start = models.TimeField(_("外出时段开始"), null=True, blank=True)
    outing_window_end = models.TimeField(_("外出时段结束"), null=True, blank=True)
    require_green = models.BooleanField(_("需要绿码"), default=True)
    visitor_rule = models.CharField(
        _("访客规则"), max_length=24, choices=VisitorRule.choices, default=VisitorRule.FORBIDDEN
    )
    delivery_rule = models.CharField(
        _("快递外卖"), max_length=16, choices=DeliveryRule.choices, default=DeliveryRule.DROP_OFF
    )
    vehicles_registered_only = models.BooleanField(_("仅登记车辆"), default=True)
    office_hours_start = models.TimeField(_("办公时间开始"), null=True, blank=True)
    office_hours_end = models.TimeField(_("办公时间结束"), null=True, blank=True)
    floor_cap = models.PositiveIntegerField(
        _("每层在场人数上限"),
        null=True,
        blank=True,
        help_text=_("办公模式：一层楼当天在场的人数（进入减离开）达到此数后拒绝进入；留空表示不限"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("封闭管理策略")
        verbose_name_plural = _("封闭管理策略")
        ordering = ["site_id", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site", "version"],
                name="access_policy_company_site_version_uniq",
                violation_error_message=_("该项目已有此版本的策略。"),
            ),
            models.UniqueConstraint(fields=["company", "id"], name="access_policy_company_id_uniq"),
            models.CheckConstraint(
                condition=models.Q(outing_period_days__gte=1),
                name="access_policy_period_positive",
                violation_error_message=_("外出周期至少 1 天。"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "site", "effective_from"], name="access_policy_effective_idx"
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("access:policy_detail", args=[self.pk])


class SiteKey(SiteModel):
    """A site's Ed25519 signing key for passes. Gate devices hold only the public key.
    The private key is sealed with the data key ring; rotation adds a new active key
    and old passes keep verifying against their key id until they expire."""

    kid = models.CharField(_("密钥编号"), max_length=16)
    public_key = models.CharField(_("公钥"), max_length=64)  # base64url of the 32 raw bytes
    private_key_enc = models.BinaryField(editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("通行证签名密钥")
        verbose_name_plural = _("通行证签名密钥")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site", "kid"], name="access_sitekey_company_site_kid_uniq"
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="access_sitekey_company_id_uniq"
            ),
        ]


class Checkpoint(SiteModel):
    """A gate of a site: where people or vehicles are checked."""

    class Kind(models.TextChoices):
        PEDESTRIAN = "pedestrian", _("人行出入口")
        VEHICLE = "vehicle", _("车行出入口")

    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.PEDESTRIAN)

    class Meta:
        verbose_name = _("出入口")
        verbose_name_plural = _("出入口")
        ordering = ["site_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site", "name"],
                name="access_checkpoint_company_site_name_uniq",
                violation_error_message=_("该项目已有同名出入口。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="access_checkpoint_company_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Pass(SiteModel):
    """A pass (通行证): a resident's, or a visitor's one-time pass. The QR code is
    a signed token of its id, site and validity (access.passes)."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("居民通行证")
        VISITOR = "visitor", _("访客一次性通行证")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.RESIDENT)
    household = models.ForeignKey(
        "estates.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("住户")
    )
    resident = models.ForeignKey(
        "estates.Resident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("居民"),
    )
    holder_name = models.CharField(_("持证人"), max_length=64)
    valid_from = models.DateTimeField(_("生效"))
    valid_until = models.DateTimeField(_("失效"))
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("注销原因"), max_length=200, blank=True)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)  # one-time visitor passes

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("通行证")
        verbose_name_plural = _("通行证")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "id"], name="access_pass_company_id_uniq"),
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")),
                name="access_pass_validity_order",
                violation_error_message=_("失效时间必须晚于生效时间。"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "resident", "valid_until"], name="access_pass_resident_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("access:pass_detail", args=[self.pk])


class Vehicle(SiteModel):
    """A plate registered to a household."""

    household = models.ForeignKey(
        "estates.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("住户")
    )
    plate = models.CharField(_("车牌"), max_length=16)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site", "plate"],
                name="access_vehicle_company_site_plate_uniq",
                violation_error_message=_("该车牌已登记。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="access_vehicle_company_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.plate


class Device(SiteModel):
    """A device with its own token (stored hashed): a gate device at a checkpoint, or a
    disinfection device (UV lamp, drone) that reports its runs to the sanitation app
    through the same device API and has no checkpoint."""

    class Kind(models.TextChoices):
        FACE = "face", _("人脸识别终端")
        TEMPERATURE = "temperature", _("测温门")
        QR = "qr", _("二维码读头")
        PLATE = "plate", _("车牌识别相机")
        TURNSTILE = "turnstile", _("闸机")
        UV_LAMP = "uv_lamp", _("紫外线消毒灯")
        DRONE = "drone", _("消毒无人机")

    checkpoint = models.ForeignKey(
        Checkpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("出入口"),
    )
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    serial = models.CharField(_("序列号"), max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_seen_at = models.DateTimeField(_("最后心跳"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    ONLINE_SECONDS = 120

    class Meta:
        verbose_name = _("门岗设备")
        verbose_name_plural = _("门岗设备")
        ordering = ["site_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "id"], name="access_device_company_id_uniq")
        ]

    def __str__(self) -> str:
        return self.name


# An event's references to the gate's own rows (checkpoint, device, user, pass,
# resident, household, vehicle) are resolved by the server in the same request, just
# before the insert; they are not database foreign keys, because PostgreSQL checks
# each with a lookup per inserted row: seven of them made inserting events 2.4 times
# slower (bench/gate.py). Django still applies on_delete (SET_NULL) when such a row is
# deleted, through the indexes kept on these columns; those of columns that are often
# empty (a device's events have no user, most have no vehicle) are partial.
GATE_REFERENCE = {"null": True, "blank": True, "related_name": "+", "db_constraint": False}


def _not_null_index(column: str) -> models.Index:
    return models.Index(
        fields=[column],
        name=f"access_event_{column}_idx",
        condition=models.Q(**{f"{column}__isnull": False}),
    )


class AccessEvent(SiteModel):
    """One gate decision, append-only. `client_uuid` is made by the device or page
    that recorded it: a replay of the same uuid is acknowledged and not stored twice."""

    class Credential(models.TextChoices):
        PASS = "pass", _("通行证二维码")
        LOOKUP = "lookup", _("人工查询")
        PLATE = "plate", _("车牌")
        FACE = "face", _("人脸")
        VISITOR = "visitor", _("访客")

    # The unique (company, client_uuid, device_time) and the (company, id) indexes
    # lead with company_id.
    company = models.ForeignKey(
        "orgs.Company",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("企业"),
        db_index=False,
    )
    client_uuid = models.UUIDField(_("客户端编号"))
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.SET_NULL, verbose_name=_("出入口"), **GATE_REFERENCE
    )
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, verbose_name=_("设备"), db_index=False, **GATE_REFERENCE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, db_index=False, **GATE_REFERENCE
    )
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    credential = models.CharField(_("凭证"), max_length=16, choices=Credential.choices)
    pass_ref = models.ForeignKey(
        Pass, on_delete=models.SET_NULL, verbose_name=_("通行证"), db_index=False, **GATE_REFERENCE
    )
    resident = models.ForeignKey(
        "estates.Resident", on_delete=models.SET_NULL, verbose_name=_("居民"), **GATE_REFERENCE
    )
    household = models.ForeignKey(
        "estates.Household", on_delete=models.SET_NULL, verbose_name=_("住户"), **GATE_REFERENCE
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, verbose_name=_("车辆"), db_index=False, **GATE_REFERENCE
    )
    plate = models.CharField(_("车牌"), max_length=16, blank=True)
    temperature = models.DecimalField(
        _("体温"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    decision = models.CharField(_("结果"), max_length=8, choices=Decision.choices)
    reasons = models.JSONField(_("原因"), default=list)
    policy_version = models.PositiveIntegerField(_("策略版本"), null=True, blank=True)
    device_time = models.DateTimeField(_("设备时间"))
    server_time = models.DateTimeField(_("服务器时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("出入记录")
        verbose_name_plural = _("出入记录")
        ordering = ["-device_time", "-id"]
        constraints = [
            # A replay is the same event sent again: the same uuid with the same device
            # time. The time is in the key because on PostgreSQL the table is
            # partitioned by month of device time (core/partitions.py), and a
            # partitioned table's unique indexes must hold the partition key.
            models.UniqueConstraint(
                fields=["company", "client_uuid", "device_time"],
                name="access_event_uuid_time_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "id"], name="access_event_company_id_idx"),
            models.Index(
                fields=["company", "site", "device_time"], name="access_event_site_time_idx"
            ),
            # Only what an outing quota counts (services._outings, monitor quota use):
            # admitted exits on foot, per household in time order. Partial, so it is
            # small, is written for those rows only, and answers the count by itself.
            models.Index(
                fields=["company", "household", "device_time"],
                name="access_event_outing_idx",
                condition=models.Q(direction="out", decision="admit")
                & ~models.Q(credential="plate"),
            ),
            *(_not_null_index(c) for c in ("device", "recorded_by", "pass_ref", "vehicle")),
        ]


class Alert(AlertModel):
    """Something the site manager must see: a fever at the gate."""

    class Kind(models.TextChoices):
        FEVER = "fever", _("体温异常")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    # No database foreign key: the event table is partitioned on PostgreSQL, and a key
    # to it would need the partition key too. The purge deletes these before their
    # events (retention.py); Django's CASCADE covers deleting an event through the ORM.
    event = models.ForeignKey(
        AccessEvent, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "event", "kind"], name="access_alert_company_event_kind_uniq"
            )
        ]


class FollowUp(SiteModel):
    """An item on the health officer's list: a person referred at the gate."""

    class Status(models.TextChoices):
        OPEN = "open", _("待跟进")
        DONE = "done", _("已处理")

    # No database foreign key, as Alert.event.
    event = models.ForeignKey(
        AccessEvent, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    resident = models.ForeignKey(
        "estates.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=200)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(_("处理结果"), blank=True)

    class Meta:
        verbose_name = _("待跟进事项")
        verbose_name_plural = _("待跟进事项")
        ordering = ["status", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "event"], name="access_followup_company_event_uniq"
            )
        ]


class Visitor(SiteModel):
    """A visitor pre-registered by a resident or registered at the gate."""

    household = models.ForeignKey(
        "estates.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("被访住户")
    )
    name = models.CharField(_("访客姓名"), max_length=64)
    locals().update(personal_columns("phone", _("手机号")))
    expected_on = models.DateField(_("预计来访日期"))
    purpose = models.CharField(_("来访事由"), max_length=200, blank=True)
    pass_ref = models.ForeignKey(
        Pass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    arrived_at = models.DateTimeField(_("到访时间"), null=True, blank=True)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("访客")
        verbose_name_plural = _("访客")
        ordering = ["-expected_on", "-id"]


class Delivery(SiteModel):
    """A parcel or meal left at the drop-off point."""

    household = models.ForeignKey(
        "estates.Household",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("收件住户"),
    )
    carrier = models.CharField(_("快递/外卖"), max_length=64)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    dropped_at = models.DateTimeField(_("送达时间"))
    collected_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("快递外卖登记")
        verbose_name_plural = _("快递外卖登记")
        ordering = ["-dropped_at", "-id"]


class AuditAction(BaseAuditAction):
    """What the access app's services record in the audit trail."""

    POLICY_PUBLISH = "access.policy_publish", _("发布策略")
    PASS_ISSUE = "access.pass_issue", _("发证")
    PASS_REVOKE = "access.pass_revoke", _("注销通行证")
    CHECKPOINT_CREATE = "access.checkpoint_create", _("新建出入口")
    CHECKPOINT_UPDATE = "access.checkpoint_update", _("修改出入口")
    DEVICE_REGISTER = "access.device_register", _("登记设备")
    DEVICE_ROTATE_TOKEN = "access.device_rotate_token", _("更换设备令牌")
    DEVICE_DEACTIVATE = "access.device_deactivate", _("停用设备")
    VISITOR_REGISTER = "access.visitor_register", _("登记访客")
    DELIVERY_LOG = "access.delivery_log", _("登记快递外卖")
    DELIVERY_COLLECT = "access.delivery_collect", _("领取")
    VEHICLE_REGISTER = "access.vehicle_register", _("登记车辆")
    VEHICLE_REMOVE = "access.vehicle_remove", _("注销车辆登记")
    FOLLOWUP_CLOSE = "access.followup_close", _("记录跟进结果")
    EVENTS_EXPORT = "access.events_export", _("导出出入记录")
