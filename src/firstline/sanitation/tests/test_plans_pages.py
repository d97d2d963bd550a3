"""The guide library and plan pages: reading and revising guides, overrides, areas
and their QR codes, applying the guide to a site, editing an entry; query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.sanitation.models import Area, AreaKind, Guide, ItemOverride, PlanEntry
from firstline.sanitation.services.plans import area_create
from firstline.sanitation.tests.planning import planned
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def current(site_type="residential"):
    return Guide.objects.get(site_type=site_type, current=True)


def test_guide_pages_readable_by_planners_and_association(client, world):
    planned(world.a)
    guide = current()
    for user in (
        world.a.users["company_admin"],
        world.a.users["site_manager"],
        world.users["association_admin"],
    ):
        login(client, user)
        body = client.get(reverse("sanitation:guide_detail", args=[guide.pk])).content.decode()
        assert "电梯按钮及扶手擦拭消毒" in body and "1000 mg/L" in body
        assert client.get(reverse("sanitation:guide_list") + "?site_type=office").status_code == 200
        client.logout()
    for role in ("guard", "cleaner", "resident"):
        login(client, world.a.users[role])
        assert client.get(reverse("sanitation:guide_detail", args=[guide.pk])).status_code == 403
        client.logout()
    response = client.get(reverse("sanitation:guide_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_guide_revise_by_association_publishes_next_version(client, world):
    planned(world.a)
    guide = current()
    url = reverse("sanitation:guide_revise", args=[guide.pk])
    login(client, world.a.users["company_admin"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "lift-car"}).status_code == 403
    client.logout()
    login(client, world.users["association_admin"])
    page = client.get(url + "?code=lift-car").content.decode()
    assert "电梯轿厢内壁及地面消毒" in page  # the form starts from the item
    bad = client.post(url, {"code": "lift-car", "area_kind": "lift", "title": "t", "method": "m"})
    assert bad.status_code == 200 and "请填写每日次数或间隔小时" in bad.content.decode()
    assert current().pk == guide.pk  # nothing published
    ok = client.post(
        url,
        {"code": "lift-car", "area_kind": "lift", "title": "电梯轿厢消毒", "method": "擦拭",
         "concentration": "1000 mg/L", "times_per_day": "3"},
    )  # fmt: skip
    new = current()
    assert ok.status_code == 302 and new.version == 2
    assert new.items.get(code="lift-car").times_per_day == 3
    removed = client.post(
        reverse("sanitation:guide_revise", args=[new.pk]), {"code": "mask-bin", "remove": "on"}
    )
    assert removed.status_code == 302 and not current().items.filter(code="mask-bin").exists()
    assert client.get(url).status_code == 404  # an old version is not revised


def test_override_create_reports_unknown_code_and_saves(client, world):
    planned(world.a)
    login(client, world.a.users["company_admin"])
    url = reverse("sanitation:override_create")
    bad = client.post(url, {"site_type": "residential", "code": "nope", "reason": "r"})
    assert bad.status_code == 200 and "现行指引中没有这个条目" in bad.content.decode()
    assert not ItemOverride.all_tenants.exists()
    ok = client.post(
        url,
        {"site_type": "residential", "code": "toilet", "times_per_day": "6", "reason": "人流大"},
    )
    assert ok.status_code == 302
    override = ItemOverride.all_tenants.get()
    assert (override.company_id, override.times_per_day) == (world.a.company.pk, 6)
    listing = client.get(reverse("sanitation:override_list")).content.decode()
    assert "toilet" in listing and "人流大" in listing


def test_area_create_qr_and_apply(client, world):
    from firstline.sanitation.services.library import library_install

    library_install()
    login(client, world.a.users["site_manager"])
    response = client.post(
        reverse("sanitation:area_create"),
        {
            "site": world.a.site.pk,
            "name": "1栋电梯",
            "kind": "lift",
            "building": world.a.building.pk,
        },
    )
    area = Area.all_tenants.get(site=world.a.site)
    assert response.status_code == 302 and response["Location"] == area.get_absolute_url()
    assert len(area.qr_token) >= 20
    dup = client.post(
        reverse("sanitation:area_create"),
        {"site": world.a.site.pk, "name": "1栋电梯", "kind": "lift"},
    )
    assert "该项目已有同名区域" in dup.content.decode()
    other = client.post(
        reverse("sanitation:area_create"),
        {"site": world.a.site.pk, "name": "x", "kind": "lift", "building": world.b.building.pk},
    )
    assert other.status_code == 200 and Area.all_tenants.count() == 1  # b's building: not a choice
    detail = client.get(area.get_absolute_url()).content.decode()
    assert f"/sanitation/a/{area.qr_token}/" in detail and "<svg" in detail
    apply = client.post(reverse("sanitation:plan_apply", args=[world.a.site.pk]))
    assert apply.status_code == 302
    assert PlanEntry.all_tenants.filter(area=area).count() == 2
    plan = client.get(reverse("sanitation:plan_site", args=[world.a.site.pk])).content.decode()
    assert "电梯轿厢内壁及地面消毒" in plan
    assert client.get(reverse("sanitation:plan_apply", args=[world.a.site.pk])).status_code == 405


def test_plan_apply_other_company_and_denied_roles(client, world):
    planned(world.a)
    planned(world.b)
    before = list(PlanEntry.all_tenants.order_by("pk").values_list("pk", "revision"))
    login(client, world.a.users["company_admin"])
    assert client.post(reverse("sanitation:plan_apply", args=[world.b.site.pk])).status_code == 404
    client.logout()
    login(client, world.a.users["cleaner"])
    assert client.post(reverse("sanitation:plan_apply", args=[world.a.site.pk])).status_code == 403
    client.logout()
    response = client.post(reverse("sanitation:plan_apply", args=[world.a.site.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert list(PlanEntry.all_tenants.order_by("pk").values_list("pk", "revision")) == before


def test_plan_entry_edit_bumps_revision_and_reports_errors(client, world):
    areas = planned(world.a)
    entry = PlanEntry.all_tenants.get(area=areas[AreaKind.LIFT], code="lift-car")
    login(client, world.a.users["site_manager"])
    url = reverse("sanitation:plan_entry_edit", args=[entry.pk])
    bad = client.post(
        url, {"method": "擦拭", "times_per_day": "2", "every_hours": "3", "active": "on"}
    )
    assert "每日次数和间隔小时只填一项" in bad.content.decode()
    ok = client.post(url, {"method": "擦拭", "times_per_day": "5", "active": "on"})
    assert ok.status_code == 302
    entry.refresh_from_db()
    assert (entry.times_per_day, entry.revision) == (5, 2)


def list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_run_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    planned(world.a)
    login(client, world.a.users["company_admin"])
    urls = [
        reverse("sanitation:area_list"),
        reverse("sanitation:area_qr"),
        reverse("sanitation:override_list"),
        reverse("sanitation:guide_list"),
        reverse("sanitation:plan_site", args=[world.a.site.pk]),
    ]
    few = [list_queries(client, url) for url in urls]
    for n in range(20):
        area_create(actor=None, site=world.a.site, name=f"垃圾点{n}", kind=AreaKind.GARBAGE)
    from firstline.sanitation.services.plans import plan_apply

    plan_apply(actor=None, site=world.a.site)
    many = [list_queries(client, url) for url in urls]
    assert few == many
    with django_assert_num_queries(few[0]):
        client.get(urls[0])
