"""The public site's skeleton: its root page (KnowledgeHome) as Wagtail's default
Site, and the section pages under it. Made once after migrating (post_migrate), so a
fresh database serves /site/ at once; the scenario fills it with content.

Moderation: Wagtail's default workflow ("Moderators approval": one task, approved by
the "Moderators" group) is assigned to the tree's root, so every page of the site
goes through it: a content editor (Editors) submits, an association admin
(Moderators) approves and it is published. Wagtail's own migration makes it; this
makes sure it exists, is active and covers the root (`workflow_ensure`)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import GroupApprovalTask, Page, Site, Workflow, WorkflowPage, WorkflowTask

from firstline.publishing.models import FaqPage, KnowledgeHome, NewsIndexPage, PolicyIndexPage
from firstline.publishing.services.editors import MODERATORS

WORKFLOW = "Moderators approval"

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
    workflow_ensure()
    return home


def workflow_ensure() -> Workflow:
    """The moderation workflow over the whole tree: Wagtail's default one (made by its
    migrations) if present, else one like it; active and assigned to the root page,
    unless the root already has an active workflow of its own."""
    root = Page.get_first_root_node()
    assigned = WorkflowPage.objects.filter(page=root).select_related("workflow").first()
    if assigned is not None and assigned.workflow.active:
        return assigned.workflow
    workflow = Workflow.objects.filter(name=WORKFLOW).first()
    if workflow is None:
        moderators, _ = Group.objects.get_or_create(name=MODERATORS)
        task = GroupApprovalTask.objects.filter(name=f"{MODERATORS} approval").first()
        if task is None:
            task = GroupApprovalTask.objects.create(name=f"{MODERATORS} approval")
            task.groups.set([moderators])
        workflow = Workflow.objects.create(name=WORKFLOW, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    elif not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    if assigned is None:
        WorkflowPage.objects.create(workflow=workflow, page=root)
    else:
        assigned.workflow = workflow
        assigned.save(update_fields=["workflow"])
    return workflow


def on_post_migrate(sender, **kwargs) -> None:
    if sender.label == "publishing":
        site_ensure()
