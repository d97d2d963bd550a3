"""The public site's skeleton: its root page (KnowledgeHome) as Wagtail's default
Site, and the section pages under it. Made once after migrating (post_migrate), so a
fresh database serves /site/ at once; the scenario fills it with content."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Page, Site

from firstline.publishing.models import FaqPage, KnowledgeHome, NewsIndexPage, PolicyIndexPage

SECTIONS = (
    (NewsIndexPage, "新闻动态", "news"),
    (PolicyIndexPage, "政策法规", "policies"),
    (FaqPage, "常见问题", "faq"),
)


@transaction.atomic
def site_ensure() -> KnowledgeHome | None:
    """The knowledge site's home, creating it, its sections and the default Site if
    missing. Wagtail's placeholder "Welcome" page is removed. None when the page tree
    has no root (a flushed database: tests that truncate every table)."""
    if Page.get_first_root_node() is None:
        return None
    home = KnowledgeHome.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        for placeholder in root.get_children().exact_type(Page):
            Site.objects.filter(root_page=placeholder).delete()
            placeholder.delete()
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=KnowledgeHome(
                title="协会知识库",
                slug="knowledge",
                summary="物业行业疫情防控操作指引、政策法规、新闻与专题",
            )
        )
    for model, title, slug in SECTIONS:
        if not model.objects.exists():
            home.add_child(instance=model(title=title, slug=slug, show_in_menus=True))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save(update_fields=["root_page"])
    return home


def on_post_migrate(sender, **kwargs) -> None:
    if sender.label == "publishing":
        site_ensure()
