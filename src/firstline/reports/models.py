"""Daily reporting (信息报送): one report per site per day, roll-ups up the division
hierarchy, and the webhook that hands each submitted report to the authorities'
own systems.

- A DailyReport covers one local day of one site. Its figures are prefilled from the
  system's own records (`reports/selectors/prefill.py` says how each is counted) and are not
  typed by hand: the manager adds notes and what help is needed, and submits. It is
  due at the cut-off (settings.FIRSTLINE_REPORT_CUTOFF on the next day); a report
  submitted after it is late, and a site with no submitted report past the cut-off
  is missing.
- `division_code` is the site's community code, copied onto the report so that a
  roll-up groups by a code prefix (street = 9 digits, district = 6, city = 4) without
  joining sites, and so that authority viewers are scoped by the same prefix.
- A Webhook is the association's registration of an authority's endpoint for the
  reports of one division; each submission makes one WebhookDelivery per matching
  webhook, signed with the webhook's secret and retried with backoff until it is
  delivered or gives up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firstline.core.models import BaseAuditAction, SiteModel, TenantModel

# The figures the system prefills, in the order every page, export and API shows them.
FIGURES = (
    "residents",
    "households",
    "entries",
    "exits",
    "denied",
    "referred",
    "fevers",
    "declarations",
    "declarations_green",
    "declarations_yellow",
    "declarations_red",
    "isolation_new",
    "isolation_active",
    "isolation_released",
    "support_requested",
    "support_done",
    "sanitation_due",
    "sanitation_done",
    "staff_on_duty",
)


def _count(label):
    return models.PositiveIntegerField(label, default=0)


class DailyReport(SiteModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("未报送")
        SUBMITTED = "submitted", _("已报送")

    day = models.DateField(_("报告日期"))
    division_code = models.CharField(_("所属社区代码"), max_length=12, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    due_at = models.DateTimeField(_("报送截止时间"))
    prefilled_at = models.DateTimeField(_("数据生成时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("报送人"),
    )
    late = models.BooleanField(_("逾期报送"), default=False)
    # Each submission (a correction re-submits) bumps the version; webhooks send each.
    version = models.PositiveIntegerField(_("版本"), default=0)

    residents = _count(_("居民人数"))
    households = _count(_("户数"))
    entries = _count(_("进入人次"))
    exits = _count(_("外出人次"))
    denied = _count(_("拒绝进入"))
    referred = _count(_("转交复核"))
    fevers = _count(_("发热人次"))
    declarations = _count(_("健康申报"))
    declarations_green = _count(_("绿码"))
    declarations_yellow = _count(_("黄码"))
    declarations_red = _count(_("红码"))
    isolation_new = _count(_("新增隔离"))
    isolation_active = _count(_("在隔离"))
    isolation_released = _count(_("解除隔离"))
    support_requested = _count(_("新增求助"))
    support_done = _count(_("完成求助"))
    sanitation_due = _count(_("应消杀任务"))
    sanitation_done = _count(_("已完成消杀"))
    staff_on_duty = _count(_("在岗员工"))
    # {item code: quantity on hand at the site} from the supplies ledger, once it exists.
    stock = models.JSONField(_("防护物资库存"), default=dict, blank=True)

    notes = models.TextField(_("情况说明"), blank=True, max_length=2000)
    help_needed = models.TextField(_("需协调解决的问题"), blank=True, max_length=2000)

    scope_paths = {"company": "company_id", "site": "site_id", "division": "division_code"}

    class Meta:
        verbose_name = _("每日报告")
        verbose_name_plural = _("每日报告")
        ordering = ["-day", "site_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site", "day"], name="reports_daily_company_site_day_uniq"
            ),
            models.UniqueConstraint(fields=["company", "id"], name="reports_daily_company_id_uniq"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(submitted_at__isnull=False),
                name="reports_daily_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["day", "division_code"], name="reports_daily_day_div_idx"),
            models.Index(fields=["company", "day"], name="reports_daily_company_day_idx"),
        ]
        permissions = [
            ("submit_report", "Can submit a site's daily report"),
            ("export_report", "Can export daily reports"),
            ("view_rollup", "Can see roll-ups of daily reports"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day}"

    @property
    def compliance_percent(self) -> float | None:
        if not self.sanitation_due:
            return None
        return round(self.sanitation_done * 100 / self.sanitation_due, 1)


class Webhook(models.Model):
    """An authority's endpoint for the reports of one division (shared: the
    association registers it; it is not a company's row)."""

    association = models.ForeignKey(
        "orgs.Association", on_delete=models.CASCADE, related_name="+", verbose_name=_("协会")
    )
    name = models.CharField(_("名称"), max_length=64)
    url = models.URLField(_("接收地址"), max_length=500)
    division_code = models.CharField(
        _("行政区划代码"),
        max_length=12,
        blank=True,
        help_text=_("只推送该区划内项目的报告；留空为全部。"),
    )
    # The signing secret, sealed with the data key ring (core.crypto); shown once.
    secret_enc = models.BinaryField(editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("报告推送地址")
        verbose_name_plural = _("报告推送地址")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "name"], name="reports_webhook_name_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(TenantModel):
    """One submission of one report (at one version) to one webhook."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    payload = models.JSONField()
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    # The association that registered the webhook reads its deliveries (the payload
    # is a report's figures, no personal data).
    scope_paths = {"company": "company_id", "association": "webhook__association_id"}

    class Meta:
        verbose_name = _("报告推送记录")
        verbose_name_plural = _("报告推送记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "webhook", "report", "version"],
                name="reports_delivery_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="reports_delivery_due_idx")
        ]


class AuditAction(BaseAuditAction):
    """What the reports app's services record in the audit trail."""

    DAILY_SUBMIT = "reports.daily_submit", _("提交日报")
    DAILY_DRAFT_SAVE = "reports.daily_draft_save", _("保存日报草稿")
    ROLLUP_READ = "reports.rollup_read", _("查看汇总")
    ROLLUP_EXPORT = "reports.rollup_export", _("导出汇总")
    WEBHOOK_CREATE = "reports.webhook_create", _("新建推送")
    WEBHOOK_DEACTIVATE = "reports.webhook_deactivate", _("停用推送")
    WEBHOOK_RETRY = "reports.webhook_retry", _("重新推送")
    ALERT_ASSIGN = "reports.alert_assign", _("分派告警")
