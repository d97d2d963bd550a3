"""Industry surveys (issue #19): the association asks its member companies, or the
owners of their sites, and reads the answers as figures.

- A `Survey` is the association's, written as an XLSForm workbook (read by pyxform)
  and kept as `Question` rows in order, sections from the form's groups. Its
  audience is the member companies (one response per company, the company admin
  answers) or owners (a public link; one response per phone, the phone kept only as
  its keyed HMAC). A survey is a draft, open (between its open and close times) or
  closed; its questions cannot change once it has answers: a new version is a new
  survey (`version` + 1, `previous`).
- A `Response` keeps its answers in one JSON column keyed by question name: one row
  per response is the export's shape, and a crosstab of two questions is one scan
  grouping by two JSON keys (no self-join of a 25-rows-per-response answers table).
  What the filters of the results need is copied onto the row when it is submitted
  (district, site type, company size band), so they filter on plain columns.
- Responses are the association's rows (it asked); a company's own response is also
  reached by the company's grants, never another company's.
- Distribution: an owners' survey is answered through each site's own link (its QR
  code), may check the phone by a one-time code and cap the responses per site or
  district (`QuotaCounter`, taken in the response's transaction); a company survey
  is each member company's task (`Assignment`: delegated, started, reminded).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AssociationModel, BaseAuditAction
from firstline.core.scope import Through

# A company reaches the surveys of the associations it is a member of.
MEMBER_SURVEYS = Through(
    "association_id", "orgs.Membership", key="company_id", value="association_id"
)


def new_token() -> str:
    return secrets.token_urlsafe(12)


class AuditAction(BaseAuditAction):
    SURVEY_CREATE = "surveys.survey_create", _("上传问卷")
    SURVEY_OPEN = "surveys.survey_open", _("开放问卷")
    SURVEY_CLOSE = "surveys.survey_close", _("关闭问卷")
    SURVEY_VERSION = "surveys.survey_version", _("问卷新版本")
    RESPONSE_SUBMIT = "surveys.response_submit", _("提交问卷")
    RESPONSE_EXPORT = "surveys.response_export", _("导出答卷")
    SURVEY_DISTRIBUTION = "surveys.survey_distribution", _("设置问卷发放")
    COMPANY_DELEGATE = "surveys.company_delegate", _("委托填写问卷")
    COMPANY_REMIND = "surveys.company_remind", _("提醒企业填写问卷")
    QUESTION_ADD = "surveys.question_add", _("添加题目")
    QUESTION_CHANGE = "surveys.question_change", _("修改题目")
    QUESTION_MOVE = "surveys.question_move", _("调整题目顺序")
    QUESTION_DELETE = "surveys.question_delete", _("删除题目")


class Survey(AssociationModel):
    """One questionnaire of the association, one version of it."""

    class Audience(models.TextChoices):
        COMPANIES = "companies", _("会员企业")
        OWNERS = "owners", _("业主")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    title = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    form_id = models.CharField(_("表单编号"), max_length=64, blank=True)
    audience = models.CharField(_("对象"), max_length=12, choices=Audience.choices)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(_("版本"), default=1)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class PhoneCheck(models.TextChoices):
        DEVICE = "device", _("每个手机号一次（不验证，本设备记住已填写）")
        CODE = "code", _("每个手机号一次（短信验证码验证）")

    opens_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    # Distribution (owners' surveys): how a phone proves itself, and the quotas; a
    # survey with either quota or with codes is answered through a site's own link.
    phone_check = models.CharField(
        _("手机号验证"), max_length=8, choices=PhoneCheck.choices, default=PhoneCheck.DEVICE
    )
    quota_per_site = models.PositiveIntegerField(
        _("每个项目限额"), null=True, blank=True, help_text=_("每个项目最多收多少份；留空不限。")
    )
    quota_per_district = models.PositiveIntegerField(
        _("每个区县限额"), null=True, blank=True, help_text=_("每个区县最多收多少份；留空不限。")
    )
    # Company surveys: remind the companies that have not submitted every so many days.
    remind_every_days = models.PositiveSmallIntegerField(
        _("自动提醒间隔（天）"),
        null=True,
        blank=True,
        help_text=_("每隔几天自动提醒未提交的企业；留空不自动提醒。"),
    )
    # The public link's secret (owners' surveys): /surveys/s/<token>/.
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths = {"association": "association_id", "company": MEMBER_SURVEYS}

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("surveys:survey_detail", args=[self.pk])

    def accepting(self, now=None) -> bool:
        """Open, and inside its open and close times."""
        now = now or timezone.now()
        if self.state != self.State.OPEN:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)

    @property
    def needs_site(self) -> bool:
        """Answered only through a site's own link: a quota counts per site or
        district, and a one-time code is sent for a site."""
        return bool(self.quota_per_site or self.quota_per_district or self.phone_check == "code")


class Question(AssociationModel):
    """One row of the form: a question, or a computed value (`calculate`)."""

    class Type(models.TextChoices):
        SELECT_ONE = "select_one", _("单选")
        SELECT_MULTIPLE = "select_multiple", _("多选")
        RATING = "rating", _("评分")
        REGION = "region", _("区划选择")
        FILE = "file", _("文件")
        IMAGE = "image", _("图片")
        INTEGER = "integer", _("整数")
        DECIMAL = "decimal", _("小数")
        TEXT = "text", _("文本")
        DATE = "date", _("日期")
        NOTE = "note", _("说明")
        CALCULATE = "calculate", _("计算")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("序号"))
    name = models.CharField(_("变量名"), max_length=64)
    type = models.CharField(_("题型"), max_length=16, choices=Type.choices)
    label = models.CharField(_("题目"), max_length=500, blank=True)
    label_en = models.CharField(_("英文题目"), max_length=500, blank=True)
    hint = models.CharField(_("提示"), max_length=500, blank=True)
    required = models.BooleanField(_("必答"), default=False)
    # [{"name": "yes", "label": "是", "label_en": "Yes"}, …] for choice questions.
    choices = models.JSONField(_("选项"), default=list, blank=True)
    list_name = models.CharField(max_length=64, blank=True)
    relevant = models.CharField(_("显示条件"), max_length=500, blank=True)
    constraint = models.CharField(_("校验规则"), max_length=500, blank=True)
    constraint_message = models.CharField(_("校验提示"), max_length=200, blank=True)
    calculation = models.CharField(_("计算式"), max_length=500, blank=True)
    # The section (the form's top-level group): its name and labels; '' outside any group.
    section = models.CharField(_("分节"), max_length=64, blank=True)
    section_label = models.CharField(_("分节标题"), max_length=200, blank=True)
    section_label_en = models.CharField(max_length=200, blank=True)
    section_relevant = models.CharField(max_length=500, blank=True)
    # A matrix (a group with the `table-list` appearance): single choices of one list
    # shown as one table, a row each; its name and labels ('' outside any matrix).
    matrix = models.CharField(_("矩阵"), max_length=64, blank=True)
    matrix_label = models.CharField(_("矩阵标题"), max_length=200, blank=True)
    matrix_label_en = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["survey_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="surveys_question_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_choice(self) -> bool:
        return self.type in (
            self.Type.SELECT_ONE,
            self.Type.SELECT_MULTIPLE,
            self.Type.RATING,
            self.Type.REGION,
        )

    @property
    def is_single_choice(self) -> bool:
        """One choice of a list: a single choice, or a rating (its points the list)."""
        return self.type in (self.Type.SELECT_ONE, self.Type.RATING, self.Type.REGION)

    @property
    def asks(self) -> bool:
        """Shown to the respondent with an input (not a note, not a computed value)."""
        return self.type not in (self.Type.NOTE, self.Type.CALCULATE)

    @property
    def is_upload(self) -> bool:
        return self.type in (self.Type.FILE, self.Type.IMAGE)

    def choice_label(self, code: str) -> str:
        for choice in self.choices:
            if choice["name"] == code:
                return choice.get("label") or code
        return code


class Response(AssociationModel):
    """One response: a company's (company surveys) or one phone's (owners)."""

    class SizeBand(models.TextChoices):
        SMALL = "small", _("1–4 个项目")
        MEDIUM = "medium", _("5–19 个项目")
        LARGE = "large", _("20 个项目以上")

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("企业"),
    )
    site = models.ForeignKey(
        "estates.Site",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("项目"),
    )
    # An owner's phone as its keyed HMAC only (core.personal.crypto.lookup_digest).
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    answers = models.JSONField(_("答案"), default=dict)
    # Copied when submitted, for the results' filters.
    district_code = models.CharField(_("区县"), max_length=6, blank=True, db_index=True)
    site_type = models.CharField(_("项目类型"), max_length=16, blank=True)
    size_band = models.CharField(_("企业规模"), max_length=8, blank=True, choices=SizeBand.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    scope_paths = {"association": "association_id", "company": "company_id"}

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        ordering = ["survey_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "company"],
                condition=Q(company__isnull=False, phone_digest=""),
                name="surveys_response_one_per_company",
            ),
            models.UniqueConstraint(
                fields=["survey", "phone_digest"],
                condition=~Q(phone_digest=""),
                name="surveys_response_one_per_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"


class QuotaCounter(AssociationModel):
    """How many responses an owners' survey has from one site or one district, kept
    while the survey has a quota of that kind: a submission takes a place with one
    conditional UPDATE (count < quota) in the response's transaction, so concurrent
    submissions never pass the quota, and a refused insert gives its place back."""

    class Kind(models.TextChoices):
        SITE = "site", _("项目")
        DISTRICT = "district", _("区县")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=16)  # the site's id, or the district's code
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("限额计数")
        verbose_name_plural = _("限额计数")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "kind", "key"], name="surveys_quotacounter_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.kind}:{self.key} {self.count}"


class Assignment(AssociationModel):
    """A company survey as one member company's task: who answers it (the company
    admin, or the staff user it delegated to), when it was started, and the
    association's reminders. Made when first needed (opened, delegated, reminded);
    a member company without one has not started."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("填写中")
        SUBMITTED = "submitted", _("已提交")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="assignments")
    company = models.ForeignKey(
        "orgs.Company", on_delete=models.CASCADE, related_name="+", verbose_name=_("企业")
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("委托填写人"),
    )
    delegated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delegated_at = models.DateTimeField(_("委托时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始填写"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("最近提醒"), null=True, blank=True)
    reminders = models.PositiveIntegerField(_("提醒次数"), default=0)

    scope_paths = {"association": "association_id", "company": "company_id"}

    class Meta:
        verbose_name = _("企业填报")
        verbose_name_plural = _("企业填报")
        ordering = ["survey_id", "company_id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "company"], name="surveys_assignment_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}@{self.company_id}"
