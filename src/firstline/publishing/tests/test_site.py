"""The public site: readable without signing in, its sections as tabs, and the
Wagtail editor open only to the association's content roles."""

import pytest
from django.contrib.auth.models import Group

from firstline.core.roles import Role
from firstline.estates.models import Site as EstateSite
from firstline.orgs.models import RoleAssignment
from firstline.publishing.models import SITE_TYPES, GuideChapterPage, GuidePage, KnowledgeHome
from firstline.publishing.services.site import site_ensure
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_guide_site_types_are_the_estates_site_types():
    assert [value for value, _label in SITE_TYPES] == list(EstateSite.Type.values)


def test_the_site_is_public_with_its_sections(client):
    home = site_ensure()
    guide = home.add_child(
        instance=GuidePage(
            title="住宅小区防控操作指引", slug="residential", site_type="residential"
        )
    )
    guide.add_child(instance=GuideChapterPage(title="公共区域消毒", slug="disinfection"))
    page = client.get("/site/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "住宅小区防控操作指引" in text and "政策法规" in text
    assert client.get(guide.url).status_code == 200
    assert "公共区域消毒" in client.get(guide.url).content.decode()
    assert client.get("/site/policies/", {"category": "nonsense", "valid": "x"}).status_code == 200
    assert client.get("/site/no-such-page/").status_code == 404
    assert KnowledgeHome.objects.count() == 1
    site_ensure()  # idempotent
    assert KnowledgeHome.objects.count() == 1


def test_public_pages_keep_the_strict_csp_and_the_editor_gets_its_own(client, world):
    site_ensure()
    assert "unsafe-inline" not in client.get("/site/")["Content-Security-Policy"]
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    editor = client.get("/cms/")
    assert editor.status_code == 200
    assert "'unsafe-inline'" in editor["Content-Security-Policy"]


def test_only_content_roles_reach_the_editor(client, world):
    site_ensure()
    editor = make_user("writer", Role.CONTENT_EDITOR, association=world.association)
    assert set(editor.groups.values_list("name", flat=True)) == {"Editors"}
    admin = world.users["association_admin"]
    client.login(username=admin.username, password=PASSWORD)  # groups follow at sign-in
    assert set(admin.groups.values_list("name", flat=True)) == {"Editors", "Moderators"}
    client.logout()
    company_admin = world.a.users["company_admin"]
    client.login(username=company_admin.username, password=PASSWORD)
    assert client.get("/cms/").status_code in (302, 403)
    assert not company_admin.groups.exists()
    client.logout()
    client.login(username="writer", password=PASSWORD)
    assert client.get("/cms/").status_code == 200
    RoleAssignment.objects.filter(user=editor).delete()  # the role goes, so does the group
    assert not editor.groups.exists()
    assert Group.objects.filter(name="Editors").exists()


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_the_site_and_wagtails_ground_back(client):
    """Tests that truncate every table take Wagtail's migration-made rows with them;
    post_migrate, which follows every flush, makes the root, groups and site again."""
    from django.core.management import call_command

    call_command("flush", interactive=False)
    assert KnowledgeHome.objects.count() == 1
    editors = Group.objects.get(name="Editors")
    assert editors.permissions.filter(codename="access_admin").exists()
    assert client.get("/site/").status_code == 200
