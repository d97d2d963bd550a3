"""The needs and allocation pages and list endpoints: what they show, what a POST
does, and a query count that does not grow with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.supplies.models import AllocationLine, AllocationPlan, Need, NeedLine, Shipment
from firstline.supplies.tests.allocating import ask, depot, receive
from firstline.supplies.tests.test_needs import isolate
from firstline.testing.world import PASSWORD


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def stocked(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 1000), ("DIS-84", 100)])
    return d


def test_request_page_shows_live_facts_and_posting_creates_the_need(client, world, stocked):
    isolate(world.a, 2)
    login(client, world.a.users["site_manager"])
    page = client.get(reverse("supplies:needs_request"))
    html = page.content.decode()
    assert 'data-testid="need-facts"' in html
    assert page.context["facts"] == {"place": "site", "staff": 1, "isolation": 2}
    n95, dis = stocked.items["PPE-N95"], stocked.items["DIS-84"]
    response = client.post(
        reverse("supplies:needs_request"),
        {
            "site": world.a.site.pk,
            "justification": "封闭管理第 10 天，口罩告急",
            f"qty_{n95.pk}": 200,
            f"qty_{dis.pk}": "",
        },
    )
    need = Need.all_tenants.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supplies:needs_detail", args=[need.pk])
    assert (need.site_id, need.isolation_cases, need.staff_on_duty) == (world.a.site.pk, 2, 1)
    assert list(NeedLine.all_tenants.values_list("item_id", "quantity")) == [(n95.pk, 200)]
    detail = client.get(response["Location"]).content.decode()
    assert "封闭管理第 10 天" in detail and 'data-testid="need-lines"' in detail


def test_request_page_refuses_no_items(client, world, stocked):
    login(client, world.a.users["company_admin"])
    response = client.post(
        reverse("supplies:needs_request"),
        {"site": "", "company": world.a.company.pk, "justification": "x"},
    )
    assert response.status_code == 200
    assert "请至少填写一种物资" in response.content.decode()
    assert not Need.all_tenants.exists()


def test_facts_fragment_for_the_company(client, world, stocked):
    isolate(world.a, 1)
    login(client, world.a.users["company_admin"])
    response = client.get(
        reverse("supplies:needs_facts"), {"site": "", "company": world.a.company.pk}
    )
    # staff of the company's two sites
    assert response.context["facts"] == {"place": "company", "staff": 2, "isolation": 1}
    # another company's site shows nothing
    response = client.get(reverse("supplies:needs_facts"), {"site": world.b.site.pk})
    assert response.context["facts"] == {}


def test_needs_list_shows_own_needs_in_fixed_queries(client, world, stocked):
    ask(world, world.a, stocked, [("PPE-N95", 100)])
    ask(world, world.b, stocked, [("PPE-N95", 100)])
    login(client, world.a.users["company_admin"])
    url = reverse("supplies:needs_list")
    few = queries(client, url)
    for _n in range(4):
        ask(world, world.a, stocked, [("PPE-N95", 100), ("DIS-84", 5)])
    assert queries(client, url) == few == 6  # session, user, roles, count, needs, lines
    response = client.get(url)
    assert len(response.context["object_list"]) == 5
    assert {n.company_id for n in response.context["object_list"]} == {world.a.company.pk}


def test_api_needs_list_fixed_queries(client, world, stocked, django_assert_num_queries):
    ask(world, world.a, stocked, [("PPE-N95", 100)])
    login(client, world.a.users["site_manager"])
    few = queries(client, "/api/v1/supplies/needs")
    for _n in range(3):
        ask(world, world.a, stocked, [("PPE-N95", 100), ("DIS-84", 5)])
    assert queries(client, "/api/v1/supplies/needs") == few
    items = client.get("/api/v1/supplies/needs").json()["items"]
    assert len(items) == 4 and sum(len(i["lines"]) for i in items) == 7


def test_open_needs_page_totals_against_stock(client, world, stocked):
    ask(world, world.a, stocked, [("PPE-N95", 300)])
    login(client, world.users["association_admin"])
    url = reverse("supplies:needs_open")
    few = queries(client, url)
    ask(world, world.b, stocked, [("PPE-N95", 900), ("DIS-84", 5)])
    ask(world, world.a, stocked, [("DIS-84", 5)], site=False)
    assert queries(client, url) == few
    response = client.get(url)
    totals = {t["item_id"]: (t["remaining"], t["stock"]) for t in response.context["totals"]}
    n95, dis = stocked.items["PPE-N95"].pk, stocked.items["DIS-84"].pk
    assert totals == {n95: (1200, 1000), dis: (10, 100)}
    filtered = client.get(url, {"district": "420106"}).context["object_list"]
    assert {li.company_id for li in filtered} == {world.b.company.pk}
    only_dis = client.get(url, {"item_id": stocked.items["DIS-84"].pk}).context["object_list"]
    assert len(only_dis) == 2


def test_plan_pages_propose_edit_approve(client, world, stocked):
    ask(world, world.a, stocked, [("PPE-N95", 800)])
    ask(world, world.b, stocked, [("PPE-N95", 800)])
    login(client, world.users["association_admin"])
    response = client.post(
        reverse("supplies:allocation_propose"),
        {"warehouse": stocked.warehouse.pk, "items": [stocked.items["PPE-N95"].pk]},
    )
    plan = AllocationPlan.all_tenants.get()
    assert response["Location"] == reverse("supplies:allocation_detail", args=[plan.pk])
    detail_url = response["Location"]
    few = queries(client, detail_url)
    page = client.get(detail_url)
    assert [t["units"] for t in page.context["totals"]] == [1000]
    assert all(r["weight"] > 0 for r in page.context["rows"])

    line = AllocationLine.all_tenants.filter(plan=plan, company=world.a.company).get()
    edit = reverse("supplies:allocation_line", args=[plan.pk, line.pk])
    refused = client.post(edit, {"quantity": 801}, HTTP_HX_REQUEST="true")
    assert 'data-testid="line-error"' in refused.content.decode()
    assert AllocationLine.all_tenants.get(pk=line.pk).quantity == line.quantity
    ok = client.post(edit, {"quantity": 300}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and 'value="300"' in ok.content.decode()
    assert queries(client, detail_url) == few

    page = client.get(detail_url).content.decode()
    assert 'data-confirm="批准后，方案' in page and 'name="confirmed"' in page
    # Unconfirmed (no script, box not ticked): nothing happens.
    client.post(reverse("supplies:allocation_approve", args=[plan.pk]))
    assert AllocationPlan.all_tenants.get(pk=plan.pk).state == "draft"
    assert not Shipment.all_tenants.exists()
    approve = {"confirmed": "1"}
    client.post(reverse("supplies:allocation_approve", args=[plan.pk]), approve)
    assert AllocationPlan.all_tenants.get(pk=plan.pk).state == "approved"
    assert Shipment.all_tenants.count() == 2
    # twice: one approval
    client.post(reverse("supplies:allocation_approve", args=[plan.pk]), approve)
    assert Shipment.all_tenants.count() == 2
    assert sum(NeedLine.all_tenants.values_list("committed", flat=True)) == 800
    listing = client.get(reverse("supplies:allocation_list"))
    assert [p.pk for p in listing.context["object_list"]] == [plan.pk]


def test_plan_api_propose_patch_approve(client, world, stocked):
    ask(world, world.a, stocked, [("PPE-N95", 200)])
    login(client, world.users["association_admin"])
    resp = client.post(
        "/api/v1/supplies/plans",
        {"warehouse_id": stocked.warehouse.pk},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    plan = resp.json()
    assert plan["state"] == "draft" and plan["units"] == 200
    lines = client.get(f"/api/v1/supplies/plans/{plan['id']}/lines").json()["items"]
    resp = client.patch(
        f"/api/v1/supplies/plans/{plan['id']}/lines/{lines[0]['id']}",
        {"quantity": 120},
        content_type="application/json",
    )
    assert resp.json()["totals"] == [
        {"item_id": stocked.items["PPE-N95"].pk, "lines": 1, "units": 120}
    ]
    resp = client.post(
        f"/api/v1/supplies/plans/{plan['id']}/approve", {}, content_type="application/json"
    )
    assert resp.status_code == 200
    assert [s["company_id"] for s in resp.json()["shipments"]] == [world.a.company.pk]
    again = client.post(
        f"/api/v1/supplies/plans/{plan['id']}/approve", {}, content_type="application/json"
    )
    assert again.status_code == 422
    assert client.get("/api/v1/supplies/plans").json()["items"][0]["state"] == "approved"
