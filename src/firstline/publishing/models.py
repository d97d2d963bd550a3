"""The association's public knowledge site: Wagtail page types, and what Wagtail
does not do for us (editions of a guide, reading figures, Chinese search).

The page tree (one Wagtail Site, mounted at /site/):

    KnowledgeHome                       协会知识库 (the site's root)
      GuidePage × 7                     one per site type, with its chapters
        GuideChapterPage                a chapter (its sections are StreamField blocks)
      NewsIndexPage → NewsPage          新闻
      PolicyIndexPage → PolicyPage      政策法规 (the resumption-of-work library)
      TopicPage                         专题, linking the pages of one theme
      CallToActionPage                  倡议书
      FaqPage                           常见问题 (question-and-answer items)

Wagtail keeps drafts, revisions, the moderation workflow, scheduled publishing and
expiry, images and documents. Pages are the association's, not a tenant's: they are
public once live, and only the association's content roles edit them
(services/editors.py maps Firstline roles to Wagtail's groups).
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from firstline.core.models import AssociationModel, BaseAuditAction, TenantModel
from firstline.core.scope import Through

SITE_TYPES = [
    ("residential", _("住宅小区")),
    ("office", _("写字楼")),
    ("industrial", _("产业园区")),
    ("campus", _("学校")),
    ("hospital", _("医院")),
    ("commercial", _("商业综合体")),
    ("transport", _("交通枢纽")),
    ("isolation", _("隔离点")),
]  # the same values as estates.Site.Type (a test keeps them equal)


class SectionBlock(blocks.StructBlock):
    """One numbered section of a guide chapter: a heading and its text."""

    heading = blocks.CharBlock(label=_("小节标题"), max_length=120)
    body = blocks.RichTextBlock(label=_("内容"), features=["bold", "ol", "ul", "link"])

    class Meta:
        icon = "list-ol"
        label = _("小节")


class PublicPage(Page):
    """What every public page shares: a summary for lists and for sharing."""

    summary = models.CharField(_("摘要"), max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary")]

    class Meta:
        abstract = True

    @property
    def kind(self) -> str:
        return self._meta.model_name

    def get_context(self, request, *args, **kwargs):
        from firstline.publishing.selectors.pages import site_sections

        context = super().get_context(request, *args, **kwargs)
        context["site_sections"] = site_sections(self)
        return context


class KnowledgeHome(PublicPage):
    """The site's front page: guides by site type, latest news, topics, policies."""

    intro = RichTextField(_("导语"), blank=True, features=["bold", "link"])

    content_panels = [*PublicPage.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "publishing.GuidePage",
        "publishing.NewsIndexPage",
        "publishing.PolicyIndexPage",
        "publishing.TopicPage",
        "publishing.CallToActionPage",
        "publishing.FaqPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("知识库首页")

    def get_context(self, request, *args, **kwargs):
        from firstline.publishing.selectors.pages import home_lists

        return {**super().get_context(request, *args, **kwargs), **home_lists(self)}


class GuidePage(PublicPage):
    """The association's operation guide for one kind of site (the national edition).
    Each published revision is a version; `change_note` says what it changed."""

    site_type = models.CharField(_("项目类型"), max_length=16, choices=SITE_TYPES)
    version = models.CharField(_("版本"), max_length=20, default="1.0")
    change_note = models.CharField(
        _("本版修改说明"), max_length=300, blank=True, help_text=_("发布时写明本次改了什么")
    )
    poster_points = models.TextField(
        _("海报要点"), blank=True, help_text=_("每行一条，印在大堂海报上")
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("全文下载（PDF）"),
    )

    content_panels = [
        *PublicPage.content_panels,
        MultiFieldPanel(
            [FieldPanel("site_type"), FieldPanel("version"), FieldPanel("change_note")],
            heading=_("版本"),
        ),
        FieldPanel("poster_points"),
        FieldPanel("document"),
    ]
    parent_page_types = ["publishing.KnowledgeHome"]
    subpage_types = ["publishing.GuideChapterPage"]

    class Meta:
        verbose_name = _("操作指引")
        verbose_name_plural = _("操作指引")

    def get_context(self, request, *args, **kwargs):
        from firstline.publishing.selectors.guides import guide_versions

        context = super().get_context(request, *args, **kwargs)
        context["chapters"] = GuideChapterPage.objects.child_of(self).live().order_by("path")
        context["versions"] = guide_versions(self)
        return context


class GuideChapterPage(PublicPage):
    """A chapter of a guide; its sections are what search finds and links to."""

    sections = StreamField([("section", SectionBlock())], blank=True, verbose_name=_("小节"))

    content_panels = [*PublicPage.content_panels, FieldPanel("sections")]
    parent_page_types = ["publishing.GuidePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("指引章节")


class NewsIndexPage(PublicPage):
    parent_page_types = ["publishing.KnowledgeHome"]
    subpage_types = ["publishing.NewsPage"]
    max_count = 1

    class Meta:
        verbose_name = _("新闻栏目")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["items"] = NewsPage.objects.child_of(self).live().order_by("-date", "-pk")[:100]
        return context


class NewsPage(PublicPage):
    date = models.DateField(_("日期"))
    body = RichTextField(_("正文"), features=["h3", "bold", "italic", "ol", "ul", "link", "image"])
    cover = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("封面"),
    )

    content_panels = [
        *PublicPage.content_panels,
        FieldPanel("date"),
        FieldPanel("cover"),
        FieldPanel("body"),
    ]
    parent_page_types = ["publishing.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("新闻")
        verbose_name_plural = _("新闻")


class PolicyIndexPage(PublicPage):
    parent_page_types = ["publishing.KnowledgeHome"]
    subpage_types = ["publishing.PolicyPage"]
    max_count = 1

    class Meta:
        verbose_name = _("政策法规库")

    def get_context(self, request, *args, **kwargs):
        from firstline.publishing.selectors.pages import policy_filter

        context = super().get_context(request, *args, **kwargs)
        policies, filters = policy_filter(self, request.GET)
        context.update(
            policies=policies,
            filters=filters,
            categories=PolicyPage.Category.choices,
            today=timezone.localdate(),
        )
        return context


class PolicyPage(PublicPage):
    """A law, notice or support measure for the resumption of work."""

    class Category(models.TextChoices):
        LAW = "law", _("法律法规")
        NOTICE = "notice", _("通知公告")
        SUPPORT = "support", _("扶持措施")
        STANDARD = "standard", _("标准规范")

    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    issuer = models.CharField(_("发布机关"), max_length=120)
    document_number = models.CharField(_("文号"), max_length=80, blank=True)
    region = models.ForeignKey(
        "geo.Division",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("适用地区"),
        help_text=_("空为全国"),
    )
    issued_on = models.DateField(_("发布日期"))
    valid_from = models.DateField(_("施行日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    body = RichTextField(
        _("正文摘要"), features=["h3", "bold", "ol", "ul", "link", "document-link"]
    )
    source_url = models.URLField(_("原文链接"), blank=True)

    content_panels = [
        *PublicPage.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("category"),
                FieldPanel("issuer"),
                FieldPanel("document_number"),
                FieldPanel("region"),
            ],
            heading=_("来源"),
        ),
        MultiFieldPanel(
            [FieldPanel("issued_on"), FieldPanel("valid_from"), FieldPanel("valid_until")],
            heading=_("时效"),
        ),
        FieldPanel("body"),
        FieldPanel("source_url"),
    ]
    parent_page_types = ["publishing.PolicyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")


class TopicPage(PublicPage):
    """A theme (专题): an introduction and the pages that belong to it."""

    body = RichTextField(_("导语"), features=["h3", "bold", "ol", "ul", "link", "image"])

    content_panels = [
        *PublicPage.content_panels,
        FieldPanel("body"),
        InlinePanel("links", label=_("相关页面")),
    ]
    parent_page_types = ["publishing.KnowledgeHome"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("专题")


class TopicLink(Orderable):
    topic = ParentalKey(TopicPage, on_delete=models.CASCADE, related_name="links")
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name=_("页面")
    )

    panels = [FieldPanel("page")]


class CallToActionPage(PublicPage):
    """An appeal (倡议书) to member companies, staff or owners."""

    issued_on = models.DateField(_("发布日期"))
    signatories = models.CharField(_("倡议单位"), max_length=200)
    body = RichTextField(_("正文"), features=["h3", "bold", "ol", "ul", "link"])

    content_panels = [
        *PublicPage.content_panels,
        FieldPanel("issued_on"),
        FieldPanel("signatories"),
        FieldPanel("body"),
    ]
    parent_page_types = ["publishing.KnowledgeHome"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("倡议书")


class FaqPage(PublicPage):
    content_panels = [*PublicPage.content_panels, InlinePanel("items", label=_("问答"))]
    parent_page_types = ["publishing.KnowledgeHome"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("常见问题")


class FaqItem(Orderable, ClusterableModel):
    """One question and its answer; policies it rests on are linked both ways.

    A cluster of its own (ClusterableModel): its links to policies travel with the
    FAQ page's revisions, so a draft keeps the live links, and publishing any
    revision (a new one, a republish, a revert) writes the links it holds."""

    page = ParentalKey(FaqPage, on_delete=models.CASCADE, related_name="items")
    question = models.CharField(_("问题"), max_length=200)
    answer = RichTextField(_("回答"), features=["bold", "ol", "ul", "link"])
    policies = ParentalManyToManyField(
        PolicyPage, blank=True, related_name="faq_items", verbose_name=_("相关政策")
    )

    panels = [FieldPanel("question"), FieldPanel("answer"), FieldPanel("policies")]

    class Meta(Orderable.Meta):
        verbose_name = _("问答")


# --- beside Wagtail: editions, search, reading figures ------------------------------------


class AssociationEdition(AssociationModel):
    """A local association's edition of a national guide: its own additions on top of
    the national text, and the national version it was derived from (as a company's
    edition). Its member companies may derive their editions from it. Only the
    association's own roles see it."""

    guide = models.ForeignKey(
        GuidePage,
        on_delete=models.CASCADE,
        related_name="association_editions",
        verbose_name=_("指引"),
    )
    title = models.CharField(_("版本名称"), max_length=120)
    additions = models.TextField(_("本协会补充要求"), blank=True)
    based_on_revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("所依据的全国版"),
    )
    based_on_version = models.CharField(_("所依据的版本号"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    additions_changed_at = models.DateTimeField(_("补充要求修改时间"), null=True, blank=True)

    # The association's roles reach it; so do its member companies' roles, which
    # read it as the edition theirs may derive from (the pages and API of association
    # editions ask for the association's right, which company roles do not hold).
    scope_paths = {
        "association": "association_id",
        "company": Through(
            "association_id", "orgs.Membership", key="company_id", value="association_id"
        ),
    }

    class Meta:
        verbose_name = _("协会版指引")
        verbose_name_plural = _("协会版指引")
        constraints = [
            models.UniqueConstraint(
                fields=["association", "guide"],
                name="publishing_assocedition_association_guide_uniq",
                violation_error_message=_("本协会已有这份指引的版本。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("publishing_members:association_edition_detail", args=[self.pk])


class GuideEdition(TenantModel):
    """A member company's edition of a national guide: its own additions on top of
    the national text, and the national version it was derived from, so it can see
    what the association changed since (the national guide's later revisions).

    It may derive from its local association's edition of the same guide instead
    (`association_edition`): it then shows the association's additions too, and
    when the association changed them after `association_seen_at`."""

    guide = models.ForeignKey(
        GuidePage, on_delete=models.CASCADE, related_name="editions", verbose_name=_("指引")
    )
    title = models.CharField(_("版本名称"), max_length=120)
    additions = models.TextField(_("本企业补充要求"), blank=True)
    based_on_revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("所依据的全国版"),
    )
    based_on_version = models.CharField(_("所依据的版本号"), max_length=20, blank=True)
    association_edition = models.ForeignKey(
        AssociationEdition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="company_editions",
        verbose_name=_("所依据的协会版"),
    )
    association_seen_at = models.DateTimeField(_("采纳协会版的时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("企业版指引")
        verbose_name_plural = _("企业版指引")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "guide"],
                name="publishing_edition_company_guide_uniq",
                violation_error_message=_("本企业已有这份指引的版本。"),
            ),
            models.UniqueConstraint(
                fields=["company", "id"], name="publishing_edition_company_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("publishing_members:edition_detail", args=[self.pk])


class SearchEntry(models.Model):
    """One searchable piece of the public site (a guide chapter's section, a policy, a
    news item, an FAQ answer): its text segmented into words (jieba) so the database's
    own full-text index can match Chinese; SQLite keeps an FTS5 table beside it,
    PostgreSQL a tsvector with a RUM index (services/search.py)."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name=_("页面")
    )
    anchor = models.CharField(max_length=40, blank=True)  # the section within the page
    kind = models.CharField(_("类型"), max_length=32)
    title = models.CharField(_("标题"), max_length=300)
    text = models.TextField(_("正文"))
    words = models.TextField(_("分词"))  # title and text, segmented, space-separated
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("搜索条目")
        constraints = [
            models.UniqueConstraint(fields=["page", "anchor"], name="publishing_search_page_anchor")
        ]

    def __str__(self) -> str:
        return self.title


class PublishGeneration(models.Model):
    """One row: a value changed (to a new random one) whenever what the public reads
    may have changed (a page saved, published, unpublished, moved or deleted; the
    search index written). Cached search results and cached public pages carry it in
    their keys (services/cache.py), so a change shows at once in every process
    without deleting any cache entry."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("发布代次")

    def __str__(self) -> str:
        return str(self.value)


class Channel(models.TextChoices):
    WEB = "web", _("网页")
    POSTER = "poster", _("海报二维码")
    WECHAT = "wechat", _("微信分享")


class ReadingDay(models.Model):
    """Reading figures of one page (or one document) on one day by channel: readers
    counted once per page per day (services/reading.py)."""

    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    document = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("日期"))
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    views = models.PositiveIntegerField(_("阅读"), default=0)
    downloads = models.PositiveIntegerField(_("下载"), default=0)

    class Meta:
        verbose_name = _("阅读统计")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "day", "channel"],
                condition=models.Q(document__isnull=True),
                name="publishing_readingday_page_uniq",
            ),
            models.UniqueConstraint(
                fields=["document", "day", "channel"],
                condition=models.Q(page__isnull=True),
                name="publishing_readingday_document_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(page__isnull=True) ^ models.Q(document__isnull=True),
                name="publishing_readingday_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page_id or self.document_id} {self.day} {self.channel}"


class ReaderMark(models.Model):
    """That a reader (a key that cannot be traced back: a keyed hash of the address
    and browser with a key that changes every day, never stored) read a page or
    downloaded a document today, on a channel. Marks are folded into ReadingDay and
    deleted after their day."""

    day = models.DateField()
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    document = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices)
    reader = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "reader"],
                condition=models.Q(document__isnull=True),
                name="publishing_readermark_page_uniq",
            ),
            models.UniqueConstraint(
                fields=["day", "document", "reader"],
                condition=models.Q(page__isnull=True),
                name="publishing_readermark_document_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.reader}"


class AuditAction(BaseAuditAction):
    """What the publishing app's services record in the audit trail."""

    EDITION_CREATE = "publishing.edition_create", _("新建企业版指引")
    EDITION_UPDATE = "publishing.edition_update", _("修改企业版指引")
    EDITION_REBASE = "publishing.edition_rebase", _("企业版指引采纳全国版修改")
    ASSOCIATION_EDITION_CREATE = "publishing.association_edition_create", _("新建协会版指引")
    ASSOCIATION_EDITION_UPDATE = "publishing.association_edition_update", _("修改协会版指引")
    ASSOCIATION_EDITION_REBASE = (
        "publishing.association_edition_rebase",
        _("协会版指引采纳全国版修改"),
    )
