"""Volunteers, their teams and deployments, shifts and hours, hospital and
isolation-point support tasks, and the safety of everyone on duty.

- A Volunteer belongs to the association that vets them, and to a member company
  when the company signed them up (or they named it). ID number, phone and the
  emergency contact's phone are sealed (core.personal) like residents'. The sign-up
  keeps the versioned consent text it agreed to (ConsentText), never a copy that could
  drift. The coordinator approves (a login is made or linked) or rejects.
- A Team groups volunteers under a leader (a volunteer of the team).
- A Deployment puts one person, a volunteer or a member of a company's staff, at one
  site (a hospital, an isolation point, a compound) for dates. Everything on duty
  hangs off the deployment: shifts, attendance, support tasks, daily checks, kit and
  exposure incidents, so "whose" is always one join away.
- Attendance is a check-in and a check-out by scanning the site's check-in QR code
  on the phone; each scan carries the phone's client UUID (stored once: a replay
  from the offline queue answers the original result) and the time the phone took it.
  Hours are the sum of the closed attendances' minutes.
- A Certificate of service is a frozen public record (masked name, hours, dates)
  with a verification code anyone can check; it holds no other personal data.
- A SupportTask is one run of a support service at a hospital or isolation point
  (medical waste with its weight, garbage, patients, specimens, medicines, terminal
  cleaning), assigned to a deployment and completed by a handover: the receiving
  party scans the task's handover QR code (or types its code) and signs by name.
- A HealthCheck is a person's daily check on duty; a red one takes the person off
  their next shifts and raises a SafetyAlert for the site. KitIssue draws protective
  kit from the site's stock through the supplies ledger (the entries it wrote are
  linked). ExposureIncident records an exposure and its follow-ups. InfectionReport is
  a site's reported count of staff infections for a day: zero is reported, not assumed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import (
    AlertModel,
    AssociationModel,
    BaseAuditAction,
    SiteModel,
)
from firstline.core.personal.fields import personal_columns
from firstline.core.personal.masking import mask_name
from firstline.core.scope import Through


class Skill(models.TextChoices):
    DRIVING = "driving", _("驾驶")
    CLEANING = "cleaning", _("保洁消杀")
    MEDICAL = "medical", _("医护")
    DIALECT = "dialect", _("湖北方言")
    LANGUAGES = "languages", _("外语")
    LOGISTICS = "logistics", _("搬运物资")
    COUNSELLING = "counselling", _("心理疏导")


class Availability(models.TextChoices):
    FULL_TIME = "full_time", _("全职（每天）")
    WEEKDAYS = "weekdays", _("工作日")
    WEEKENDS = "weekends", _("周末")
    EVENINGS = "evenings", _("晚间")
    ON_CALL = "on_call", _("随叫随到")


class ConsentText(models.Model):
    """One version of the association's volunteer consent text. Never edited: a new
    wording is a new version, and each sign-up names the version it agreed to."""

    association = models.ForeignKey(
        "orgs.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会")
    )
    version = models.PositiveIntegerField(_("版本"))
    body = models.TextField(_("内容"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("志愿者知情同意书")
        verbose_name_plural = _("志愿者知情同意书")
        ordering = ["association", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "version"], name="volunteers_consent_version_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Team(AssociationModel):
    """A team of volunteers with its leader (one of them)."""

    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属企业"),
    )
    name = models.CharField(_("队名"), max_length=64)
    leader = models.ForeignKey(
        "Volunteer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("队长"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_paths = {"association": "association_id", "company": "company_id"}

    class Meta:
        verbose_name = _("志愿者队伍")
        verbose_name_plural = _("志愿者队伍")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "name"],
                name="volunteers_team_name_uniq",
                violation_error_message=_("已有同名队伍。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("volunteers:team_detail", args=[self.pk])


class Volunteer(AssociationModel):
    """A volunteer: signed up on the public page or by a member company, vetted by the
    association. Sensitive values are sealed; `name` shows masked outside the record."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")
        SUSPENDED = "suspended", _("暂停")

    class Source(models.TextChoices):
        PUBLIC = "public", _("公开报名")
        COMPANY = "company", _("企业报送")

    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属企业"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登录账号"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("队伍"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    locals().update(personal_columns("phone", _("手机号")))
    locals().update(personal_columns("id_number", _("身份证号")))
    skills = models.JSONField(_("技能"), default=list, blank=True)
    languages = models.CharField(_("语言"), max_length=100, blank=True)
    availability = models.CharField(
        _("可服务时间"), max_length=16, choices=Availability.choices, default=Availability.FULL_TIME
    )
    availability_note = models.CharField(_("时间说明"), max_length=200, blank=True)
    emergency_name = models.CharField(_("紧急联系人"), max_length=64)
    locals().update(personal_columns("emergency_phone", _("紧急联系人电话")))
    # Health declaration at sign-up (the daily checks on duty are HealthCheck rows).
    healthy = models.BooleanField(_("近14天无发热、咳嗽等症状"), default=False)
    no_contact = models.BooleanField(_("近14天未接触确诊或疑似病例"), default=False)
    health_note = models.CharField(_("健康说明"), max_length=200, blank=True)
    consent = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="+", verbose_name=_("知情同意书版本")
    )
    consented_at = models.DateTimeField(_("同意时间"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    vetted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )
    vetted_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    vet_note = models.CharField(_("审核意见"), max_length=200, blank=True)
    # Insurance, one policy per person.
    insurer = models.CharField(_("保险公司"), max_length=100, blank=True)
    policy_no = models.CharField(_("保单号"), max_length=64, blank=True)
    insured_from = models.DateField(_("保险起始"), null=True, blank=True)
    insured_to = models.DateField(_("保险截止"), null=True, blank=True)
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths = {"association": "association_id", "company": "company_id"}

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["association", "id_number_hmac"], name="volunteers_vol_idhmac_idx"
            ),
            models.Index(fields=["association", "state"], name="volunteers_vol_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False),
                name="volunteers_volunteer_one_user",
            ),
            models.CheckConstraint(
                condition=Q(insured_to__isnull=True)
                | Q(insured_from__isnull=True)
                | Q(insured_to__gte=F("insured_from")),
                name="volunteers_insurance_dates",
                violation_error_message=_("保险截止日期不能早于起始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("volunteers:volunteer_detail", args=[self.pk])

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @property
    def skill_labels(self) -> list[str]:
        labels = dict(Skill.choices)
        return [str(labels.get(s, s)) for s in self.skills or []]


class Deployment(SiteModel):
    """One person (a volunteer or a member of the staff) on duty at one site for dates."""

    class State(models.TextChoices):
        ACTIVE = "active", _("在岗")
        ENDED = "ended", _("已结束")

    association = models.ForeignKey(
        "orgs.Association",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("协会"),
    )
    volunteer = models.ForeignKey(
        Volunteer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deployments",
        verbose_name=_("志愿者"),
    )
    staff = models.ForeignKey(
        "estates.Staff",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("员工"),
    )
    person_name = models.CharField(_("姓名"), max_length=64)  # copied: lists need no join
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    duty = models.CharField(_("岗位"), max_length=64, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.ACTIVE)

    # The site's company and its site; the volunteer's own company sees its people's
    # deployments elsewhere; the association its volunteers'.
    scope_paths = {
        "company": ("company_id", "volunteer__company_id"),
        "site": "site_id",
        "association": "association_id",
    }

    class Meta:
        verbose_name = _("派驻")
        verbose_name_plural = _("派驻")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(volunteer__isnull=False, staff__isnull=True)
                | Q(volunteer__isnull=True, staff__isnull=False),
                name="volunteers_deployment_one_person",
                violation_error_message=_("请选择一名志愿者或一名员工。"),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="volunteers_deployment_dates",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} @ {self.site_id}"

    def get_absolute_url(self) -> str:
        return reverse("volunteers:deployment_detail", args=[self.pk])

    @property
    def person_masked(self) -> str:
        return mask_name(self.person_name)

    @property
    def kind_label(self) -> str:
        return str(_("志愿者") if self.volunteer_id else _("员工"))


DUTY_PATHS = {
    "company": ("company_id", "deployment__volunteer__company_id"),
    "site": "site_id",
    "association": "deployment__association_id",
}


class Shift(SiteModel):
    """A planned shift of a deployment. A red daily check takes the person off it."""

    class State(models.TextChoices):
        PLANNED = "planned", _("已排班")
        REMOVED = "removed", _("已撤下")
        CANCELLED = "cancelled", _("已取消")

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("派驻")
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PLANNED)
    removed_reason = models.CharField(_("撤下原因"), max_length=200, blank=True)

    scope_paths = DUTY_PATHS

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["site", "starts_at"], name="volunteers_shift_site_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="volunteers_shift_times",
                violation_error_message=_("结束时间必须晚于开始时间。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Attendance(SiteModel):
    """One stretch on duty: checked in, and (later) out, by scanning the site's QR code."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("派驻")
    )
    shift = models.ForeignKey(
        Shift,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("班次"),
    )
    check_in_at = models.DateTimeField(_("签到时间"))
    check_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("时长（分钟）"), default=0)

    scope_paths = DUTY_PATHS

    class Meta:
        verbose_name = _("签到记录")
        verbose_name_plural = _("签到记录")
        ordering = ["-check_in_at", "-id"]
        constraints = [
            # One open stretch per deployment: a second check-in closes nothing silently.
            models.UniqueConstraint(
                fields=["deployment"],
                condition=Q(check_out_at__isnull=True),
                name="volunteers_attendance_one_open",
            ),
        ]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


class Scan(models.Model):
    """One scan from a phone, stored once by its client UUID: a replay gets the
    original answer (the attendance it opened or closed, or its refusal)."""

    class Kind(models.TextChoices):
        IN = "in", _("签到")
        OUT = "out", _("签退")

    client_uuid = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    at = models.DateTimeField(_("扫码时间"))  # the phone's clock when scanned
    received_at = models.DateTimeField(auto_now_add=True)
    attendance = models.ForeignKey(
        Attendance, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")

    def __str__(self) -> str:
        return f"{self.kind} {self.client_uuid}"


class Certificate(models.Model):
    """A certificate of service: frozen when issued, public by its code. It holds the
    masked name and the figures only, so the public page shows nothing else."""

    code = models.CharField(_("验证码"), max_length=16, unique=True)
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("志愿者")
    )
    association_name = models.CharField(_("颁发单位"), max_length=128)
    name_masked = models.CharField(_("姓名"), max_length=64)
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"))
    first_day = models.DateField(_("首次服务"))
    last_day = models.DateField(_("最近服务"))
    sites = models.PositiveIntegerField(_("服务点数"), default=0)
    issued_at = models.DateTimeField(_("颁发时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务证明")
        verbose_name_plural = _("服务证明")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.code

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


class TaskType(models.Model):
    """A support service of hospitals and isolation points, with its safety rules
    (reference data the association keeps; see services/library.py)."""

    class Kind(models.TextChoices):
        MEDICAL_WASTE = "medical_waste", _("医疗废物收运")
        GARBAGE = "garbage", _("生活垃圾转运")
        PATIENT = "patient", _("患者转运")
        SPECIMEN = "specimen", _("标本运送")
        MEDICINE = "medicine", _("药品配送")
        TERMINAL_CLEAN = "terminal_clean", _("终末消毒保洁")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    safety_rules = models.TextField(_("安全规范"))
    guide_url = models.CharField(_("操作指引链接"), max_length=200, blank=True)
    needs_weight = models.BooleanField(_("需称重"), default=False)
    minutes_allowed = models.PositiveIntegerField(_("完成时限（分钟）"), default=60)

    class Meta:
        verbose_name = _("保障任务类型")
        verbose_name_plural = _("保障任务类型")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SupportTask(SiteModel):
    """One run of a support service at a hospital or isolation point."""

    class State(models.TextChoices):
        OPEN = "open", _("待完成")
        HANDOVER = "handover", _("待交接")
        DONE = "done", _("已交接")
        CANCELLED = "cancelled", _("已取消")

    task_type = models.ForeignKey(
        TaskType, on_delete=models.PROTECT, related_name="+", verbose_name=_("类型")
    )
    assignee = models.ForeignKey(
        Deployment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("执行人"),
    )
    title = models.CharField(_("内容"), max_length=200)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    due_at = models.DateTimeField(_("截止时间"))
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    weight_kg = models.DecimalField(
        _("重量（公斤）"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    handover_token = models.CharField(max_length=32, unique=True, editable=False)
    handover_code = models.CharField(_("交接码"), max_length=8, editable=False)
    # Wrong codes typed for this task's number; past the limit the typed route is
    # closed for it (the QR code still works): a six-digit code is not a password.
    handover_code_misses = models.PositiveSmallIntegerField(default=0, editable=False)
    receiver_name = models.CharField(_("接收人签名"), max_length=64, blank=True)
    receiver_unit = models.CharField(_("接收单位"), max_length=100, blank=True)
    ready_at = models.DateTimeField(_("提交交接时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("交接时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {
        "company": ("company_id", "assignee__volunteer__company_id"),
        "site": "site_id",
        "association": "assignee__association_id",
    }

    class Meta:
        verbose_name = _("保障任务")
        verbose_name_plural = _("保障任务")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["site", "due_at"], name="volunteers_task_site_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "handover_code"],
                condition=Q(state__in=["open", "handover"]),
                name="volunteers_task_open_code_uniq",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("volunteers:task_detail", args=[self.pk])


class Symptom(models.TextChoices):
    FEVER = "fever", _("发热")
    COUGH = "cough", _("咳嗽")
    FATIGUE = "fatigue", _("乏力")
    BREATH = "breath", _("呼吸困难")
    TASTE = "taste", _("嗅觉味觉减退")
    DIARRHOEA = "diarrhoea", _("腹泻")
    SORE_THROAT = "sore_throat", _("咽痛")


class HealthCheck(SiteModel):
    """One person's daily health check on duty: temperature and symptoms. Red when the
    temperature is 37.3 °C or more, or with any symptom or an exposure."""

    class Result(models.TextChoices):
        GREEN = "green", _("正常")
        RED = "red", _("异常")

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="checks", verbose_name=_("派驻")
    )
    day = models.DateField(_("日期"))
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("症状"), default=list, blank=True)
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shifts_removed = models.PositiveIntegerField(_("撤下班次"), default=0)

    scope_paths = DUTY_PATHS

    class Meta:
        verbose_name = _("每日健康检查")
        verbose_name_plural = _("每日健康检查")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "day"], name="volunteers_check_one_a_day")
        ]


class KitIssue(SiteModel):
    """Protective kit handed to one person for a shift, drawn from the site's stock
    through the supplies ledger; `entries` are the ledger entries it wrote."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="kit", verbose_name=_("派驻")
    )
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField(_("日期"))
    item = models.ForeignKey(
        "supplies.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("物资")
    )
    quantity = models.PositiveIntegerField(_("数量"))
    entries = models.ManyToManyField("supplies.LedgerEntry", related_name="+", blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = DUTY_PATHS

    class Meta:
        verbose_name = _("防护用品发放")
        verbose_name_plural = _("防护用品发放")
        ordering = ["-day", "-id"]


class ExposureIncident(SiteModel):
    """An exposure on duty (a needle, a splash, a torn gown, a close contact) and what
    followed it."""

    class Kind(models.TextChoices):
        SHARPS = "sharps", _("锐器伤")
        SPLASH = "splash", _("体液喷溅")
        PPE_BREACH = "ppe_breach", _("防护用品破损")
        CLOSE_CONTACT = "close_contact", _("密切接触")
        OTHER = "other", _("其他")

    class State(models.TextChoices):
        OPEN = "open", _("跟进中")
        CLOSED = "closed", _("已结案")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待定")
        NOT_INFECTED = "not_infected", _("未感染")
        INFECTED = "infected", _("感染")

    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("派驻")
    )
    occurred_at = models.DateTimeField(_("发生时间"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("经过"))
    action_taken = models.CharField(_("处置"), max_length=200, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(
        _("结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    follow_ups = models.JSONField(_("跟进记录"), default=list, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = DUTY_PATHS

    class Meta:
        verbose_name = _("暴露事件")
        verbose_name_plural = _("暴露事件")
        ordering = ["-occurred_at", "-id"]

    def get_absolute_url(self) -> str:
        return reverse("volunteers:incident_detail", args=[self.pk])


class InfectionReport(SiteModel):
    """A site's reported count of staff and volunteers infected on a day. A day
    without a row is "not reported", never zero."""

    day = models.DateField(_("日期"))
    infections = models.PositiveIntegerField(_("感染人数"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # A count, no person: the association reads its member companies' reports.
    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "association": Through(
            "company_id", "orgs.Membership", key="association_id", value="company_id"
        ),
    }

    class Meta:
        verbose_name = _("感染人数上报")
        verbose_name_plural = _("感染人数上报")
        ordering = ["-day", "site_id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="volunteers_infection_day_uniq")
        ]


class SafetyAlert(AlertModel):
    """A staff red (a red daily check) or a support task overdue, for the site manager
    and the command centre."""

    class Kind(models.TextChoices):
        RED_CHECK = "red_check", _("在岗人员健康异常")
        TASK_OVERDUE = "task_overdue", _("保障任务超时")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    health_check = models.ForeignKey(
        HealthCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        SupportTask, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("一线安全告警")
        verbose_name_plural = _("一线安全告警")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["health_check"],
                condition=Q(health_check__isnull=False),
                name="volunteers_alert_check",
            ),
            models.UniqueConstraint(
                fields=["task"], condition=Q(task__isnull=False), name="volunteers_alert_task"
            ),
        ]


class AuditAction(BaseAuditAction):
    VOLUNTEER_SIGN_UP = "volunteers.volunteer_sign_up", _("志愿者报名")
    VOLUNTEER_UPDATE = "volunteers.volunteer_update", _("修改志愿者")
    VOLUNTEER_APPROVE = "volunteers.volunteer_approve", _("审核通过志愿者")
    VOLUNTEER_REJECT = "volunteers.volunteer_reject", _("审核不通过志愿者")
    INSURANCE_SET = "volunteers.insurance_set", _("登记保险")
    TEAM_CREATE = "volunteers.team_create", _("新建队伍")
    TEAM_MEMBER_SET = "volunteers.team_member_set", _("调整队员")
    DEPLOYMENT_CREATE = "volunteers.deployment_create", _("派驻")
    SHIFT_CREATE = "volunteers.shift_create", _("排班")
    ATTENDANCE_SCAN = "volunteers.attendance_scan", _("扫码签到签退")
    CERTIFICATE_ISSUE = "volunteers.certificate_issue", _("开具服务证明")
    TASK_CREATE = "volunteers.task_create", _("新建保障任务")
    TASK_READY = "volunteers.task_ready", _("提交交接")
    TASK_HANDOVER = "volunteers.task_handover", _("完成交接")
    CHECK_RECORD = "volunteers.check_record", _("记录每日健康检查")
    KIT_ISSUE = "volunteers.kit_issue", _("发放防护用品")
    INCIDENT_RECORD = "volunteers.incident_record", _("记录暴露事件")
    INCIDENT_FOLLOW_UP = "volunteers.incident_follow_up", _("暴露事件跟进")
    INFECTION_REPORT = "volunteers.infection_report", _("上报感染人数")
