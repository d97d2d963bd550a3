"""Base models of every tenant table, and the platform's own records:
audit trail, personal-data access log, task progress."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from firstline.core.tenancy import TenantManager


class TenantModel(models.Model):
    """A row that belongs to one company (the tenant).

    `scope_paths` tells the scoping mechanism how to reach the company, the site,
    the household and the division from this table; subclasses extend it.
    """

    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    company = models.ForeignKey(
        "orgs.Company", on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths: dict[str, str] = {"company": "company_id"}

    class Meta:
        abstract = True


class SiteModel(TenantModel):
    """A row under one site: carries site_id beside company_id."""

    site = models.ForeignKey(
        "estates.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("项目")
    )

    scope_paths = {"company": "company_id", "site": "site_id"}

    class Meta:
        abstract = True


class AssociationModel(models.Model):
    """A row that belongs to one association (supplies' donors, warehouses, ledger …).

    Read like a tenant row: `Model.objects.for_scope(scope)` reaches it through the
    scope's association grants only (company, site and division grants see nothing
    unless a subclass declares a path for them)."""

    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    association = models.ForeignKey(
        "orgs.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会")
    )

    scope_paths: dict = {"association": "association_id"}

    class Meta:
        abstract = True


class AlertModel(SiteModel):
    """Something the people of a site must see and deal with: a fever at the gate, a
    missed isolation check, an overdue disinfection. Raised (`created_at`) with a
    message, acknowledged once (`core.services.alert_acknowledge`), assigned to
    someone by the command centre, whose feed reads these columns of every alert
    table alike. What is raised about (the event, the case, the task) and its kind
    are each table's own."""

    message = models.CharField(_("内容"), max_length=200)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("处理人"),
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)

    class Meta:
        abstract = True


class BaseAuditAction(models.TextChoices):
    """What an audit row says was done. Every app declares its own enumeration in its
    models.py, `class AuditAction(BaseAuditAction)`, with values namespaced
    "<app>.<thing>_<verb>" and a label for the change history; `audit_record` takes
    nothing else. Core knows the apps' enumerations only as its subclasses."""

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored value, whichever app's it is; the value itself when no
        enumeration knows it (a row written before an action was renamed)."""
        for actions in cls.__subclasses__():
            if value in actions.values:
                return str(actions(value).label)
        return value


class AuditAction(BaseAuditAction):
    """Core's own actions."""

    ALERT_ACKNOWLEDGE = "core.alert_acknowledge", _("确认告警")
    LIST_EXPORT = "core.list_export", _("导出列表")


class AuditEvent(models.Model):
    """One change made through a service: who, what, when, and the changed fields
    (personal values masked). The change history of people and sites reads these."""

    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(
                fields=["company", "object_type", "object_id", "at"], name="core_audit_object_idx"
            )
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"

    @property
    def action_label(self) -> str:
        return BaseAuditAction.label_of(self.action)


class AccessLog(TenantModel):
    """A reveal of a person's sensitive field, with the purpose the user stated.
    Append-only: nothing updates or deletes these rows but the retention purge."""

    site = models.ForeignKey(
        "estates.Site",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("项目"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("查看人"),
    )
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64)
    object_label = models.CharField(_("对象名称"), max_length=200, blank=True)
    field = models.CharField(_("字段"), max_length=32)
    purpose = models.CharField(_("用途"), max_length=200)
    channel = models.CharField(_("渠道"), max_length=16, default="web")
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)

    scope_paths = {"company": "company_id", "site": "site_id"}

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        indexes = [
            models.Index(fields=["company", "created_at"], name="core_accesslog_company_at_idx")
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} of {self.object_label}"


class TaskProgress(models.Model):
    """What a background task tells its page: how far it got and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(
        "orgs.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.TextField(_("说明"), blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class JobRun(models.Model):
    """One slot of a periodic job (core.scheduler): claimed by inserting this row, so
    the unique (job, slot) lets exactly one worker run it however many run. A failed
    attempt is retried on the same row (attempts, failures, next_attempt_at); a later
    slot supersedes a failed one."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败，待重试")
        GAVE_UP = "gave_up", _("失败，已放弃")

    job = models.CharField(_("作业"), max_length=64)
    slot = models.DateTimeField(_("计划时间"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    # A new token with every claim: only the attempt holding it may record its outcome.
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    worker = models.CharField(_("执行者"), max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=1)
    failures = models.PositiveSmallIntegerField(_("失败次数"), default=0)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), null=True, blank=True)
    result = models.TextField(_("结果"), blank=True)
    error = models.TextField(_("错误"), blank=True)
    traceback = models.TextField(_("错误位置"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次重试"), null=True, blank=True)

    class Meta:
        verbose_name = _("定时作业运行")
        verbose_name_plural = _("定时作业运行")
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="core_jobrun_job_slot_uniq")
        ]
        ordering = ["-slot", "job"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M} {self.status}"
