"""Shipment pages and API through the tenancy checks: a company's user sees and signs
for only its own shipments, records use only at its own sites; b's user asking for
a's shipment gets a 404 and nothing changes. The coordinator's pages are the
association's: a company user is refused, another association's coordinator finds
nothing (404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.orgs.models import Association
from firstline.supplies.models import Balance, LedgerEntry, NeedLine, Shipment, ShipmentLine
from firstline.supplies.services.shipments import shipment_dispatch
from firstline.supplies.tests import shipping
from firstline.supplies.urls import shipments as shipments_urls
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import PASSWORD, World, make_user


def furnish(world: World) -> None:
    """Each of company a's sites and b's first gets one shipment in transit to it (and
    one READY)."""
    n95 = shipping.item()
    batch = shipping.stock_in(world, [(n95, 1000)])
    for tenant in (*world.a.corners, world.b):
        (line,) = shipping.need(tenant, [(n95, 500)])
        moving = shipping.approved_shipment(world, tenant, line, n95, [(batch, 100)])
        shipment_dispatch(actor=world.users["association_admin"], shipment=moving)
        tenant.moving = moving
        tenant.ready = shipping.approved_shipment(world, tenant, line, n95, [(batch, 50)])


@pytest.fixture
def world(world: World) -> World:
    furnish(world)
    return world


def moving(t):
    return t.moving


class TestShipmentTenancy(TenancyCases):
    routes = [
        Page("supplies:incoming_list", viewer="site_manager"),
        Page("supplies:incoming_detail", obj=moving),
        Page("supplies:incoming_receipt", obj=moving, viewer="site_manager"),
        Page("supplies:incoming_receive", obj=moving, viewer="site_manager", write={}),
        Page("supplies:site_stock_list", viewer="site_manager", site_field="pk"),
        Page("supplies:site_stock", obj=lambda t: t.site),
        Page("supplies:consumption_record", obj=lambda t: t.site, write={"reason": "越权"}),
    ]
    api = [
        Api("/api/v1/supplies/shipments"),
        Api("/api/v1/supplies/shipments/{id}", obj=moving, viewer="site_manager"),
        Api(
            "/api/v1/supplies/shipments/{id}/receive",
            obj=moving,
            viewer="site_manager",
            method="post",
            body=lambda t: {
                "lines": [
                    {
                        "line_id": ShipmentLine.all_tenants.get(shipment=t.moving).pk,
                        "received_quantity": 100,
                    }
                ]
            },
        ),
    ]
    explicit = {
        **dict.fromkeys(
            (
                "supplies:shipment_list",
                "supplies:shipment_detail",
                "supplies:shipment_dispatch",
                "supplies:plan_dispatch",
                "POST /api/v1/supplies/shipments/{pk}/dispatch",
            ),
            "test_company_users_cannot_use_the_coordinator_pages",
        ),
        # Use needs stock at the site, which the shipments here have not delivered yet.
        "POST /api/v1/supplies/sites/{pk}/consumption": "test_no_one_records_use_at_a_site_not_theirs",
    }


COORDINATOR_ROUTES = {
    "supplies:shipment_list",
    "supplies:shipment_detail",
    "supplies:shipment_dispatch",
    "supplies:plan_dispatch",
}


def test_every_shipment_route_is_covered():
    """A new shipment page must join the tenancy checks (or the coordinator's below)."""
    declared = {f"supplies:{pattern.name}" for pattern in shipments_urls.urlpatterns}
    assert declared == {page.name for page in TestShipmentTenancy.routes} | COORDINATOR_ROUTES


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def state(shipment) -> str:
    return Shipment.all_tenants.get(pk=shipment.pk).state


def ledger_size() -> tuple[int, int]:
    return LedgerEntry.all_tenants.count(), sum(
        Balance.all_tenants.values_list("quantity", flat=True)
    )


@pytest.mark.django_db
def test_b_cannot_receive_a_shipment_page_or_api(client, world):
    (line,) = ShipmentLine.all_tenants.filter(shipment=world.a.moving)
    need_before = NeedLine.all_tenants.filter(pk=line.need_line_id).values().get()
    before = ledger_size()
    login(client, world.b.users["site_manager"])
    url = reverse("supplies:incoming_receive", args=[world.a.moving.pk])
    assert client.post(url, {f"qty_{line.pk}": "100"}).status_code == 404
    response = client.post(
        f"/api/v1/supplies/shipments/{world.a.moving.pk}/receive",
        {"lines": [{"line_id": line.pk, "received_quantity": 100}]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert state(world.a.moving) == Shipment.State.IN_TRANSIT
    assert ShipmentLine.all_tenants.get(pk=line.pk).received_quantity is None
    assert NeedLine.all_tenants.filter(pk=line.need_line_id).values().get() == need_before
    assert ledger_size() == before


@pytest.mark.django_db
def test_no_one_records_use_at_a_site_not_theirs(client, world):
    """b's site manager at a's site, a's site manager at a's second site: 404."""
    before = ledger_size()
    for user, site in (
        (world.b.users["site_manager"], world.a.site),
        (world.a.users["site_manager"], world.a.sibling.site),
    ):
        login(client, user)
        response = client.post(
            f"/api/v1/supplies/sites/{site.pk}/consumption",
            {"lines": [{"item_code": "N95-01", "quantity": 1}], "reason": "越权"},
            content_type="application/json",
        )
        assert response.status_code == 404
        client.logout()
    assert ledger_size() == before


@pytest.mark.django_db
def test_company_users_cannot_use_the_coordinator_pages(client, world):
    login(client, world.a.users["company_admin"])
    for name, pk in [
        ("supplies:shipment_list", None),
        ("supplies:shipment_detail", world.a.ready.pk),
    ]:
        url = reverse(name, args=[pk] if pk else [])
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("supplies:shipment_dispatch", args=[world.a.ready.pk])).status_code
        == 403
    )
    assert (
        client.post(reverse("supplies:plan_dispatch", args=[world.a.ready.plan_id])).status_code
        == 403
    )
    response = client.post(
        f"/api/v1/supplies/shipments/{world.a.ready.pk}/dispatch", content_type="application/json"
    )
    assert response.status_code == 403
    assert state(world.a.ready) == Shipment.State.READY


@pytest.mark.django_db
def test_anonymous_goes_to_login_on_coordinator_pages(client, world):
    for name, args, method in [
        ("supplies:shipment_list", [], "get"),
        ("supplies:shipment_detail", [world.a.ready.pk], "get"),
        ("supplies:shipment_dispatch", [world.a.ready.pk], "post"),
        ("supplies:plan_dispatch", [world.a.ready.plan_id], "post"),
    ]:
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert state(world.a.ready) == Shipment.State.READY


@pytest.mark.django_db
def test_another_associations_coordinator_finds_nothing(client, world):
    other = Association.objects.create(name="另一协会", short_name="另协")
    login(client, make_user("other_assoc", "association_admin", association=other))
    assert (
        client.get(reverse("supplies:shipment_detail", args=[world.a.ready.pk])).status_code == 404
    )
    url = reverse("supplies:shipment_dispatch", args=[world.a.ready.pk])
    assert client.post(url).status_code == 404
    url = reverse("supplies:plan_dispatch", args=[world.a.ready.plan_id])
    assert client.post(url).status_code == 404
    response = client.post(
        f"/api/v1/supplies/shipments/{world.a.ready.pk}/dispatch", content_type="application/json"
    )
    assert response.status_code == 404
    listing = client.get(reverse("supplies:shipment_list"))
    assert listing.status_code == 200
    assert world.a.ready.number not in listing.content.decode()
    assert state(world.a.ready) == Shipment.State.READY
