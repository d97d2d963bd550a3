"""Every needs and allocation route and endpoint through the tenancy checks: the
companies' pages with the shared TenancyCases, the coordinator's (association rows)
with their own: login, 403 for company users, 404 for another association's plan."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.orgs.models import Association
from firstline.supplies.models import AllocationLine, AllocationPlan, Item, Need, NeedLine
from firstline.supplies.services.allocation import plan_propose
from firstline.supplies.tests.allocating import ask, depot, receive
from firstline.supplies.urls import allocation as allocation_urls
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import PASSWORD, World, make_user


@pytest.fixture
def world(world: World) -> World:
    d = depot(world)
    receive(world, d, [("PPE-N95", 1000)])
    for tenant in (*world.a.corners, world.b):
        ask(world, tenant, d, [("PPE-N95", 100)])
    world.plan = plan_propose(
        actor=None, association_id=world.association.pk, warehouse=d.warehouse
    )
    world.depot = d
    return world


def need_of(t):
    return Need.all_tenants.get(site=t.site)


def need_body(t) -> dict:
    return {
        "site_id": t.site.pk,
        "justification": "封闭管理",
        "lines": [{"item_id": Item.objects.get(code="DIS-84").pk, "quantity": 5}],
    }


class TestNeedsTenancy(TenancyCases):
    routes = [
        Page("supplies:needs_list", viewer="site_manager"),
        Page("supplies:needs_request"),
        Page("supplies:needs_request", viewer="site_manager"),
        Page("supplies:needs_facts", viewer="site_manager"),
        Page("supplies:needs_detail", obj=need_of, viewer="site_manager"),
        Page(
            "supplies:needs_cancel",
            obj=need_of,
            viewer="site_manager",
            method="post",
            write={},
            ok=302,  # back to the needs
        ),
    ]
    api = [
        Api("/api/v1/supplies/needs", viewer="site_manager"),
        Api("/api/v1/supplies/needs", viewer="site_manager", method="post", body=need_body),
    ]
    # The association coordinator's pages and endpoints (association rows): below.
    explicit = {
        **dict.fromkeys(
            (
                "supplies:needs_open",
                "supplies:allocation_list",
                "supplies:allocation_propose",
                "supplies:allocation_detail",
                "supplies:allocation_line",
                "supplies:allocation_approve",
                "supplies:allocation_discard",
            ),
            "test_coordinator_pages_need_login_and_the_association",
        ),
        **dict.fromkeys(
            (
                "GET /api/v1/supplies/plans",
                "POST /api/v1/supplies/plans",
                "GET /api/v1/supplies/plans/{pk}",
                "GET /api/v1/supplies/plans/{pk}/lines",
                "PATCH /api/v1/supplies/plans/{pk}/lines/{line_id}",
                "POST /api/v1/supplies/plans/{pk}/approve",
                "POST /api/v1/supplies/plans/{pk}/discard",
            ),
            "test_another_associations_plan_is_not_found",
        ),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


# --- cancel (a POST that redirects) -------------------------------------------------------


def test_need_cancel_scoped(client, world):
    a_need, b_need = need_of(world.a), need_of(world.b)
    url = reverse("supplies:needs_cancel", args=[a_need.pk])
    assert client.post(url)["Location"].startswith(reverse("login"))
    login(client, world.a.users["company_admin"])
    assert client.post(reverse("supplies:needs_cancel", args=[b_need.pk])).status_code == 404
    client.logout()
    login(client, world.a.users["guard"])
    assert client.post(url).status_code == 403
    client.logout()
    assert Need.all_tenants.get(pk=a_need.pk).state == Need.State.OPEN
    assert Need.all_tenants.get(pk=b_need.pk).state == Need.State.OPEN
    login(client, world.a.users["site_manager"])
    # committed in the draft plan does not block; nothing is committed until approval
    assert client.post(url).status_code == 302
    assert Need.all_tenants.get(pk=a_need.pk).state == Need.State.CANCELLED


# --- the API's writes ---------------------------------------------------------------------


def test_api_create_need_for_own_site_only(client, world):
    item = world.depot.items["DIS-84"].pk
    body = {
        "site_id": world.b.site.pk,
        "justification": "x",
        "lines": [{"item_id": item, "quantity": 5}],
    }
    assert (
        client.post("/api/v1/supplies/needs", body, content_type="application/json").status_code
        == 401
    )
    login(client, world.a.users["site_manager"])
    assert (
        client.post("/api/v1/supplies/needs", body, content_type="application/json").status_code
        == 404
    )
    company_body = {**body, "site_id": None, "company_id": world.a.company.pk}
    # a site manager may not ask for the company store
    resp = client.post("/api/v1/supplies/needs", company_body, content_type="application/json")
    assert resp.status_code == 404
    resp = client.post(
        "/api/v1/supplies/needs",
        {**body, "site_id": world.a.site.pk},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["company_id"] == world.a.company.pk and data["site_id"] == world.a.site.pk
    assert [(li["item_id"], li["quantity"], li["state"]) for li in data["lines"]] == [
        (item, 5, "open")
    ]
    bad = {**body, "site_id": world.a.site.pk, "lines": [{"item_id": 999999, "quantity": 5}]}
    resp = client.post("/api/v1/supplies/needs", bad, content_type="application/json")
    assert resp.status_code == 422 and "第 1 行" in resp.json()["detail"][0]["msg"]
    client.logout()
    login(client, world.a.users["guard"])
    resp = client.post(
        "/api/v1/supplies/needs",
        {**body, "site_id": world.a.site.pk},
        content_type="application/json",
    )
    assert resp.status_code == 403
    assert Need.all_tenants.filter(company=world.b.company).count() == 1


# --- the coordinator ----------------------------------------------------------------------


def coordinator_pages(world):
    plan = world.plan
    line = AllocationLine.all_tenants.filter(plan=plan).first()
    return [
        ("get", reverse("supplies:needs_open"), None),
        ("get", reverse("supplies:allocation_list"), None),
        ("get", reverse("supplies:allocation_propose"), None),
        ("get", reverse("supplies:allocation_detail", args=[plan.pk]), None),
        ("post", reverse("supplies:allocation_line", args=[plan.pk, line.pk]), {"quantity": 20}),
        ("post", reverse("supplies:allocation_approve", args=[plan.pk]), {}),
        ("post", reverse("supplies:allocation_discard", args=[plan.pk]), {}),
    ]


COORDINATOR_ROUTES = {
    "supplies:needs_open",
    "supplies:allocation_list",
    "supplies:allocation_propose",
    "supplies:allocation_detail",
    "supplies:allocation_line",
    "supplies:allocation_approve",
    "supplies:allocation_discard",
}


def test_coordinator_pages_need_login_and_the_association(client, world):
    lines_before = list(AllocationLine.all_tenants.values_list("pk", "quantity"))
    for method, url, data in coordinator_pages(world):
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login(client, world.a.users["company_admin"])
    for method, url, data in coordinator_pages(world):
        assert getattr(client, method)(url, data or {}).status_code == 403, url
    assert list(AllocationLine.all_tenants.values_list("pk", "quantity")) == lines_before
    assert AllocationPlan.all_tenants.get(pk=world.plan.pk).state == "draft"


def test_coordinator_pages_200(client, world):
    login(client, world.users["association_admin"])
    for method, url, data in coordinator_pages(world)[:5]:
        assert getattr(client, method)(url, data or {}).status_code == 200, url


def test_another_associations_plan_is_not_found(client, world):
    other = Association.objects.create(name="另一协会", short_name="另")
    login(client, make_user("other_coord", "association_admin", association=other))
    for method, url, data in coordinator_pages(world)[3:]:
        assert getattr(client, method)(url, data or {}).status_code == 404, url
    for method, path in [
        ("get", f"/api/v1/supplies/plans/{world.plan.pk}"),
        ("get", f"/api/v1/supplies/plans/{world.plan.pk}/lines"),
        ("post", f"/api/v1/supplies/plans/{world.plan.pk}/approve"),
        ("post", f"/api/v1/supplies/plans/{world.plan.pk}/discard"),
    ]:
        assert getattr(client, method)(path, {}, content_type="application/json").status_code == 404
    line = AllocationLine.all_tenants.filter(plan=world.plan).first()
    resp = client.patch(
        f"/api/v1/supplies/plans/{world.plan.pk}/lines/{line.pk}",
        {"quantity": 1},
        content_type="application/json",
    )
    assert resp.status_code == 404
    resp = client.post(
        "/api/v1/supplies/plans",
        {"warehouse_id": world.depot.warehouse.pk},
        content_type="application/json",
    )
    assert resp.status_code == 404
    assert client.get("/api/v1/supplies/plans").json()["items"] == []
    assert AllocationPlan.all_tenants.get(pk=world.plan.pk).state == "draft"
    assert NeedLine.all_tenants.filter(committed__gt=0).count() == 0


def test_company_users_cannot_use_the_plan_api(client, world):
    login(client, world.a.users["company_admin"])
    assert client.get("/api/v1/supplies/plans").status_code == 403
    resp = client.post(
        f"/api/v1/supplies/plans/{world.plan.pk}/approve", {}, content_type="application/json"
    )
    assert resp.status_code == 403
    assert AllocationPlan.all_tenants.get(pk=world.plan.pk).state == "draft"


def test_every_route_is_covered():
    declared = {f"supplies:{p.name}" for p in allocation_urls.urlpatterns}
    checked = {page.name for page in TestNeedsTenancy.routes} | COORDINATOR_ROUTES
    checked.add("supplies:needs_cancel")  # test_need_cancel_scoped
    assert declared == checked
