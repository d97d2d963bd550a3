"""Health screening, home isolation and household support.

- Risk lists are published by authorities and shared by every company: they are not
  tenant data. Each import is a new version of a named list; the newest version of
  each list is in force (`RiskArea.current`), older versions stay as its history.
- A declaration (行程申报) is a resident's account of the last 14 days. Its status
  (green / yellow / red) is stored so the gate and the lists read it cheaply; the
  reasons in words are recomputed from the same rules when shown (rules.py), so
  status and reasons cannot disagree. When a risk list changes every current
  declaration is re-screened by a few set-based SQL statements (screening.py).
- Isolation cases, their twice-daily checks, support requests and vulnerable-resident
  check calls are tenant rows under a site.
- Health data has a retention period (settings.HEALTH_RETENTION_DAYS); the purge
  keeps the per-day counts in `HealthDailyCount`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AlertModel, BaseAuditAction, SiteModel, TenantModel
from firstline.core.scope import Through


class Level(models.TextChoices):
    HIGH = "high", _("高风险")
    MEDIUM = "medium", _("中风险")
    LOW = "low", _("低风险")


class Status(models.TextChoices):
    GREEN = "green", _("绿码")
    YELLOW = "yellow", _("黄码")
    RED = "red", _("红码")


class Symptom(models.TextChoices):
    FEVER = "fever", _("发热")
    COUGH = "cough", _("干咳")
    FATIGUE = "fatigue", _("乏力")
    SORE_THROAT = "sore_throat", _("咽痛")
    SHORT_BREATH = "short_breath", _("呼吸困难")
    DIARRHOEA = "diarrhoea", _("腹泻")
    LOSS_OF_TASTE = "loss_of_taste", _("嗅觉味觉减退")


# --- risk areas (public, shared by all companies) ------------------------------------


class RiskList(models.Model):
    """One published version of a named risk-area list (e.g. 湖北省卫健委 中高风险地区)."""

    name = models.CharField(_("名单名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本"))
    source = models.CharField(_("发布机关"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("文件"), max_length=200, blank=True)
    area_count = models.PositiveIntegerField(_("地区数"), default=0)
    current = models.BooleanField(_("现行"), default=True)

    class Meta:
        verbose_name = _("风险地区名单")
        verbose_name_plural = _("风险地区名单")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="health_risklist_version_uniq"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(current=True), name="health_risklist_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("health:risklist_detail", args=[self.pk])


class RiskArea(models.Model):
    """A division (by code prefix) or a named place (by name contained in the
    declared place) with a level and the window in which it is a risk."""

    risk_list = models.ForeignKey(RiskList, on_delete=models.CASCADE, related_name="areas")
    current = models.BooleanField(default=True)  # copy of risk_list.current, for one-table joins
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    name = models.CharField(_("地区"), max_length=100)
    level = models.CharField(_("风险等级"), max_length=8, choices=Level.choices)
    valid_from = models.DateField(_("起始日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("风险地区")
        verbose_name_plural = _("风险地区")
        ordering = ["risk_list", "division_code", "name"]
        indexes = [
            models.Index(fields=["current", "division_code"], name="health_riskarea_cur_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class ScreeningConfig(TenantModel):
    """A company's screening rules (one row per company; defaults when absent)."""

    window_days = models.PositiveSmallIntegerField(_("回溯天数"), default=14)
    fever_threshold = models.DecimalField(
        _("发热阈值（℃）"), max_digits=3, decimal_places=1, default=Decimal("37.3")
    )
    high_level = models.CharField(
        _("到访高风险地区"), max_length=8, choices=Status.choices, default=Status.RED
    )
    medium_level = models.CharField(
        _("到访中风险地区"), max_length=8, choices=Status.choices, default=Status.YELLOW
    )
    low_level = models.CharField(
        _("到访低风险地区"), max_length=8, choices=Status.choices, default=Status.GREEN
    )
    confirmed_contact = models.CharField(
        _("接触确诊病例"), max_length=8, choices=Status.choices, default=Status.RED
    )
    suspected_contact = models.CharField(
        _("接触疑似病例"), max_length=8, choices=Status.choices, default=Status.YELLOW
    )
    symptoms = models.CharField(
        _("有症状"), max_length=8, choices=Status.choices, default=Status.YELLOW
    )
    fever = models.CharField(_("发热"), max_length=8, choices=Status.choices, default=Status.RED)

    class Meta:
        verbose_name = _("筛查规则")
        verbose_name_plural = _("筛查规则")
        constraints = [models.UniqueConstraint(fields=["company"], name="health_config_one")]


# --- declarations -----------------------------------------------------------------------


class Consent(SiteModel):
    """A resident's separate consent to the processing of health data (PIPL art. 29)."""

    resident = models.ForeignKey(
        "estates.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    text_version = models.CharField(_("告知书版本"), max_length=16)
    channel = models.CharField(_("渠道"), max_length=16)  # self / staff / import
    given_at = models.DateTimeField(_("同意时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "household": "resident__household_id",
    }

    class Meta:
        verbose_name = _("健康信息处理同意")
        verbose_name_plural = _("健康信息处理同意")
        ordering = ["-given_at"]


class Declaration(SiteModel):
    """A travel and health declaration. `current` marks each resident's latest one;
    only current declarations are screened and read by the gate."""

    class Channel(models.TextChoices):
        SELF = "self", _("本人填报")
        STAFF = "staff", _("工作人员代填")
        IMPORT = "import", _("批量导入")

    resident = models.ForeignKey(
        "estates.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    household = models.ForeignKey(
        "estates.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("住户")
    )
    current = models.BooleanField(_("最新"), default=True)
    channel = models.CharField(_("填报方式"), max_length=8, choices=Channel.choices)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("填报时间"))
    return_date = models.DateField(_("返回日期"), null=True, blank=True)
    transport = models.CharField(_("交通方式（车次/航班）"), max_length=64, blank=True)
    contact_confirmed = models.BooleanField(_("接触过确诊病例"), default=False)
    contact_suspected = models.BooleanField(_("接触过疑似病例"), default=False)
    symptoms = models.JSONField(_("症状"), default=list, blank=True)
    has_symptoms = models.BooleanField(default=False)  # symptoms != [], for set-based SQL
    temperature = models.DecimalField(
        _("体温（℃）"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(
        _("筛查结果"), max_length=8, choices=Status.choices, default=Status.GREEN
    )
    screened_at = models.DateTimeField(_("筛查时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("行程申报")
        verbose_name_plural = _("行程申报")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(current=True), name="health_decl_one_current"
            )
        ]
        indexes = [
            models.Index(fields=["company", "site", "status"], name="health_decl_status_idx"),
            models.Index(fields=["current", "status"], name="health_decl_current_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.submitted_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("health:declaration_detail", args=[self.pk])


class DeclarationPlace(TenantModel):
    """A place visited in the 14 days before the declaration, with the date. Carries
    company_id like every tenant table; read through its declaration."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="places")
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    place_name = models.CharField(_("地点"), max_length=100)
    visited_on = models.DateField(_("日期"))

    scope_paths = {
        "company": "company_id",
        "site": "declaration__site_id",
        "household": "declaration__household_id",
    }

    class Meta:
        verbose_name = _("到访地点")
        verbose_name_plural = _("到访地点")
        ordering = ["visited_on", "id"]
        indexes = [models.Index(fields=["division_code"], name="health_place_div_idx")]

    def __str__(self) -> str:
        return f"{self.place_name} {self.visited_on}"


# --- screening worklist -----------------------------------------------------------------


class WorkItem(SiteModel):
    """A resident to follow up after a yellow or red screening. One open item per
    resident at a time (the constraint makes re-screening add no duplicates)."""

    class State(models.TextChoices):
        OPEN = "open", _("待跟进")
        FOLLOWING = "following", _("跟进中")
        REFERRED = "referred", _("已转介社区卫生服务站")
        CLOSED = "closed", _("已关闭")

    resident = models.ForeignKey(
        "estates.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    household = models.ForeignKey("estates.Household", on_delete=models.CASCADE, related_name="+")
    declaration = models.ForeignKey(
        Declaration, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(_("等级"), max_length=8, choices=Status.choices)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.OPEN)
    referred_to = models.CharField(_("转介至"), max_length=100, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("筛查跟进")
        verbose_name_plural = _("筛查跟进")
        ordering = ["state", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=~Q(state="closed"),
                name="health_workitem_one_open",
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("health:workitem_detail", args=[self.pk])


class FollowUpCall(SiteModel):
    class Outcome(models.TextChoices):
        REACHED = "reached", _("已联系，情况正常")
        SYMPTOMS = "symptoms", _("已联系，有症状")
        NO_ANSWER = "no_answer", _("未接通")
        REFERRED = "referred", _("已转介")
        ISOLATED = "isolated", _("已安排隔离")

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="calls")
    called_at = models.DateTimeField(_("时间"))
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    notes = models.CharField(_("备注"), max_length=500, blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-called_at", "-id"]


# --- isolation --------------------------------------------------------------------------


class IsolationFacility(TenantModel):
    """A centralised isolation point with its capacity."""

    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("床位"))

    # Company-wide: a site role sees the points of its site's company.
    scope_paths = {
        "company": "company_id",
        "site": Through("company_id", "estates.Site", key="id", value="company_id"),
    }

    class Meta:
        verbose_name = _("集中隔离点")
        verbose_name_plural = _("集中隔离点")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


DEFAULT_ISOLATION_DAYS = 14


class IsolationCase(SiteModel):
    """A resident under isolation observation, at home or at a centralised point; a
    home case may cover the whole household (`whole_household`)."""

    class Kind(models.TextChoices):
        HOME = "home", _("居家隔离")
        CENTRAL = "central", _("集中隔离")

    class State(models.TextChoices):
        ACTIVE = "active", _("隔离中")
        ESCALATED = "escalated", _("已上报（有症状/发热）")
        RELEASED = "released", _("已解除")

    resident = models.ForeignKey(
        "estates.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    household = models.ForeignKey("estates.Household", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices, default=Kind.HOME)
    # Home isolation of the whole household: every member is held at the gate and
    # listed under this case (the default for a close contact of a confirmed case).
    whole_household = models.BooleanField(_("全户居家隔离"), default=False)
    facility = models.ForeignKey(
        IsolationFacility,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("隔离点"),
    )
    reason = models.CharField(_("原因"), max_length=200)
    start_date = models.DateField(_("开始日期"))
    planned_end = models.DateField(_("计划解除日期"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.ACTIVE)
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    release_note = models.CharField(_("解除说明"), max_length=500, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("隔离观察")
        verbose_name_plural = _("隔离观察")
        ordering = ["state", "-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=~Q(state="released"),
                name="health_isolation_one_open",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("start_date")),
                name="health_isolation_end_after_start",
                violation_error_message=_("计划解除日期不能早于开始日期。"),
            ),
        ]
        indexes = [
            models.Index(fields=["company", "site", "state"], name="health_iso_state_idx"),
            # The gate's probe for a housemate's case (access.selectors.status).
            models.Index(
                fields=["household"],
                condition=Q(whole_household=True) & ~Q(state="released"),
                name="health_iso_household_idx",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("health:isolation_detail", args=[self.pk])

    @staticmethod
    def default_end(start):
        return start + timedelta(days=DEFAULT_ISOLATION_DAYS)


class IsolationCheck(SiteModel):
    """One of the two daily temperature checks of a case (morning, evening)."""

    class Slot(models.TextChoices):
        AM = "am", _("上午")
        PM = "pm", _("下午")

    class By(models.TextChoices):
        SELF = "self", _("本人上报")
        STAFF = "staff", _("工作人员测量")

    case = models.ForeignKey(IsolationCase, on_delete=models.CASCADE, related_name="checks")
    day = models.DateField(_("日期"))
    slot = models.CharField(_("时段"), max_length=2, choices=Slot.choices)
    taken_at = models.DateTimeField(_("测量时间"))
    temperature = models.DecimalField(_("体温（℃）"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("症状"), default=list, blank=True)
    by = models.CharField(_("方式"), max_length=8, choices=By.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {"company": "company_id", "site": "site_id", "household": "case__household_id"}

    class Meta:
        verbose_name = _("隔离体温检测")
        verbose_name_plural = _("隔离体温检测")
        ordering = ["-day", "-slot"]
        constraints = [
            models.UniqueConstraint(fields=["case", "day", "slot"], name="health_check_slot_uniq")
        ]


class HealthAlert(AlertModel):
    """Something the health officer must act on: a missed isolation check, fever or
    symptoms in isolation, an urgent support request. The unique key makes raising
    the same alert twice a no-op, so the periodic check can run as often as it likes."""

    class Kind(models.TextChoices):
        MISSED_CHECK = "missed_check", _("隔离检测漏报")
        FEVER = "fever", _("隔离人员发热")
        SYMPTOMS = "symptoms", _("隔离人员有症状")
        URGENT_SUPPORT = "urgent_support", _("紧急求助")
        RED_SCREENING = "red_screening", _("红码人员")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=64)  # what makes this alert unique within its kind
    case = models.ForeignKey(
        IsolationCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        "estates.Resident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField(_("应完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("健康告警")
        verbose_name_plural = _("健康告警")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "key"], name="health_alert_kind_key_uniq"
            )
        ]


# --- support ----------------------------------------------------------------------------


class SupportRequest(SiteModel):
    class Kind(models.TextChoices):
        GROCERIES = "groceries", _("生活物资")
        MEDICINE = "medicine", _("药品")
        GARBAGE = "garbage", _("垃圾清运")
        MEDICAL_TRANSPORT = "transport", _("就医转运")
        OTHER = "other", _("其他")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")

    class State(models.TextChoices):
        OPEN = "open", _("待分派")
        ASSIGNED = "assigned", _("已分派")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    household = models.ForeignKey(
        "estates.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("住户")
    )
    resident = models.ForeignKey(
        "estates.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("居民"),
    )
    case = models.ForeignKey(
        IsolationCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    details = models.CharField(_("需求说明"), max_length=500)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.OPEN)
    requested_at = models.DateTimeField(_("提出时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        "estates.Staff",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("负责人"),
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    proof_note = models.CharField(_("送达说明"), max_length=500, blank=True)
    proof_photo = models.ImageField(_("送达照片"), upload_to="support/%Y/%m/", blank=True)

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("帮扶需求")
        verbose_name_plural = _("帮扶需求")
        ordering = ["state", "-requested_at", "-id"]
        indexes = [
            models.Index(fields=["company", "site", "state"], name="health_support_state_idx")
        ]

    def get_absolute_url(self) -> str:
        return reverse("health:support_detail", args=[self.pk])


class VulnerableCheck(SiteModel):
    """A proactive check call to a vulnerable resident (elderly living alone,
    disabled, chronically ill, pregnant — flags on the resident)."""

    class Outcome(models.TextChoices):
        WELL = "well", _("情况良好")
        NEEDS_HELP = "needs_help", _("需要帮扶")
        NO_ANSWER = "no_answer", _("未接通")

    resident = models.ForeignKey(
        "estates.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    called_at = models.DateTimeField(_("时间"))
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    notes = models.CharField(_("备注"), max_length=500, blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "household": "resident__household_id",
    }

    class Meta:
        verbose_name = _("关爱回访")
        verbose_name_plural = _("关爱回访")
        ordering = ["-called_at", "-id"]


# --- sign-in by one-time code, and retained counts ---------------------------------------


class PhoneCode(models.Model):
    """A one-time sign-in code sent to a phone (stored hashed, keyed by the phone's HMAC)."""

    site = models.ForeignKey("estates.Site", on_delete=models.CASCADE, related_name="+")
    phone_hmac = models.CharField(max_length=64, db_index=True)
    # A keyed hash of the client's address, for the per-address limits (never the address).
    ip_hmac = models.CharField(max_length=64, blank=True, db_index=True)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"code for site {self.site_id}"


class SmsMessage(SiteModel):
    """One text message sent (or tried) through the SMS gateway: the masked phone, why
    (the purpose picks the provider's template), which provider, and what it answered
    — its message id, or the error it gave (a limit, a bad template, no answer)."""

    class Purpose(models.TextChoices):
        OTP = "otp", _("验证码")
        CHECK_REMINDER = "check_reminder", _("隔离检测提醒")
        URGENT_NOTICE = "urgent_notice", _("紧急通知")

    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    phone_masked = models.CharField(_("手机号"), max_length=20)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    provider = models.CharField(_("短信服务"), max_length=16)
    template = models.CharField(_("模板"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices)
    provider_message_id = models.CharField(_("服务商消息编号"), max_length=128, blank=True)
    error_code = models.CharField(_("错误码"), max_length=64, blank=True)
    error = models.CharField(_("错误信息"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("短信记录")
        verbose_name_plural = _("短信记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "site", "created_at"], name="health_sms_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.phone_masked} {self.get_status_display()}"


class HealthDailyCount(SiteModel):
    """Per site and day, the counts the daily report needs, kept after the purge has
    deleted the rows they were counted from."""

    day = models.DateField(_("日期"))
    declarations = models.PositiveIntegerField(default=0)
    green = models.PositiveIntegerField(default=0)
    yellow = models.PositiveIntegerField(default=0)
    red = models.PositiveIntegerField(default=0)
    isolation_new = models.PositiveIntegerField(default=0)
    isolation_active = models.PositiveIntegerField(default=0)
    isolation_released = models.PositiveIntegerField(default=0)
    checks = models.PositiveIntegerField(default=0)
    missed_checks = models.PositiveIntegerField(default=0)
    support_requested = models.PositiveIntegerField(default=0)
    support_done = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("健康日统计")
        verbose_name_plural = _("健康日统计")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="health_dailycount_site_day")
        ]


class AuditAction(BaseAuditAction):
    """What the health app's services record in the audit trail."""

    RISK_LIST_IMPORT = "health.risk_list_import", _("导入风险地区")
    CONSENT_RECORD = "health.consent_record", _("同意处理健康信息")
    DECLARATION_SUBMIT = "health.declaration_submit", _("健康申报")
    DECLARATIONS_IMPORT = "health.declarations_import", _("导入申报")
    WORK_ITEM_CALL = "health.work_item_call", _("电话随访")
    WORK_ITEM_REFER = "health.work_item_refer", _("转介")
    WORK_ITEM_CLOSE = "health.work_item_close", _("结案")
    ISOLATION_OPEN = "health.isolation_open", _("开启隔离观察")
    ISOLATION_EXTEND = "health.isolation_extend", _("延长隔离期")
    ISOLATION_RELEASE = "health.isolation_release", _("解除隔离")
    CHECK_RECORD = "health.check_record", _("录入体温检测")
    FACILITY_CREATE = "health.facility_create", _("新建隔离点")
    FACILITY_UPDATE = "health.facility_update", _("修改隔离点")
    SUPPORT_CREATE = "health.support_create", _("登记帮扶需求")
    SUPPORT_ASSIGN = "health.support_assign", _("分派帮扶")
    SUPPORT_COMPLETE = "health.support_complete", _("帮扶已送达")
    SUPPORT_CANCEL = "health.support_cancel", _("取消帮扶")
    VULNERABLE_CALL = "health.vulnerable_call", _("关爱回访")
