"""Who may do what in the programme, beyond the shared tenancy matrix: a supplier
sees and confirms only its own purchase orders; an owner orders only for its own
household; the receipt and handover only at one's own site; closing is the
organiser's; the public impact needs no login and moves by exactly what was handed
over."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.market.models import Campaign, Order, PurchaseOrder
from firstline.market.services import purchasing
from firstline.market.tests.furnish import furnish, open_campaign
from firstline.testing.world import PASSWORD, World

pytestmark = pytest.mark.django_db
API = "/api/v1/market"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_supplier_sees_and_confirms_only_its_own(client, world):
    po = world.a.purchase_order
    # Given another supplier: it sees none of these purchase orders and cannot confirm.
    login(client, world.users["other_supplier"])
    assert client.get(f"{API}/supplier/purchase-orders").json()["items"] == []
    assert client.get(reverse("market:supplier_orders")).context["purchase_orders"] == []
    assert post(client, f"{API}/supplier/purchase-orders/{po.pk}/confirm").status_code == 404
    assert client.post(reverse("market:supplier_confirm", args=[po.pk])).status_code == 404
    assert PurchaseOrder.all_tenants.get(pk=po.pk).state == "sent"
    client.logout()
    # A site manager is no supplier.
    login(client, world.a.users["site_manager"])
    assert client.get(f"{API}/supplier/purchase-orders").status_code == 403
    client.logout()
    # The supplier sees its four (one per site) and confirms one with less rice.
    login(client, world.users["supplier"])
    items = client.get(f"{API}/supplier/purchase-orders").json()["items"]
    assert sorted(i["id"] for i in items) == sorted(
        t.purchase_order.pk for x in (world.a, world.b) for t in x.corners
    )
    response = post(
        client,
        f"{API}/supplier/purchase-orders/{po.pk}/confirm",
        {"confirmed": [{"product_id": world.rice.pk, "quantity": 0}]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "confirmed"
    assert world.a.order.lines.get(product=world.rice).short == 1
    other = world.b.purchase_order
    page = client.post(
        reverse("market:supplier_confirm", args=[other.pk]), {f"c{world.apple.pk}": "2"}
    )
    assert page.status_code == 302
    assert PurchaseOrder.all_tenants.get(pk=other.pk).state == "confirmed"
    too_many = post(
        client,
        f"{API}/supplier/purchase-orders/{world.a.sibling.purchase_order.pk}/confirm",
        {"confirmed": [{"product_id": world.apple.pk, "quantity": 3}]},
    )
    assert too_many.status_code == 422


def test_owner_orders_only_for_its_household(client, world):
    login(client, world.a.users["resident"])
    body = {
        "campaign_site_id": world.a.campaign_site.pk,
        "lines": [{"product_id": world.apple.pk, "quantity": 2}],
        "handover": "doorstep",
    }
    response = post(client, f"{API}/my/orders", body)
    assert response.status_code == 200, response.content
    made = response.json()
    assert (made["household_id"], made["total_fen"]) == (world.a.household.pk, 2 * 6800)
    # Another site's campaign, another company's campaign: 404, nothing made.
    for other in (world.a.sibling, world.b):
        body["campaign_site_id"] = other.campaign_site.pk
        assert post(client, f"{API}/my/orders", body).status_code == 404
    assert Order.all_tenants.filter(campaign=world.campaign).count() == 1
    bad = post(
        client,
        f"{API}/my/orders",
        {
            "campaign_site_id": world.a.campaign_site.pk,
            "lines": [{"product_id": 1, "quantity": -1}],
        },
    )
    assert bad.status_code == 422
    assert post(client, f"{API}/my/orders/{world.b.order.pk}/cancel").status_code == 404
    cancelled = post(client, f"{API}/my/orders/{made['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    # The phone page orders the same way.
    page = client.post(
        reverse("market:shop", args=[world.a.campaign_site.pk]),
        {f"q{world.apple.pk}": "1", f"q{world.rice.pk}": "0", "handover": "pickup"},
    )
    assert page.status_code == 302
    assert Order.all_tenants.get(pk=made["id"]).state == "placed"


def test_receipt_and_handover_at_the_own_site_only(client, world):
    po = world.a.purchase_order
    purchasing.po_confirm(actor=None, purchase_order=po, confirmed={})
    login(client, world.a.sibling.users["site_manager"])
    assert post(client, f"{API}/purchase-orders/{po.pk}/receive").status_code == 404
    assert post(client, f"{API}/orders/{world.a.order.pk}/handover").status_code == 404
    client.logout()
    login(client, world.a.users["site_manager"])
    early = post(client, f"{API}/orders/{world.a.order.pk}/handover")
    assert early.status_code == 422
    received = post(client, f"{API}/purchase-orders/{po.pk}/receive", {"quality_issues": "无"})
    assert received.status_code == 200, received.content
    assert received.json()["state"] == "received"
    handed = post(client, f"{API}/orders/{world.a.order.pk}/handover")
    assert handed.status_code == 200
    assert handed.json()["state"] == "delivered"
    assert all(
        line["quantity"] == line["delivered"] + line["short"] + line["refunded"]
        for line in handed.json()["lines"]
    )
    lookup = client.get(reverse("market:handover"), {"room": "301"})
    assert lookup.context["found"] == []  # handed over already


def test_closing_is_the_organiser_s(client, world):
    login(client, world.a.users["company_admin"])
    assert post(client, f"{API}/campaigns/{world.campaign.pk}/close").status_code == 404
    page = reverse("market:campaign_close", args=[world.campaign.pk])
    assert client.get(page).status_code == 404
    assert client.post(page).status_code == 404
    assert Campaign.all_tenants.get(pk=world.campaign.pk).state == "open"
    client.logout()
    login(client, world.a.users["site_manager"])
    assert client.get(page).status_code == 403
    client.logout()
    login(client, world.users["association_admin"])
    assert client.get(page).status_code == 200  # asks first
    assert Campaign.all_tenants.get(pk=world.campaign.pk).state == "open"
    response = post(client, f"{API}/campaigns/{world.campaign.pk}/close")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"  # no orders yet: nothing to buy
    assert response.json()["purchase_orders"] == 0
    closed = open_campaign(world, [world.apple], title="第二期")
    assert client.post(reverse("market:campaign_close", args=[closed.pk])).status_code == 302
    assert Campaign.all_tenants.get(pk=closed.pk).state == "closed"


def test_public_impact_moves_by_exactly_the_delivered_order(client, world):
    before = client.get(f"{API}/impact").json()["total"]
    assert client.get(reverse("market:impact")).status_code == 200
    po = world.a.purchase_order
    purchasing.po_confirm(actor=None, purchase_order=po, confirmed={})
    purchasing.po_receive(actor=None, purchase_order=po)
    purchasing.order_handover(actor=None, order=world.a.order)
    after = client.get(f"{API}/impact").json()["total"]
    # 2 oranges of 5 kg and 1 rice of 10 kg = 40 jin; 2 × 68 + 99 = 235 yuan
    assert (after["jin"] - before["jin"], after["yuan"] - before["yuan"]) == (40, 235)
    assert after["households"] - before["households"] == 1
    page = client.get(reverse("market:impact"))
    assert page.context["figures"]["total"].jin == after["jin"]


def test_impact_workbook_is_for_managers(client, world):
    url = reverse("market:impact") + "?export=xlsx"
    assert client.get(url).status_code == 403
    login(client, world.a.users["resident"])
    assert client.get(url).status_code == 403
    client.logout()
    login(client, world.users["association_admin"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
