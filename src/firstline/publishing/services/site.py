"""The public site's skeleton: its root page (KnowledgeHome) as Wagtail's default
Site, and the section pages under it. Made once after migrating (post_migrate), so a
fresh database serves /site/ at once; the scenario fills it with content.

Moderation: Wagtail's default workflow ("Moderators approval": one task, approved by
the "Moderators" group) is assigned to the tree's root, so every page of the site
goes through it: a content editor (Editors) submits, an association admin
(Moderators) approves and it is published. Wagtail's own migration makes it; this
makes sure it exists, is active and covers the root (`workflow_ensure`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from firstline.publishing.models import FaqPage, KnowledgeHome, NewsIndexPage, PolicyIndexPage
from firstline.publishing.services.editors import EDITORS, MODERATORS

WORKFLOW = "Moderators approval"

SECTIONS = (
    (NewsIndexPage, "新闻动态", "news"),
    (PolicyIndexPage, "政策法规", "policies"),
    (FaqPage, "常见问题", "faq"),
)


# What each of Wagtail's groups may do: over the page tree, and over images and
# documents (the root collection). Wagtail's own data migrations grant the same.
PAGE_PERMISSIONS = {
    EDITORS: ("add_page", "change_page"),
    MODERATORS: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}
MEDIA_PERMISSIONS = (
    ("wagtailimages", ("add_image", "change_image", "choose_image")),
    ("wagtaildocs", ("add_document", "change_document", "choose_document")),
)


def wagtail_ensure() -> Page:
    """What Wagtail's data migrations made: the default locale, the page tree's root,
    the root collection, and the Editors and Moderators groups with their rights.
    A database emptied by a flush (tests that truncate every table) has none of it;
    post_migrate, which follows every flush, brings it back. Idempotent."""
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    locale, _ = Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(
            instance=Page(
                title="Root",
                slug="root",
                locale=locale,
                content_type=ContentType.objects.get_for_model(Page),
            )
        )
    collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
    admin_access = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for name, codenames in PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(admin_access)
        for codename in codenames:
            permission = Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            )
            GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)
        for app_label, media in MEDIA_PERMISSIONS:
            for codename in media:
                permission = Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=collection, permission=permission
                )
    return root


@transaction.atomic
def site_ensure() -> KnowledgeHome:
    """The knowledge site's home, creating it, its sections and the default Site if
    missing (and Wagtail's own ground, `wagtail_ensure`). Wagtail's placeholder
    "Welcome" page is removed."""
    wagtail_ensure()
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
    """After the last app's post_migrate: every app's content types and permissions
    (Wagtail's among them) exist by then, also after a flush."""
    from django.apps import apps

    # Django sends post_migrate only for apps with a models module (not, say,
    # django.contrib.postgres): the last of those is the last signal.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        site_ensure()
