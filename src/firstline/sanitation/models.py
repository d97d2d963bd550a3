"""Cleaning and disinfection driven by the association's operation guides.

- A Guide is one published version of the association's checklist for one site type
  (residential, office, industrial park, campus, hospital). It is reference data the
  association owns, shared by every company: not tenant data. Items keep a stable
  `code` across versions so a company's override and a site's plan follow an item
  from one version to the next.
- A company may override an item for its own sites (ItemOverride).
- A site's Areas are its real places (lift 1 of building 3, the garbage point by the
  north gate …), each with a QR code that opens its tasks on the cleaner's phone.
- A PlanEntry is one guide item applied to one area, with the frequency and method
  resolved from the guide and the company's override. The generator turns entries
  into each day's Tasks; the (entry, day, slot) key makes generation idempotent.
- Tasks are done by a cleaner (one tap, optional photo, disinfectant batch) or by a
  device run (a UV lamp cycle in a lift, a drone sortie), and are overdue after their
  slot's due time; overdue tasks raise one alert each for the site manager.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AlertModel, BaseAuditAction, SiteModel, TenantModel


class AreaKind(models.TextChoices):
    LIFT = "lift", _("电梯轿厢及按钮")
    LOBBY = "lobby", _("大堂及门厅")
    DOOR_HANDLE = "door_handle", _("门把手及扶手")
    STAIRWELL = "stairwell", _("楼梯间")
    GARBAGE = "garbage", _("垃圾收集点")
    CAR_PARK = "car_park", _("停车场")
    TOILET = "toilet", _("公共卫生间")
    PARCEL_ROOM = "parcel_room", _("快递收发室")
    GYM = "gym", _("健身场所")
    CANTEEN = "canteen", _("食堂")
    HVAC = "hvac", _("空调通风系统")
    GATE = "gate", _("出入口岗亭")
    OTHER = "other", _("其他公共区域")


class Guide(models.Model):
    """One published version of the operation guide's checklist for a site type."""

    site_type = models.CharField(_("项目类型"), max_length=16)  # estates.Site.Type values
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=200)
    source = models.CharField(_("依据"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current = models.BooleanField(_("现行"), default=True)

    class Meta:
        verbose_name = _("操作指引")
        verbose_name_plural = _("操作指引")
        ordering = ["site_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["site_type", "version"], name="sanitation_guide_version_uniq"
            ),
            models.UniqueConstraint(
                fields=["site_type"], condition=Q(current=True), name="sanitation_guide_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("sanitation:guide_detail", args=[self.pk])


class GuideItem(models.Model):
    """What to disinfect, how, with what, how often. Frequency is either a number of
    times a day or every N hours during the working day."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("条目代码"), max_length=48)  # stable across versions
    area_kind = models.CharField(_("区域类型"), max_length=16, choices=AreaKind.choices)
    title = models.CharField(_("条目"), max_length=200)
    method = models.TextField(_("方法"))
    disinfectant = models.CharField(_("消毒剂"), max_length=100, blank=True)
    concentration = models.CharField(_("浓度"), max_length=64, blank=True)  # e.g. 500 mg/L
    times_per_day = models.PositiveSmallIntegerField(_("每日次数"), null=True, blank=True)
    every_hours = models.PositiveSmallIntegerField(_("间隔小时"), null=True, blank=True)
    precautions = models.TextField(_("注意事项"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("指引条目")
        verbose_name_plural = _("指引条目")
        ordering = ["guide", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "code"], name="sanitation_item_code_uniq"),
            models.CheckConstraint(
                condition=Q(times_per_day__isnull=False) | Q(every_hours__isnull=False),
                name="sanitation_item_has_frequency",
                violation_error_message=_("请填写每日次数或间隔小时。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ItemOverride(TenantModel):
    """A company's change to one guide item (by code and site type) for its sites."""

    site_type = models.CharField(_("项目类型"), max_length=16)
    code = models.SlugField(_("条目代码"), max_length=48)
    disabled = models.BooleanField(_("不适用"), default=False)
    method = models.TextField(_("方法"), blank=True)
    disinfectant = models.CharField(_("消毒剂"), max_length=100, blank=True)
    concentration = models.CharField(_("浓度"), max_length=64, blank=True)
    times_per_day = models.PositiveSmallIntegerField(_("每日次数"), null=True, blank=True)
    every_hours = models.PositiveSmallIntegerField(_("间隔小时"), null=True, blank=True)
    reason = models.CharField(_("调整原因"), max_length=200)

    class Meta:
        verbose_name = _("企业调整")
        verbose_name_plural = _("企业调整")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "site_type", "code"], name="sanitation_override_uniq"
            )
        ]


class Area(SiteModel):
    """A real place of a site that is disinfected, with the QR code posted there."""

    name = models.CharField(_("区域"), max_length=100)
    kind = models.CharField(_("区域类型"), max_length=16, choices=AreaKind.choices)
    building = models.ForeignKey(
        "estates.Building",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("楼栋"),
    )
    qr_token = models.CharField(max_length=32, unique=True, editable=False)
    device = models.ForeignKey(
        "access.Device",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("消毒设备"),
        help_text=_("安装在此区域的紫外线灯或负责此区域的无人机"),
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("消杀区域")
        verbose_name_plural = _("消杀区域")
        ordering = ["site_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="sanitation_area_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sanitation:area_detail", args=[self.pk])


class PlanEntry(SiteModel):
    """One guide item applied to one area, resolved (guide + company override). An edit
    bumps `revision`; the generator then replaces today's not-yet-done future slots."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="entries")
    code = models.SlugField(_("条目代码"), max_length=48)
    title = models.CharField(_("条目"), max_length=200)
    method = models.TextField(_("方法"))
    disinfectant = models.CharField(_("消毒剂"), max_length=100, blank=True)
    concentration = models.CharField(_("浓度"), max_length=64, blank=True)
    times_per_day = models.PositiveSmallIntegerField(_("每日次数"), null=True, blank=True)
    every_hours = models.PositiveSmallIntegerField(_("间隔小时"), null=True, blank=True)
    precautions = models.TextField(_("注意事项"), blank=True)
    guide_version = models.PositiveIntegerField(_("指引版本"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("修订"), default=1)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("消杀计划")
        verbose_name_plural = _("消杀计划")
        ordering = ["area_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "code"], name="sanitation_entry_area_code_uniq"
            ),
            models.CheckConstraint(
                condition=Q(times_per_day__isnull=False) | Q(every_hours__isnull=False),
                name="sanitation_entry_has_frequency",
                violation_error_message=_("请填写每日次数或间隔小时。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Task(SiteModel):
    """One slot of one plan entry on one day."""

    class State(models.TextChoices):
        PENDING = "pending", _("待完成")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")  # the plan changed after it was generated

    class Source(models.TextChoices):
        CLEANER = "cleaner", _("保洁员")
        DEVICE = "device", _("设备")

    entry = models.ForeignKey(PlanEntry, on_delete=models.CASCADE, related_name="tasks")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="tasks")
    day = models.DateField(_("日期"))
    slot = models.PositiveSmallIntegerField(_("序号"))
    revision = models.PositiveIntegerField(default=1)  # of the entry it was made from
    due_at = models.DateTimeField(_("应完成时间"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, blank=True)
    device = models.ForeignKey(
        "access.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.CharField(_("消毒剂批号"), max_length=64, blank=True)
    photo = models.ImageField(_("照片"), upload_to="sanitation/%Y/%m/", blank=True)
    client_uuid = models.UUIDField(null=True, blank=True)  # the phone's offline queue

    class Meta:
        verbose_name = _("消杀任务")
        verbose_name_plural = _("消杀任务")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "day", "slot", "revision"], name="sanitation_task_slot_uniq"
            ),
            models.UniqueConstraint(
                fields=["company", "client_uuid"],
                condition=Q(client_uuid__isnull=False),
                name="sanitation_task_client_uuid_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "site", "day"], name="sanitation_task_day_idx"),
            models.Index(fields=["state", "due_at"], name="sanitation_task_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.day} #{self.slot}"


class DeviceRun(SiteModel):
    """A UV lamp cycle or a drone sortie reported by a device; idempotent on the
    device's client UUID. It completes the area's pending tasks that were due."""

    client_uuid = models.UUIDField()
    device = models.ForeignKey("access.Device", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("开始时间"))
    minutes = models.PositiveSmallIntegerField(_("时长（分钟）"))
    tasks_completed = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("设备消杀记录")
        verbose_name_plural = _("设备消杀记录")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "client_uuid"], name="sanitation_run_client_uuid_uniq"
            )
        ]


class OverdueAlert(AlertModel):
    """One per overdue task, for the site manager."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="alert")

    class Meta:
        verbose_name = _("消杀超时告警")
        verbose_name_plural = _("消杀超时告警")
        ordering = ["-created_at"]


class AuditAction(BaseAuditAction):
    """What the sanitation app's services record in the audit trail."""

    GUIDE_PUBLISH = "sanitation.guide_publish", _("发布指引")
    OVERRIDE_SET = "sanitation.override_set", _("企业调整")
    OVERRIDE_DELETE = "sanitation.override_delete", _("删除企业调整")
    AREA_CREATE = "sanitation.area_create", _("新建消杀区域")
    AREA_EDIT = "sanitation.area_edit", _("修改消杀区域")
    PLAN_APPLY = "sanitation.plan_apply", _("按指引生成计划")
    PLAN_ENTRY_EDIT = "sanitation.plan_entry_edit", _("修改计划")
    TASK_COMPLETE = "sanitation.task_complete", _("完成消杀")
    DEVICE_RUN = "sanitation.device_run", _("设备消杀")
    COMPLIANCE_EXPORT = "sanitation.compliance_export", _("导出消杀记录")
