"""Legal and policy consultations for member companies (issue #21).

- A Category is one kind of question an association answers (rent and service-fee
  disputes, labour, tax relief and subsidies, infection liability, other) with its
  service levels: the first reply due within N hours of asking, the resolution within
  M hours. An urgent question gets half of each.
- An Expert is one person of the association's pool (a lawyer, a tax adviser, the
  association's own staff) with the categories they answer, the open consultations
  they may carry at once, and whether they take new ones. A Conflict of interest
  (expert × company, with the reason, recorded by the desk) keeps the expert off that
  company's questions.
- A Consultation is a member company's question: category, region, urgency, status
  (new → assigned → answered ↔ awaiting reply → resolved → closed with a rating),
  the due times copied from its category when asked, and the overdue flags the SLA
  tick raises. Assignments name its experts (several may answer one question);
  Messages are its thread; Attachments its files (PDF, Word, images), served only to
  those who may see the consultation.
- Confidential: the asking company, the assigned experts and the association's desk
  see a consultation, nobody else. An expert's grant is over the association, so
  consultations/selectors narrows an expert's reads to their own assignments.
- A FaqDraft turns a resolved consultation into an anonymised question and answer
  that the desk edits and approves; approving publishes it as a `publishing.FaqItem`
  on the public site's FAQ page (a new Wagtail revision).
- A Session is an online group consultation (an expert, a topic, a time, a meeting
  link, a capacity); member companies' users register with a question in advance
  (Registration) and the desk records attendance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AssociationModel, BaseAuditAction, TenantModel
from firstline.core.scope import Through

# Member companies reach their association's rows (categories, sessions) through
# their membership.
MEMBER_COMPANIES = Through(
    "association_id", "orgs.Membership", key="company_id", value="association_id"
)


class Area(models.TextChoices):
    RENT = "rent", _("租金与物业费纠纷")
    LABOUR = "labour", _("劳动用工")
    TAX = "tax", _("税费减免与补贴")
    LIABILITY = "liability", _("感染责任")
    OTHER = "other", _("其他")


class Category(AssociationModel):
    """A kind of question with its service levels (hours from asking)."""

    kind = models.CharField(_("类别"), max_length=16, choices=Area.choices)
    name = models.CharField(_("名称"), max_length=64)
    first_reply_hours = models.PositiveSmallIntegerField(_("首次答复时限（小时）"), default=24)
    resolution_hours = models.PositiveSmallIntegerField(_("办结时限（小时）"), default=120)
    active = models.BooleanField(_("启用"), default=True)

    scope_paths = {"association": "association_id", "company": MEMBER_COMPANIES}

    class Meta:
        verbose_name = _("咨询类别")
        verbose_name_plural = _("咨询类别")
        ordering = ["association", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "kind"], name="consultations_category_kind_uniq"
            ),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=models.F("first_reply_hours")),
                name="consultations_category_hours",
                violation_error_message=_("办结时限不能短于首次答复时限。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Expert(AssociationModel):
    """One person of the association's consultation pool."""

    class Kind(models.TextChoices):
        LAWYER = "lawyer", _("律师")
        TAX_ADVISER = "tax_adviser", _("税务师")
        STAFF = "staff", _("协会工作人员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登录账号"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    organisation = models.CharField(_("所在机构"), max_length=100, blank=True)
    areas = models.JSONField(_("擅长领域"), default=list, blank=True)
    max_open = models.PositiveSmallIntegerField(_("同时办理上限"), default=5)
    active = models.BooleanField(_("接受分派"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_paths = {"association": "association_id"}

    class Meta:
        verbose_name = _("咨询专家")
        verbose_name_plural = _("咨询专家")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "user"],
                name="consultations_expert_user_uniq",
                violation_error_message=_("该账号已在专家库中。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("consultations:expert_detail", args=[self.pk])

    @property
    def area_labels(self) -> list[str]:
        labels = dict(Area.choices)
        return [str(labels.get(a, a)) for a in self.areas or []]


class Conflict(AssociationModel):
    """An expert may not answer this company's questions (the reason recorded)."""

    expert = models.ForeignKey(
        Expert, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("专家")
    )
    company = models.ForeignKey(
        "orgs.Company", on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    reason = models.CharField(_("原因"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_paths = {"association": "association_id"}

    class Meta:
        verbose_name = _("利益冲突")
        verbose_name_plural = _("利益冲突")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "company"],
                name="consultations_conflict_uniq",
                violation_error_message=_("已登记过该专家与该企业的利益冲突。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} × {self.company_id}"


class Consultation(TenantModel):
    """A member company's question to its association."""

    class Status(models.TextChoices):
        NEW = "new", _("待分派")
        ASSIGNED = "assigned", _("已分派")
        ANSWERED = "answered", _("已答复")
        AWAITING = "awaiting", _("追问待答复")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已关闭")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")

    OPEN = (Status.NEW, Status.ASSIGNED, Status.ANSWERED, Status.AWAITING)

    association = models.ForeignKey(
        "orgs.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别")
    )
    region = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在地区")
    )
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("问题描述"), max_length=5000)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提问人"),
    )
    first_reply_due = models.DateTimeField(_("首次答复期限"))
    resolution_due = models.DateTimeField(_("办结期限"))
    first_replied_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    first_reply_overdue = models.BooleanField(_("首次答复超时"), default=False)
    resolution_overdue = models.BooleanField(_("办结超时"), default=False)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=200, blank=True)

    scope_paths = {"company": "company_id", "association": "association_id"}

    class Meta:
        verbose_name = _("咨询")
        verbose_name_plural = _("咨询")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("ask", "Can ask the association a question"),
            ("run_desk", "Can run the association's consultation desk"),
            ("answer", "Can answer the consultations assigned to oneself"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "id"], name="consultations_company_id_uniq"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="consultations_rating_range",
                violation_error_message=_("满意度为 1 至 5 分。"),
            ),
        ]
        indexes = [
            models.Index(fields=["association", "status"], name="consult_assoc_status_idx"),
            models.Index(fields=["company", "created_at"], name="consult_company_at_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("consultations:detail", args=[self.pk])

    @property
    def number(self) -> str:
        return f"ZX{self.pk:06d}"

    @property
    def overdue(self) -> bool:
        return self.first_reply_overdue or self.resolution_overdue

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Assignment(TenantModel):
    """One expert assigned to a consultation by the desk."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="assignments"
    )
    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("专家")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {"company": "company_id", "association": "consultation__association_id"}

    class Meta:
        verbose_name = _("分派")
        verbose_name_plural = _("分派")
        ordering = ["consultation_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "consultation", "expert"],
                name="consultations_assignment_uniq",
                violation_error_message=_("该专家已分派到这条咨询。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id} → {self.expert_id}"


class Message(TenantModel):
    """One message of a consultation's thread."""

    class Side(models.TextChoices):
        COMPANY = "company", _("企业")
        EXPERT = "expert", _("专家")
        DESK = "desk", _("协会咨询台")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("署名"), max_length=64)
    side = models.CharField(_("身份"), max_length=8, choices=Side.choices)
    body = models.TextField(_("内容"), max_length=5000)

    scope_paths = {"company": "company_id", "association": "consultation__association_id"}

    class Meta:
        verbose_name = _("咨询留言")
        verbose_name_plural = _("咨询留言")
        ordering = ["consultation_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.consultation_id}#{self.pk}"


class Attachment(TenantModel):
    """A file of a consultation (PDF, Word or an image; its type read from its bytes).
    Served only through the scoped download page, never from a public URL."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to="consultations/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = {"company": "company_id", "association": "consultation__association_id"}

    class Meta:
        verbose_name = _("咨询附件")
        verbose_name_plural = _("咨询附件")
        ordering = ["consultation_id", "id"]

    def __str__(self) -> str:
        return self.name


class FaqDraft(AssociationModel):
    """An anonymised question and answer drawn from a resolved consultation; published
    on the public FAQ page once the desk approves it."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="+", verbose_name=_("来源咨询")
    )
    question = models.CharField(_("问题"), max_length=200)
    answer = models.TextField(_("回答"), max_length=5000)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    faq_item_id = models.PositiveIntegerField(_("知识库问答"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths = {"association": "association_id"}

    class Meta:
        verbose_name = _("问答草稿")
        verbose_name_plural = _("问答草稿")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "consultation"],
                name="consultations_faq_one_per_consultation",
                violation_error_message=_("这条咨询已整理过问答。"),
            )
        ]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        return reverse("consultations:faq_edit", args=[self.pk])


class Session(AssociationModel):
    """An online group consultation: an expert, a topic, a time, a meeting link."""

    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("主讲专家")
    )
    topic = models.CharField(_("主题"), max_length=120)
    description = models.TextField(_("简介"), max_length=2000, blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    duration_minutes = models.PositiveSmallIntegerField(_("时长（分钟）"), default=60)
    meeting_link = models.URLField(_("会议链接"), max_length=300)
    capacity = models.PositiveSmallIntegerField(_("名额"), default=100)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_paths = {"association": "association_id", "company": MEMBER_COMPANIES}

    class Meta:
        verbose_name = _("线上咨询会")
        verbose_name_plural = _("线上咨询会")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.topic

    def get_absolute_url(self) -> str:
        return reverse("consultations:session_detail", args=[self.pk])


class Registration(TenantModel):
    """A member company's user registered for a session, with a question in advance;
    the desk records whether they attended."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("报名人"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    question = models.TextField(_("会前问题"), max_length=1000, blank=True)
    attended = models.BooleanField(_("已参加"), null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(_("签到登记时间"), null=True, blank=True)

    scope_paths = {"company": "company_id", "association": "session__association_id"}

    class Meta:
        verbose_name = _("咨询会报名")
        verbose_name_plural = _("咨询会报名")
        ordering = ["session_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "session", "user"],
                name="consultations_registration_uniq",
                violation_error_message=_("已经报名过这场咨询会。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.user_id}"


class AuditAction(BaseAuditAction):
    CONSULTATION_ASK = "consultations.consultation_ask", _("提交咨询")
    CONSULTATION_ASSIGN = "consultations.consultation_assign", _("分派咨询")
    MESSAGE_POST = "consultations.message_post", _("咨询留言")
    CONSULTATION_RESOLVE = "consultations.consultation_resolve", _("标记咨询已解决")
    CONSULTATION_CLOSE = "consultations.consultation_close", _("关闭咨询并评价")
    EXPERT_SAVE = "consultations.expert_save", _("保存咨询专家")
    CONFLICT_RECORD = "consultations.conflict_record", _("登记利益冲突")
    CATEGORY_UPDATE = "consultations.category_update", _("修改咨询类别时限")
    FAQ_DRAFT = "consultations.faq_draft", _("整理问答草稿")
    FAQ_PUBLISH = "consultations.faq_publish", _("发布问答")
    SESSION_CREATE = "consultations.session_create", _("新建线上咨询会")
    SESSION_REGISTER = "consultations.session_register", _("报名线上咨询会")
    ATTENDANCE_RECORD = "consultations.attendance_record", _("登记咨询会出席")
    FIGURES_EXPORT = "consultations.figures_export", _("导出咨询统计")
