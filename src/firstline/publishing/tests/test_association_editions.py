"""Local associations' editions of the national guides: derived at the live version,
the association's additions, the national changes since until it adopts them; a
member company's edition may derive from its association's edition and sees both
the national changes and the association's. Tenancy: another association's edition
and another company's are 404, on the pages and over the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.orgs.models import Association, Membership
from firstline.orgs.selectors import scope_for_user
from firstline.publishing.models import AssociationEdition, AuditAction, GuideEdition, GuidePage
from firstline.publishing.services.guides import (
    association_edition_create,
    association_edition_update,
    edition_create,
)
from firstline.publishing.tests.test_guides import make_guide
from firstline.testing.tenancy import Api, TenancyCases
from firstline.testing.world import PASSWORD, World, make_user

pytestmark = pytest.mark.django_db


def _edition(tenant) -> GuideEdition:
    return GuideEdition.all_tenants.get(company=tenant.company)


@pytest.fixture
def world(world: World) -> World:
    """A live residential guide; two local associations under the national one
    (武汉 with company a as member, 上海 with company b), each with an admin and an
    edition; a's edition derives from 武汉's, b's from the national guide alone."""
    guide = make_guide(versions=1)
    for key, name, tenant in (
        ("wh", "武汉市物业管理协会", world.a),
        ("sh", "上海市物业管理协会", world.b),
    ):
        local = Association.objects.create(name=name, short_name=name[:2], parent=world.association)
        Membership.objects.create(company=tenant.company, association=local, joined_on="2019-01-01")
        admin = make_user(f"{key}_assoc", "association_admin", association=local)
        world.users[f"{key}_admin"] = admin
        association_edition_create(
            actor=admin,
            scope=scope_for_user(admin),
            association_id=local.pk,
            guide=guide,
            title=f"{name}住宅小区指引",
            additions=f"{name[:2]}：快递一律放在门岗外。",
        )
    wuhan = AssociationEdition.all_tenants.get(association__name__startswith="武汉")
    for tenant, parent in ((world.a, wuhan), (world.b, None)):
        admin = tenant.users["company_admin"]
        edition_create(
            actor=admin,
            scope=scope_for_user(admin),
            company_id=tenant.company.pk,
            guide=guide,
            title=f"{tenant.company.name}住宅小区指引",
            additions="门岗每两小时交接一次。",
            association_edition=parent,
        )
    return world


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def wuhan(world) -> AssociationEdition:
    return AssociationEdition.all_tenants.get(association__name__startswith="武汉")


def shanghai(world) -> AssociationEdition:
    return AssociationEdition.all_tenants.get(association__name__startswith="上海")


class TestCompanyEditionApiTenancy(TenancyCases):
    api = [
        Api("/api/v1/site/editions", company_level="editions are the company's"),
        Api("/api/v1/site/editions/{id}", obj=_edition, company_level="editions are the company's"),
    ]
    # Association editions: rows of an association, not of a company; below.
    explicit = {
        **dict.fromkeys(
            (
                f"publishing_members:association_edition_{name}"
                for name in ("list", "create", "detail", "edit", "rebase")
            ),
            "test_another_associations_edition_is_404_and_companies_are_refused",
        ),
        "GET /api/v1/site/association-editions": "test_the_api_lists_only_the_callers_editions",
        "GET /api/v1/site/association-editions/{pk}": (
            "test_another_associations_edition_is_404_and_companies_are_refused"
        ),
    }


def test_an_association_edition_lists_national_changes_until_it_adopts_them(client, world):
    edition = wuhan(world)
    login(client, world.users["wh_admin"])
    url = edition.get_absolute_url()
    page = client.get(url)
    assert page.status_code == 200 and page.context["changes"] == []
    html = page.content.decode()
    assert "武汉：快递一律放在门岗外。" in html and "电梯消毒" in html
    assert page.context["derived_count"] == 1

    guide = GuidePage.objects.get()
    guide.version, guide.change_note = "1.1", "居家隔离户垃圾改为上门收取"
    guide.save_revision().publish()
    assert [c.version for c in client.get(url).context["changes"]] == ["1.1"]
    rebase = reverse("publishing_members:association_edition_rebase", args=[edition.pk])
    assert client.post(rebase, {"confirmed": "1"}).status_code == 302
    edition.refresh_from_db()
    assert edition.based_on_version == "1.1" and client.get(url).context["changes"] == []
    assert AuditEvent.objects.filter(
        action=AuditAction.ASSOCIATION_EDITION_REBASE, object_id=str(edition.pk)
    ).exists()


def test_a_company_edition_shows_its_associations_additions_and_their_changes(client, world):
    edition = _edition(world.a)
    login(client, world.a.users["company_admin"])
    url = edition.get_absolute_url()
    page = client.get(url)
    html = page.content.decode()
    assert "武汉：快递一律放在门岗外。" in html and "门岗每两小时交接一次" in html
    assert not page.context["association_changed"]

    # the association changes its additions and the national guide a new version
    admin = world.users["wh_admin"]
    association_edition_update(
        actor=admin,
        scope=scope_for_user(admin),
        edition=wuhan(world),
        title="武汉版",
        additions="武汉：快递由志愿者送到楼下。",
    )
    guide = GuidePage.objects.get()
    guide.version, guide.change_note = "1.1", "电梯按钮每小时消毒"
    guide.save_revision().publish()
    page = client.get(url)
    assert page.context["association_changed"]
    assert [c.change_note for c in page.context["changes"]] == ["电梯按钮每小时消毒"]
    assert "武汉：快递由志愿者送到楼下。" in page.content.decode()
    api = client.get(f"/api/v1/site/editions/{edition.pk}").json()
    assert api["association_changed"] and api["association_additions"].startswith("武汉：快递由")
    assert [c["version"] for c in api["changes"]] == ["1.1"]

    rebase = reverse("publishing_members:edition_rebase", args=[edition.pk])
    assert client.post(rebase, {"confirmed": "1"}).status_code == 302
    page = client.get(url)
    assert not page.context["association_changed"] and page.context["changes"] == []


def test_only_a_member_derives_from_an_association_edition(world):
    admin = world.b.users["company_admin"]
    GuideEdition.all_tenants.filter(company=world.b.company).delete()
    with pytest.raises(ValidationError) as error:  # b is not a member of 武汉
        edition_create(
            actor=admin,
            scope=scope_for_user(admin),
            company_id=world.b.company.pk,
            guide=GuidePage.objects.get(),
            title="借用武汉版",
            association_edition=wuhan(world),
        )
    assert "association_edition" in error.value.message_dict
    wh = world.users["wh_admin"]
    with pytest.raises(ValidationError):  # 武汉's admin writes for 武汉 only
        association_edition_create(
            actor=wh,
            scope=scope_for_user(wh),
            association_id=shanghai(world).association_id,
            guide=GuidePage.objects.get(),
            title="代写",
        )
    with pytest.raises(ValidationError):  # one edition per guide
        association_edition_create(
            actor=wh,
            scope=scope_for_user(wh),
            association_id=wuhan(world).association_id,
            guide=GuidePage.objects.get(),
            title="第二份",
        )


def test_the_create_page_offers_the_companys_association_editions(client, world):
    GuideEdition.all_tenants.filter(company=world.a.company).delete()
    login(client, world.a.users["company_admin"])
    url = reverse("publishing_members:edition_create")
    form = client.get(url).context["form"]
    offered = dict(form.fields["association_edition"].choices)
    assert wuhan(world).pk in offered and shanghai(world).pk not in offered
    guide = GuidePage.objects.get()
    response = client.post(
        url,
        {
            "guide": guide.pk,
            "company": world.a.company.pk,
            "association_edition": shanghai(world).pk,  # not offered: refused, nothing made
            "title": "安居版",
        },
    )
    assert (
        response.status_code == 200
        and not GuideEdition.all_tenants.filter(company=world.a.company).exists()
    )
    response = client.post(
        url,
        {
            "guide": guide.pk,
            "company": world.a.company.pk,
            "association_edition": wuhan(world).pk,
            "title": "安居版",
        },
    )
    assert response.status_code == 302
    assert _edition(world.a).association_edition_id == wuhan(world).pk

    login(client, world.users["wh_admin"])
    create = reverse("publishing_members:association_edition_create")
    assert client.get(create, {"guide": guide.pk}).status_code == 200


def test_another_associations_edition_is_404_and_companies_are_refused(client, world):
    mine, theirs = wuhan(world), shanghai(world)
    login(client, world.users["wh_admin"])
    for name in ("detail", "edit"):
        assert (
            client.get(
                reverse(f"publishing_members:association_edition_{name}", args=[mine.pk])
            ).status_code
            == 200
        )
        assert (
            client.get(
                reverse(f"publishing_members:association_edition_{name}", args=[theirs.pk])
            ).status_code
            == 404
        )
    before = AssociationEdition.all_tenants.filter(pk=theirs.pk).values().get()
    edit = reverse("publishing_members:association_edition_edit", args=[theirs.pk])
    assert client.post(edit, {"title": "改", "additions": "改"}).status_code == 404
    rebase = reverse("publishing_members:association_edition_rebase", args=[theirs.pk])
    assert client.post(rebase, {"confirmed": "1"}).status_code == 404
    assert AssociationEdition.all_tenants.filter(pk=theirs.pk).values().get() == before
    assert client.get(f"/api/v1/site/association-editions/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/site/association-editions/{mine.pk}").status_code == 200
    # 武汉's admin holds no company: company editions are not theirs to read
    assert client.get(
        reverse("publishing_members:edition_detail", args=[_edition(world.a).pk])
    ).status_code in (403, 404)

    login(client, world.a.users["company_admin"])  # a company's admin: no association pages
    assert client.get(reverse("publishing_members:association_edition_list")).status_code == 403
    assert client.get(
        reverse("publishing_members:association_edition_detail", args=[mine.pk])
    ).status_code in (403, 404)
    assert client.get(f"/api/v1/site/association-editions/{mine.pk}").status_code in (403, 404)
    client.logout()
    assert client.get(reverse("publishing_members:association_edition_list")).status_code == 302
    assert client.get("/api/v1/site/association-editions").status_code == 401


def test_the_api_lists_only_the_callers_editions(client, world):
    login(client, world.users["wh_admin"])
    items = client.get("/api/v1/site/association-editions").json()["items"]
    assert [item["id"] for item in items] == [wuhan(world).pk]
    login(client, world.a.users["company_admin"])
    items = client.get("/api/v1/site/editions").json()["items"]
    assert [(item["id"], item["association_edition_id"]) for item in items] == [
        (_edition(world.a).pk, wuhan(world).pk)
    ]


def test_the_association_list_page(client, world):
    login(client, world.users["sh_admin"])
    page = client.get(reverse("publishing_members:association_edition_list"))
    assert page.status_code == 200
    assert [e.pk for e in page.context["object_list"]] == [shanghai(world).pk]
