"""The online job fair for graduates (issue #22): fairs, employers' booths, positions,
graduates, applications, interview slots and interviews, offers.

A fair is the association's. A verified member company registers as an employer of
the fair (its booth), posts positions and sees the applications to its own positions
only: positions, applications, slots and interviews are the employer's rows (its
company is the tenant). A graduate is an association row, one per login (the
GRADUATE role over the association); its reads are narrowed to its own user in
jobs/selectors, its phone and ID number sealed like residents'.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AssociationModel, BaseAuditAction, TenantModel
from firstline.core.personal.fields import personal_columns
from firstline.core.scope import Through


class Fair(AssociationModel):
    """A job fair of the association: its dates, what it is, and whether it is public."""

    title = models.CharField(_("名称"), max_length=128)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    description = models.TextField(_("简介"), blank=True)
    published = models.BooleanField(_("已公开"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # A member company sees its association's fairs (to register as an employer).
    scope_paths = {
        "association": "association_id",
        "company": Through(
            "association_id", "orgs.Membership", key="company_id", value="association_id"
        ),
    }

    class Meta:
        verbose_name = _("招聘会")
        verbose_name_plural = _("招聘会")
        ordering = ["-starts_on", "-id"]
        permissions = [
            ("manage_fair", _("举办招聘会、审核参会企业")),
            ("view_figures", _("查看招聘会数据")),
            ("employ", _("以会员企业身份参会招聘")),
            ("apply", _("以毕业生身份求职")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="jobs_fair_dates_ordered",
                violation_error_message=_("结束日期不能早于开始日期。"),
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("jobs:fair_public", args=[self.pk])

    def __str__(self) -> str:
        return self.title


class Employer(TenantModel):
    """A member company's registration for one fair, and its booth there."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        VERIFIED = "verified", _("已审核")
        REJECTED = "rejected", _("未通过")

    fair = models.ForeignKey(
        Fair, on_delete=models.CASCADE, related_name="+", verbose_name=_("招聘会")
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    booth_name = models.CharField(_("展位名称"), max_length=128)
    introduction = models.TextField(_("企业介绍"), blank=True)
    contact_name = models.CharField(_("展位联系人"), max_length=64)
    locals().update(personal_columns("phone", _("联系电话")))
    booth_staff = models.PositiveSmallIntegerField(_("展位工作人员数"), default=1)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("审核意见"), max_length=200, blank=True)

    scope_paths = {"company": "company_id", "association": "fair__association_id"}

    class Meta:
        verbose_name = _("参会企业")
        verbose_name_plural = _("参会企业")
        ordering = ["fair_id", "booth_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "fair"],
                name="jobs_employer_company_fair_uniq",
                violation_error_message=_("本企业已报名该招聘会。"),
            ),
            models.UniqueConstraint(fields=["company", "id"], name="jobs_employer_company_id_uniq"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("jobs:booth_edit", args=[self.pk])

    def __str__(self) -> str:
        return self.booth_name


class Position(TenantModel):
    """A position an employer posts at a fair."""

    class State(models.TextChoices):
        OPEN = "open", _("招聘中")
        CLOSED = "closed", _("已结束")

    fair = models.ForeignKey(
        Fair, on_delete=models.CASCADE, related_name="+", verbose_name=_("招聘会")
    )
    employer = models.ForeignKey(
        Employer, on_delete=models.CASCADE, related_name="positions", verbose_name=_("参会企业")
    )
    title = models.CharField(_("职位"), max_length=128)
    city = models.CharField(_("工作城市"), max_length=32)
    salary_min = models.PositiveIntegerField(_("月薪下限（元）"))
    salary_max = models.PositiveIntegerField(_("月薪上限（元）"))
    requirements = models.TextField(_("任职要求"), blank=True)
    headcount = models.PositiveSmallIntegerField(_("招聘人数"), default=1)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN)
    # jieba's words of the title, city, requirements and employer, space-separated and
    # space-bounded: a word matches as " word " on SQLite and PostgreSQL alike.
    search_words = models.TextField(_("检索词"), blank=True, editable=False)

    scope_paths = {"company": "company_id", "association": "fair__association_id"}

    class Meta:
        verbose_name = _("职位")
        verbose_name_plural = _("职位")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "id"], name="jobs_position_company_id_uniq"),
            models.CheckConstraint(
                condition=Q(salary_max__gte=F("salary_min")),
                name="jobs_position_salary_ordered",
                violation_error_message=_("月薪上限不能低于下限。"),
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("jobs:position_edit", args=[self.pk])

    def __str__(self) -> str:
        return self.title


class Graduate(AssociationModel):
    """A graduate's job-fair profile: one per login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("账号")
    )
    name = models.CharField(_("姓名"), max_length=64)
    school = models.CharField(_("学校"), max_length=128)
    major = models.CharField(_("专业"), max_length=128)
    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"))
    locals().update(personal_columns("phone", _("手机号")))
    locals().update(personal_columns("id_number", _("身份证号")))
    cv = models.FileField(_("简历"), upload_to="jobs/cv/%Y/%m/", blank=True)
    cv_name = models.CharField(_("简历文件名"), max_length=120, blank=True)
    cv_type = models.CharField(_("简历类型"), max_length=100, blank=True)
    consent = models.BooleanField(_("同意向所申请的企业提供简历和联系方式"), default=False)
    consent_at = models.DateTimeField(_("同意时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("毕业生")
        verbose_name_plural = _("毕业生")
        ordering = ["-created_at", "-id"]

    def get_absolute_url(self) -> str:
        return reverse("jobs:me")

    def __str__(self) -> str:
        return self.name


class Application(TenantModel):
    """A graduate's application to a position; its company is the position's."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("已投递")
        SHORTLISTED = "shortlisted", _("初筛通过")
        INVITED = "invited", _("已邀请面试")
        INTERVIEWED = "interviewed", _("已面试")
        OFFER = "offer", _("已发录用")
        REJECTED = "rejected", _("未录用")
        WITHDRAWN = "withdrawn", _("已撤回")

    fair = models.ForeignKey(
        Fair, on_delete=models.CASCADE, related_name="+", verbose_name=_("招聘会")
    )
    position = models.ForeignKey(
        Position, on_delete=models.CASCADE, related_name="applications", verbose_name=_("职位")
    )
    graduate = models.ForeignKey(
        Graduate, on_delete=models.CASCADE, related_name="applications", verbose_name=_("毕业生")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.SUBMITTED, db_index=True
    )
    cover_note = models.CharField(_("求职留言"), max_length=500, blank=True)
    outcome_note = models.CharField(_("结果说明"), max_length=500, blank=True)
    offer_salary = models.PositiveIntegerField(_("录用月薪（元）"), null=True, blank=True)
    offer_note = models.CharField(_("录用说明"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("结果时间"), null=True, blank=True)

    # The graduate's own rows are reached through its association grant and narrowed
    # to its user in jobs/selectors; the association reads counts.
    scope_paths = {"company": "company_id", "association": "fair__association_id"}

    class Meta:
        verbose_name = _("求职申请")
        verbose_name_plural = _("求职申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "position", "graduate"],
                name="jobs_application_company_position_graduate_uniq",
                violation_error_message=_("已申请过该职位。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="jobs_application_company_id_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["graduate", "created_at"], name="jobs_app_graduate_day_idx")
        ]

    def get_absolute_url(self) -> str:
        return reverse("jobs:application_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.graduate_id} · {self.position_id}"


class InterviewSlot(TenantModel):
    """A time an employer offers for an online interview for one position."""

    position = models.ForeignKey(
        Position, on_delete=models.CASCADE, related_name="slots", verbose_name=_("职位")
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    meeting_link = models.URLField(_("线上会议链接"), max_length=300)

    scope_paths = {"company": "company_id", "association": "position__fair__association_id"}

    class Meta:
        verbose_name = _("面试时段")
        verbose_name_plural = _("面试时段")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "id"], name="jobs_interviewslot_company_id_uniq"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="jobs_interviewslot_times_ordered",
                violation_error_message=_("结束时间应晚于开始时间。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"


class Interview(TenantModel):
    """An application's interview at one slot: a slot holds one interview."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="interviews", verbose_name=_("求职申请")
    )
    slot = models.ForeignKey(
        InterviewSlot, on_delete=models.CASCADE, related_name="+", verbose_name=_("面试时段")
    )

    scope_paths = {"company": "company_id", "association": "application__fair__association_id"}

    class Meta:
        verbose_name = _("面试")
        verbose_name_plural = _("面试")
        ordering = ["slot_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "slot"],
                name="jobs_interview_company_slot_uniq",
                violation_error_message=_("该面试时段已被预约，请选择其他时段。"),
            ),
            models.UniqueConstraint(
                fields=["company", "application"],
                name="jobs_interview_company_application_uniq",
                violation_error_message=_("该申请已安排面试。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="jobs_interview_company_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} @ {self.slot_id}"


class FairVisit(AssociationModel):
    """A visitor of a fair's public page, once a day: a daily key (an HMAC of the
    address and browser, as publishing's reading figures make it), never the address."""

    fair = models.ForeignKey(Fair, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    visitor_key = models.CharField(_("访客标识"), max_length=32)

    class Meta:
        verbose_name = _("招聘会访客")
        verbose_name_plural = _("招聘会访客")
        constraints = [
            models.UniqueConstraint(
                fields=["fair", "day", "visitor_key"], name="jobs_fairvisit_fair_day_key_uniq"
            )
        ]


class AuditAction(BaseAuditAction):
    """What the jobs app's services record in the audit trail."""

    FAIR_SAVE = "jobs.fair_save", _("保存招聘会")
    EMPLOYER_REGISTER = "jobs.employer_register", _("报名参会")
    EMPLOYER_UPDATE = "jobs.employer_update", _("修改展位")
    EMPLOYER_DECIDE = "jobs.employer_decide", _("审核参会企业")
    POSITION_SAVE = "jobs.position_save", _("保存职位")
    GRADUATE_SIGN_UP = "jobs.graduate_sign_up", _("毕业生注册")
    GRADUATE_UPDATE = "jobs.graduate_update", _("修改毕业生资料")
    APPLICATION_SUBMIT = "jobs.application_submit", _("投递简历")
    APPLICATION_MOVE = "jobs.application_move", _("处理求职申请")
    SLOT_CREATE = "jobs.slot_create", _("新增面试时段")
    INTERVIEW_BOOK = "jobs.interview_book", _("预约面试")
