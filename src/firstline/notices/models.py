"""Notices (公告) to the residents and staff of sites.

- A `Notice` is written by one sender: the association, a company, one of its sites,
  or an authority (街道/社区, a division). It goes to the residents and/or the staff
  of one site, of every site of one company, or of every site in one division.
- Drafts are edited; publishing records the sites the notice reaches (`NoticeSite`,
  one row per site, carrying that site's company: a tenant row) and, for an urgent
  notice sent "also by text message", queues the messages. A published notice shows
  from `publish_at` (perhaps later) until `expires_at`, or until it is withdrawn;
  "scheduled" and "expired" are read from the clock, not stored, so no periodic job
  moves a notice between states.
- Two ways to read the same table, each with its own scope paths:
  `Notice` is the sender's (the association's, a company's and its sites', an
  authority's and its sub-divisions'), `NoticeInbox` the recipients' (residents of
  the households, staff of the sites and companies the notice reaches, through
  `NoticeSite`). Another company's notice is outside both: 404.
- `NoticeRead` is one reader's receipt (a signed-in user, or a resident identified by
  the declaration's one-time code), under the reader's site. `NoticeSms` links each
  text message (`health.SmsMessage`, the record of every message) to the notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.models import BaseAuditAction, SiteModel
from firstline.core.scope import Through
from firstline.core.tenancy import TenantManager


@dataclass(frozen=True)
class Reach(Through):
    """A recipient's scope path: the notices whose `NoticeSite` rows name the grant's
    sites (or companies) for one audience, as a subquery on the link table. With
    `households`, the grant's ids are households and reach the notices of their sites.

        Reach("id", "notices.NoticeSite", key="site_id", value="notice_id",
              audience="to_staff")
    """

    audience: str = "to_staff"
    households: bool = False

    def q(self, ids: list) -> Q:
        link = apps.get_model(self.model)
        keys = ids
        if self.households:
            household = apps.get_model("estates.Household")
            keys = household._default_manager.filter(pk__in=ids).values("site_id")
        rows = link._default_manager.filter(
            **{f"{self.key}__in": keys, self.audience: True}
        ).values(self.value)
        return Q(**{f"{self.field}__in": rows})


def sender_paths(prefix: str = "") -> dict:
    """Who wrote it reads it: the association's grants its own notices, a company's
    its own and its sites', a site's its own, an authority's those of its division
    and the divisions below it."""
    return {
        "association": f"{prefix}association_id",
        "company": f"{prefix}company_id",
        "site": f"{prefix}site_id",
        "division": f"{prefix}division_code",
    }


def inbox_paths(field: str = "id") -> dict:
    """Who it reaches reads it: a resident's household at a reached site (residents'
    notices), staff at a reached site or company (staff notices)."""
    link = "notices.NoticeSite"
    return {
        "household": Reach(
            field, link, key="site_id", value="notice_id", audience="to_residents", households=True
        ),
        "site": Reach(field, link, key="site_id", value="notice_id", audience="to_staff"),
        "company": Reach(field, link, key="company_id", value="notice_id", audience="to_staff"),
    }


class Notice(models.Model):
    """A notice from the association, a company, a site or an authority."""

    class Sender(models.TextChoices):
        ASSOCIATION = "association", _("协会")
        COMPANY = "company", _("企业")
        SITE = "site", _("项目")
        AUTHORITY = "authority", _("街道/社区")

    class TargetKind(models.TextChoices):
        SITE = "site", _("一个项目")
        COMPANY = "company", _("一家企业的全部项目")
        DIVISION = "division", _("一个辖区内的全部项目")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("普通")
        URGENT = "urgent", _("紧急")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    all_tenants = models.Manager()  # declared first: Django's default manager (see tenancy.py)
    objects = TenantManager()

    # The sender: one of association / company (+ site) / division.
    sender_kind = models.CharField(_("发布单位类型"), max_length=12, choices=Sender.choices)
    association = models.ForeignKey(
        "orgs.Association",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("协会"),
    )
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
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("项目"),
    )
    division = models.ForeignKey(
        "geo.Division",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("街道/社区"),
    )
    # The authority's division code ('' for other senders): division grants match its prefix.
    division_code = models.CharField(max_length=12, blank=True, db_index=True, editable=False)

    # The audience.
    target_kind = models.CharField(_("发送范围"), max_length=12, choices=TargetKind.choices)
    target_site = models.ForeignKey(
        "estates.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("目标项目"),
    )
    target_company = models.ForeignKey(
        "orgs.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("目标企业"),
    )
    target_division = models.ForeignKey(
        "geo.Division",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("目标辖区"),
    )
    to_residents = models.BooleanField(_("发给居民"), default=True)
    to_staff = models.BooleanField(_("发给员工"), default=False)

    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"))  # sanitised HTML (services/content.py)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    also_sms = models.BooleanField(_("同时短信通知"), default=False)

    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    publish_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("实际发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("起草人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths = sender_paths()

    class Meta:
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "created_at"], name="notices_notice_company_idx"),
            models.Index(fields=["state", "publish_at"], name="notices_notice_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_residents=True) | Q(to_staff=True),
                name="notices_notice_has_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notices:notice_detail", args=[self.pk])

    @property
    def urgent(self) -> bool:
        return self.urgency == self.Urgency.URGENT

    def status(self, now=None) -> str:
        """draft, scheduled, current, expired or withdrawn: the state read with the clock."""
        now = now or timezone.now()
        if self.state != self.State.PUBLISHED:
            return self.state
        if self.publish_at and self.publish_at > now:
            return "scheduled"
        if self.expires_at and self.expires_at <= now:
            return "expired"
        return "current"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status()])


STATUS_LABELS = {
    "draft": _("草稿"),
    "scheduled": _("待发布"),
    "current": _("已发布"),
    "expired": _("已过期"),
    "withdrawn": _("已撤回"),
}


class NoticeInbox(Notice):
    """The same notices, read by those they reach (residents, staff)."""

    scope_paths = inbox_paths("id")

    class Meta:
        proxy = True
        verbose_name = _("我的公告")
        verbose_name_plural = _("我的公告")

    def get_absolute_url(self) -> str:
        return reverse("notices:mine_detail", args=[self.pk])


def current_q(now=None, prefix: str = "") -> Q:
    """Published, past its publish time, not expired: what recipients see."""
    now = now or timezone.now()
    return (
        Q(**{f"{prefix}state": Notice.State.PUBLISHED})
        & Q(**{f"{prefix}publish_at__lte": now})
        & (Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now}))
    )


class NoticeSite(SiteModel):
    """One site a published notice reaches, with the audience there. Written when the
    notice is published; the recipients' scope paths go through these rows."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reach")
    to_residents = models.BooleanField(default=True)
    to_staff = models.BooleanField(default=False)

    # A resident's household reaches the rows of its site.
    scope_paths = {
        "company": "company_id",
        "site": "site_id",
        "household": Through("site_id", "estates.Household", key="id", value="site_id"),
    }

    class Meta:
        verbose_name = _("公告送达项目")
        verbose_name_plural = _("公告送达项目")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "notice", "site"], name="notices_site_notice_site_uniq"
            ),
        ]
        indexes = [models.Index(fields=["site", "notice"], name="notices_site_site_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id}@{self.site_id}"


class NoticeAttachment(models.Model):
    """A file attached to a notice: PDF, Word, Excel or an image, at most 10 MB. Served
    only through the scoped download pages, never from a public URL."""

    all_tenants = models.Manager()
    objects = TenantManager()

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="notices/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = sender_paths("notice__")

    class Meta:
        verbose_name = _("公告附件")
        verbose_name_plural = _("公告附件")
        ordering = ["notice_id", "id"]

    def __str__(self) -> str:
        return self.name


class InboxAttachment(NoticeAttachment):
    """The same files, downloaded by those the notice reaches."""

    scope_paths = inbox_paths("notice_id")

    class Meta:
        proxy = True


class NoticeRead(SiteModel):
    """A reader's receipt: a signed-in user (resident or staff), or a resident known by
    the declaration's one-time code (no account). One per reader and notice; its
    company and site are the reader's."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        "estates.Resident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    household = models.ForeignKey(
        "estates.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    read_at = models.DateTimeField(_("阅读时间"))

    scope_paths = {"company": "company_id", "site": "site_id", "household": "household_id"}

    class Meta:
        verbose_name = _("公告阅读回执")
        verbose_name_plural = _("公告阅读回执")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "notice", "user"],
                condition=Q(user__isnull=False),
                name="notices_read_user_uniq",
            ),
            models.UniqueConstraint(
                fields=["company", "notice", "resident"],
                condition=Q(resident__isnull=False),
                name="notices_read_resident_uniq",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(resident__isnull=False),
                name="notices_read_has_reader",
            ),
        ]
        indexes = [models.Index(fields=["notice", "site"], name="notices_read_notice_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} read by {self.user_id or self.resident_id}"


class NoticeSms(SiteModel):
    """One urgent notice's text message to one phone (deduplicated by its keyed hash),
    at the site of the resident or staff member it was sent for. `message` is the SMS
    record; `sent` keeps the outcome should the record be purged."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="messages")
    message = models.ForeignKey(
        "health.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_hmac = models.CharField(max_length=64)
    sent = models.BooleanField(_("已发送"))

    class Meta:
        verbose_name = _("公告短信")
        verbose_name_plural = _("公告短信")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "notice", "phone_hmac"], name="notices_sms_phone_uniq"
            ),
        ]
        indexes = [models.Index(fields=["notice", "sent"], name="notices_sms_notice_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} sms {self.sent}"


class AuditAction(BaseAuditAction):
    """What the notices app's services record in the audit trail."""

    NOTICE_CREATE = "notices.notice_create", _("起草公告")
    NOTICE_UPDATE = "notices.notice_update", _("修改公告")
    NOTICE_PUBLISH = "notices.notice_publish", _("发布公告")
    NOTICE_WITHDRAW = "notices.notice_withdraw", _("撤回公告")
    NOTICE_SMS = "notices.notice_sms", _("公告短信")
    NOTICES_EXPORT = "notices.notices_export", _("导出公告")
