"""Shipment pages and API: the coordinator dispatches (one and a whole plan), the
site signs with a shortfall (the reason's message on its line), records use; lists
run a fixed number of queries whatever their size."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.supplies.models import (
    Balance,
    LedgerEntry,
    Location,
    NeedLine,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.services.shipments import shipment_dispatch
from firstline.supplies.tests import shipping
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def stock(world):
    n95 = shipping.item()
    return n95, shipping.stock_in(world, [(n95, 1000)])


def make(world, tenant, stock, quantity=100, count=1):
    n95, batch = stock
    (line,) = shipping.need(tenant, [(n95, 10_000)])
    return [
        shipping.approved_shipment(world, tenant, line, n95, [(batch, quantity)])
        for _ in range(count)
    ]


def test_coordinator_dispatches_from_the_detail_page(client, world, stock):
    (shipment,) = make(world, world.a, stock)
    login(client, world.users["association_admin"])
    page = client.get(reverse("supplies:shipment_detail", args=[shipment.pk]))
    assert page.status_code == 200
    assert reverse("supplies:shipment_dispatch", args=[shipment.pk]) in page.content.decode()
    url = reverse("supplies:shipment_dispatch", args=[shipment.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a second click changes nothing
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.IN_TRANSIT
    assert LedgerEntry.all_tenants.filter(shipment_id=shipment.pk).count() == 1


def test_plan_dispatch_sends_every_ready_shipment(client, world, stock):
    n95, batch = stock
    (line,) = shipping.need(world.a, [(n95, 500)])
    shipment = shipping.approved_shipment(world, world.a, line, n95, [(batch, 40)])
    login(client, world.users["association_admin"])
    page = client.get(reverse("supplies:shipment_detail", args=[shipment.pk])).content.decode()
    assert 'data-confirm="全部发货后，方案' in page and 'name="confirmed"' in page
    url = reverse("supplies:plan_dispatch", args=[shipment.plan_id])
    response = client.post(url, follow=True)  # unconfirmed: nothing moves
    assert "请先勾选确认" in response.content.decode()
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.READY
    response = client.post(url, {"confirmed": "1"}, follow=True)
    assert response.status_code == 200
    assert "已发货 1 单" in response.content.decode()
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.IN_TRANSIT


def test_shipment_list_filters_and_fixed_queries(client, world, stock, django_assert_num_queries):
    a_links = [
        reverse("supplies:shipment_detail", args=[s.pk])
        for s in make(world, world.a, stock, quantity=10, count=2)
    ]
    (b_one,) = make(world, world.b, stock, quantity=10)
    shipment_dispatch(actor=world.users["association_admin"], shipment=b_one)
    login(client, world.users["association_admin"])
    url = reverse("supplies:shipment_list")
    client.get(url)  # warm the session
    with django_assert_num_queries(8) as small:
        response = client.get(url)
    fixed = len(small.captured_queries)
    b_link = reverse("supplies:shipment_detail", args=[b_one.pk])
    body = response.content.decode()
    assert b_link in body
    filtered = client.get(url, {"state": "in_transit"}).content.decode()
    assert b_link in filtered and not any(link in filtered for link in a_links)
    by_company = client.get(url, {"company": world.a.company.pk}).content.decode()
    assert b_link not in by_company and all(link in by_company for link in a_links)
    assert b_link in client.get(url, {"district": "420106"}).content.decode()
    assert b_link not in client.get(url, {"district": "420103"}).content.decode()
    make(world, world.a, stock, quantity=10, count=6)
    with django_assert_num_queries(fixed):
        client.get(url)


def test_site_signs_with_a_shortfall_and_the_reason_is_required(client, world, stock):
    (shipment,) = make(world, world.a, stock)
    shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    (line,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    login(client, world.a.users["site_manager"])
    url = reverse("supplies:incoming_receive", args=[shipment.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert f'name="qty_{line.pk}"' in form.content.decode()
    assert 'value="100"' in form.content.decode()  # defaults to what was sent

    refused = client.post(url, {f"qty_{line.pk}": "95", f"reason_{line.pk}": ""})
    assert refused.status_code == 200
    assert "请说明原因" in refused.content.decode()
    assert Shipment.all_tenants.get(pk=shipment.pk).state == Shipment.State.IN_TRANSIT

    done = client.post(url, {f"qty_{line.pk}": "95", f"reason_{line.pk}": "5只破损"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert (line.received_quantity, line.difference_reason) == (95, "5只破损")
    need = NeedLine.all_tenants.get(pk=line.need_line_id)
    assert (need.committed, need.in_transit, need.fulfilled) == (0, 0, 95)
    assert need.state == NeedLine.State.PARTLY
    detail = client.get(reverse("supplies:incoming_detail", args=[shipment.pk]))
    assert "5只破损" in detail.content.decode()


def test_incoming_list_fixed_queries(client, world, stock, django_assert_num_queries):
    make(world, world.a, stock, quantity=5, count=2)
    login(client, world.a.users["company_admin"])
    url = reverse("supplies:incoming_list")
    client.get(url)
    with django_assert_num_queries(5) as small:
        client.get(url)
    fixed = len(small.captured_queries)
    make(world, world.a, stock, quantity=5, count=5)
    with django_assert_num_queries(fixed):
        client.get(url)


def test_record_use_page_and_site_stock(client, world, stock, django_assert_num_queries):
    n95, _batch = stock
    (shipment,) = make(world, world.a, stock)
    shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    (line,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    login(client, world.a.users["site_manager"])
    client.post(reverse("supplies:incoming_receive", args=[shipment.pk]), {f"qty_{line.pk}": "100"})
    url = reverse("supplies:consumption_record", args=[world.a.site.pk])
    too_many = client.post(url, {"item_1": n95.pk, "qty_1": "101", "reason": "门岗"})
    assert too_many.status_code == 200
    assert "现有 100" in too_many.content.decode()
    no_qty = client.post(url, {"item_1": n95.pk, "reason": "门岗"})
    assert "请填写数量" in no_qty.content.decode()
    assert client.post(url, {"item_1": n95.pk, "qty_1": "30", "reason": "门岗"}).status_code == 302
    site = Location.all_tenants.get(site_id=world.a.site.pk)
    assert Balance.all_tenants.get(location=site).quantity == 70

    stock_url = reverse("supplies:site_stock", args=[world.a.site.pk])
    with django_assert_num_queries(8) as counted:
        page = client.get(stock_url)
    fixed = len(counted.captured_queries)
    assert "门岗" in page.content.decode()
    for _ in range(3):
        client.post(url, {"item_1": n95.pk, "qty_1": "1", "reason": "门岗"})
    with django_assert_num_queries(fixed):
        client.get(stock_url)
    listing = client.get(reverse("supplies:site_stock_list"))
    assert "67" in listing.content.decode()


def test_api_receive_and_consumption(client, world, stock):
    (shipment,) = make(world, world.a, stock)
    login(client, world.users["association_admin"])
    dispatched = client.post(
        f"/api/v1/supplies/shipments/{shipment.pk}/dispatch", content_type="application/json"
    )
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["state"] == "in_transit"
    client.logout()
    (line,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    login(client, world.a.users["site_manager"])
    url = f"/api/v1/supplies/shipments/{shipment.pk}/receive"
    missing_reason = client.post(
        url,
        {"lines": [{"line_id": line.pk, "received_quantity": 90}]},
        content_type="application/json",
    )
    assert missing_reason.status_code == 422
    assert missing_reason.json()["detail"][0]["loc"] == ["body", "payload", f"reason_{line.pk}"]
    ok = client.post(
        url,
        {"lines": [{"line_id": line.pk, "received_quantity": 90, "reason": "少10"}]},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["state"] == "received"
    assert body["lines"][0]["received_quantity"] == 90

    used = client.post(
        f"/api/v1/supplies/sites/{world.a.site.pk}/consumption",
        {"lines": [{"item_code": "N95-01", "quantity": 40}], "reason": "消杀"},
        content_type="application/json",
    )
    assert used.status_code == 200, used.content
    assert sum(e["quantity"] for e in used.json()["entries"]) == 40
    unknown = client.post(
        f"/api/v1/supplies/sites/{world.a.site.pk}/consumption",
        {"lines": [{"item_code": "NOPE", "quantity": 1}], "reason": "消杀"},
        content_type="application/json",
    )
    assert unknown.status_code == 422
    listing = client.get("/api/v1/supplies/shipments").json()
    assert [item["number"] for item in listing["items"]] == [shipment.number]


def test_the_receipt_prints_the_lines_with_blanks_to_fill_and_then_what_arrived(
    client, world, stock
):
    (shipment,) = make(world, world.a, stock)
    shipment_dispatch(actor=world.users["association_admin"], shipment=shipment)
    (line,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    login(client, world.a.users["site_manager"])
    url = reverse("supplies:incoming_receipt", args=[shipment.pk])
    detail = client.get(reverse("supplies:incoming_detail", args=[shipment.pk])).content.decode()
    assert f'href="{url}"' in detail
    page = client.get(url).content.decode()
    assert shipment.number in page and world.a.site.name in page
    assert page.count('data-testid="print-line"') == 1
    assert '<td class="fl-num fl-blank"></td>' in page  # received: to write in by hand
    assert "收货人（签字）" in page and "送货人（签字）" in page
    assert "fl-sidebar" not in page and "/static/firstline/print.js" in page
    client.post(
        reverse("supplies:incoming_receive", args=[shipment.pk]),
        {f"qty_{line.pk}": "95", f"reason_{line.pk}": "5只破损"},
    )
    page = client.get(url).content.decode()
    assert '<td class="fl-num fl-blank">95</td>' in page and "5只破损" in page
    # Another company's user: 404, like the detail page.
    client.logout()
    login(client, world.b.users["company_admin"])
    assert client.get(url).status_code == 404
