"""A company's editions of the national guides: derived at the live version, the
company's additions, the national changes since listed until the company adopts
them (rebase, audited); another company's edition answers 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.orgs.selectors import scope_for_user
from firstline.publishing.models import AuditAction, GuideEdition, GuidePage
from firstline.publishing.services.guides import edition_create, edition_rebase
from firstline.publishing.tests.test_guides import make_guide
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, World

pytestmark = pytest.mark.django_db


def _edition(tenant) -> GuideEdition:
    return GuideEdition.all_tenants.get(company=tenant.company)


@pytest.fixture
def world(world: World) -> World:
    """A live residential guide and an edition of it for companies a and b."""
    guide = make_guide(versions=1)
    for tenant in (world.a, world.b):
        admin = tenant.users["company_admin"]
        edition_create(
            actor=admin,
            scope=scope_for_user(admin),
            company_id=tenant.company.pk,
            guide=guide,
            title=f"{tenant.company.name}住宅小区指引",
            additions="门岗每两小时交接一次。",
        )
    return world


class TestEditionTenancy(TenancyCases):
    routes = [
        Page("publishing_members:edition_list", company_level="editions are the company's"),
        Page("publishing_members:edition_create", company_level="editions are the company's"),
        Page(
            "publishing_members:edition_detail",
            obj=_edition,
            company_level="editions are the company's",
        ),
        Page(
            "publishing_members:edition_edit",
            obj=_edition,
            write={"title": "改名", "additions": "改了"},
            company_level="editions are the company's",
        ),
        Page(
            "publishing_members:edition_rebase",
            obj=_edition,
            method="post",
            write={"confirmed": "1"},
            ok=302,
            company_level="editions are the company's",
        ),
    ]


def test_an_edition_lists_the_national_changes_until_it_adopts_them(client, world):
    edition = _edition(world.a)
    assert edition.based_on_version == "1.0"
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    url = reverse("publishing_members:edition_detail", args=[edition.pk])
    page = client.get(url)
    assert page.context["changes"] == []
    assert "门岗每两小时交接一次" in page.content.decode()
    assert "电梯消毒" in page.content.decode()  # the national text

    guide = GuidePage.objects.get(pk=edition.guide_id)
    guide.version, guide.change_note = "1.1", "居家隔离户垃圾改为上门收取"
    guide.save_revision().publish()
    page = client.get(url)
    assert [(c.version, c.change_note) for c in page.context["changes"]] == [
        ("1.1", "居家隔离户垃圾改为上门收取")
    ]
    assert "全国版自 v1.0 以来的修改" in page.content.decode()

    assert (
        client.post(
            reverse("publishing_members:edition_rebase", args=[edition.pk]), {"confirmed": "1"}
        ).status_code
        == 302
    )
    edition.refresh_from_db()
    assert edition.based_on_version == "1.1"
    assert client.get(url).context["changes"] == []
    assert AuditEvent.objects.filter(
        action=AuditAction.EDITION_REBASE, object_id=str(edition.pk)
    ).exists()


def test_one_edition_per_guide_and_only_of_live_guides(world):
    admin = world.a.users["company_admin"]
    scope = scope_for_user(admin)
    guide = GuidePage.objects.get()
    with pytest.raises(ValidationError):
        edition_create(
            actor=admin, scope=scope, company_id=world.a.company.pk, guide=guide, title="再来一份"
        )
    with pytest.raises(ValidationError):  # another company's
        edition_create(
            actor=admin, scope=scope, company_id=world.b.company.pk, guide=guide, title="b的"
        )
    guide.unpublish()
    with pytest.raises(ValidationError):
        edition_rebase(actor=admin, scope=scope, edition=_edition(world.a))


def test_create_page_derives_from_the_guide_named(client, world):
    GuideEdition.all_tenants.filter(company=world.a.company).delete()
    guide = GuidePage.objects.get()
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    url = reverse("publishing_members:edition_create")
    form = client.get(url, {"guide": guide.pk}).context["form"]
    assert form.initial["guide"] == guide.pk
    response = client.post(
        url,
        {
            "guide": guide.pk,
            "company": world.a.company.pk,
            "title": "安居版",
            "additions": "<script>x</script>",
        },
    )
    assert response.status_code == 302
    edition = _edition(world.a)
    assert edition.based_on_revision_id == guide.live_revision_id
    page = client.get(edition.get_absolute_url()).content.decode()
    assert "&lt;script&gt;" in page and "<script>x" not in page
