"""Training (issue #22): the association's courses, their lessons and quiz question
banks, and its live sessions are the association's catalogue (no tenant data: every
member company's staff may take them). A company's rows are its staff's enrolments,
their lesson progress, quiz attempts, session registrations and certificates: each
carries company and site, as every tenant row does.

A learner is an estates Staff row with a login (Staff.user); the learner's pages
narrow the site's enrolments to its own (training/selectors)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstline.core.models import BaseAuditAction, SiteModel
from firstline.core.scope import Through

# The association reads its members' training as figures (counts only).
MEMBERS = Through("company_id", "orgs.Membership", key="association_id", value="company_id")
TENANT_PATHS = {"company": "company_id", "site": "site_id", "association": MEMBERS}


class Course(models.Model):
    """A course of the association's training programme (catalogue, public to members)."""

    class Kind(models.TextChoices):
        FRONTLINE = "frontline", _("一线防控")
        MANAGEMENT = "management", _("管理")

    association = models.ForeignKey(
        "orgs.Association", on_delete=models.PROTECT, related_name="+", verbose_name=_("协会")
    )
    title = models.CharField(_("课程名称"), max_length=120)
    summary = models.TextField(_("简介"), max_length=2000, blank=True)
    audience = models.CharField(_("适用对象"), max_length=120, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    guide_url = models.CharField(
        _("关联操作指引"), max_length=300, blank=True, help_text=_("公开站点上指引页面的地址")
    )
    pass_mark = models.PositiveSmallIntegerField(_("测验及格分（%）"), default=80)
    questions_drawn = models.PositiveSmallIntegerField(_("每次抽题数"), default=3)
    max_attempts = models.PositiveSmallIntegerField(_("最多测验次数"), default=3)
    published = models.BooleanField(_("已发布"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["kind", "id"]
        permissions = [
            ("manage_course", _("管理培训课程")),
            ("view_figures", _("查看培训统计")),
            ("enrol_staff", _("为员工报名培训")),
            ("view_progress", _("查看员工培训进度")),
            ("learn", _("参加培训")),
        ]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    """One lesson of a course, in order: a video file, a live-meeting link or a document."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("视频")
        LIVE = "live", _("直播")
        DOCUMENT = "document", _("文档")

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("课程")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    title = models.CharField(_("课时名称"), max_length=120)
    kind = models.CharField(_("形式"), max_length=16, choices=Kind.choices)
    video = models.FileField(_("视频文件"), upload_to="training/videos/%Y/%m/", blank=True)
    meeting_link = models.URLField(_("直播链接"), max_length=300, blank=True)
    body = models.TextField(_("文档内容"), max_length=20000, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("时长（分钟）"), default=10)

    class Meta:
        verbose_name = _("课时")
        verbose_name_plural = _("课时")
        ordering = ["course_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"],
                name="training_lesson_course_position_uniq",
                violation_error_message=_("同一课程中课时顺序不能重复。"),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A question of a lesson's bank: single or multiple choice; `answer` holds the
    indexes of the right options."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="questions", verbose_name=_("课时")
    )
    kind = models.CharField(_("题型"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text = models.CharField(_("题目"), max_length=300)
    options = models.JSONField(_("选项"), default=list)
    answer = models.JSONField(_("答案"), default=list)

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["lesson_id", "id"]

    def __str__(self) -> str:
        return self.text


class LiveSession(models.Model):
    """A live session of a course: online (meeting link, joined through the platform's
    link, which records attendance) or in person (a place, checked in by QR)."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("课程")
    )
    title = models.CharField(_("主题"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("名额"), default=100)
    meeting_link = models.URLField(_("会议链接"), max_length=300, blank=True)
    place = models.CharField(_("线下地点"), max_length=200, blank=True)
    checkin_code = models.CharField(_("签到码"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("直播课")
        verbose_name_plural = _("直播课")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="training_livesession_ends_after_start",
                violation_error_message=_("结束时间须晚于开始时间。"),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Enrolment(SiteModel):
    """A staff member enrolled in a course, by the company or by themselves."""

    class State(models.TextChoices):
        ENROLLED = "enrolled", _("学习中")
        COMPLETED = "completed", _("已完成")

    staff = models.ForeignKey(
        "estates.Staff", on_delete=models.CASCADE, related_name="+", verbose_name=_("员工")
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("课程")
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("报名人"),
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.ENROLLED, db_index=True
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    scope_paths = TENANT_PATHS

    class Meta:
        verbose_name = _("培训报名")
        verbose_name_plural = _("培训报名")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "staff", "course"],
                name="training_enrolment_company_staff_course_uniq",
                violation_error_message=_("该员工已报名这门课程。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="training_enrolment_company_id_uniq"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("training:enrolment", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.staff_id} · {self.course_id}"


class LessonProgress(SiteModel):
    """One lesson of one enrolment: made with the enrolment, viewed and completed later."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="progress", verbose_name=_("报名")
    )
    lesson = models.ForeignKey(
        Lesson, on_delete=models.PROTECT, related_name="+", verbose_name=_("课时")
    )
    viewed_at = models.DateTimeField(_("学习时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    quiz_passed_at = models.DateTimeField(_("测验通过时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("测验次数"), default=0)

    class Meta:
        verbose_name = _("课时进度")
        verbose_name_plural = _("课时进度")
        ordering = ["enrolment_id", "lesson__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "enrolment", "lesson"],
                name="training_progress_company_enrolment_lesson_uniq",
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="training_progress_company_id_uniq"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("training:lesson", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.enrolment_id} · {self.lesson_id}"


class QuizAttempt(SiteModel):
    """One submitted quiz: the questions drawn, the answers given, the score."""

    progress = models.ForeignKey(
        LessonProgress, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    questions = models.JSONField(_("题目"), default=list)
    answers = models.JSONField(_("作答"), default=dict)
    score = models.PositiveSmallIntegerField(_("得分（%）"))
    passed = models.BooleanField(_("通过"))

    scope_paths = TENANT_PATHS

    class Meta:
        verbose_name = _("测验记录")
        verbose_name_plural = _("测验记录")
        ordering = ["progress_id", "id"]

    def __str__(self) -> str:
        return f"{self.progress_id} · {self.score}"


class Registration(SiteModel):
    """A staff member registered for a live session, and whether they attended."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="registrations")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("报名")
    )
    attended_at = models.DateTimeField(_("出席时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("直播课报名")
        verbose_name_plural = _("直播课报名")
        ordering = ["session_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "session", "enrolment"],
                name="training_registration_uniq",
                violation_error_message=_("已经报名过这场直播课。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="training_registration_company_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.enrolment_id}"


class Certificate(SiteModel):
    """The completion certificate of an enrolment, with a public verification code."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="certificate", verbose_name=_("报名")
    )
    code = models.CharField(_("验证码"), max_length=16, db_index=True)
    issued_at = models.DateTimeField(_("颁发时间"))
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("结业证书")
        verbose_name_plural = _("结业证书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="training_certificate_company_code_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class AuditAction(BaseAuditAction):
    """What the training app's services record in the audit trail."""

    COURSE_SAVE = "training.course_save", _("保存培训课程")
    ENROL = "training.enrol", _("报名培训")
    ENROL_IMPORT = "training.enrol_import", _("批量报名培训")
    LESSON_COMPLETE = "training.lesson_complete", _("完成课时")
    QUIZ_SUBMIT = "training.quiz_submit", _("提交测验")
    CERTIFICATE_ISSUE = "training.certificate_issue", _("颁发结业证书")
    SESSION_REGISTER = "training.session_register", _("报名直播课")
    SESSION_ATTEND = "training.session_attend", _("直播课签到")
