"""Who may open the donation and stock pages. Company pages go through the shared
tenancy checks (company a's user asking for b's stock → 404); the coordinator's
pages are association-level: any non-coordinator gets 403, and another
association's donor, batch, pledge or document is 404 to our coordinator."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from firstline.orgs.models import Association
from firstline.supplies.models import Balance, BatchLine, InboundBatch, LedgerEntry, Location
from firstline.supplies.services import ledger
from firstline.supplies.services.catalogue import catalogue_install
from firstline.supplies.services.donations import (
    donor_create,
    pledge_create,
    quality_document_add,
    warehouse_create,
)
from firstline.supplies.services.locations import warehouse_location
from firstline.supplies.tests.stocking import site_of, stocked, store_of
from firstline.supplies.urls import donations as donations_urls
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import PASSWORD, World, make_user


@pytest.fixture
def world(world: World) -> World:
    s = stocked(world, quantity=100)
    moves = []
    for tenant in (world.a, world.b):  # each company's store, a's two sites, b's first
        sites = tenant.corners if tenant is world.a else (tenant,)
        for location in (store_of(world, tenant), *(site_of(world, t) for t in sites)):
            moves.append(
                ledger.Move(
                    "dispatch",
                    s.items["PPE-N95"].pk,
                    s.batch.pk,
                    s.warehouse_location.pk,
                    location.pk,
                    5,
                )
            )
    ledger.post(association_id=world.association.pk, moves=moves)
    return world


def site_location_of(t):
    return Location.all_tenants.get(site_id=t.site.pk)


class TestDonationsTenancy(TenancyCases):
    routes = [
        Page("supplies:stock_mine", rows="object_list", site_field="location.site_id"),
        Page(
            "supplies:stock_mine",
            viewer="site_manager",
            rows="object_list",
            site_field="location.site_id",
        ),
        Page("supplies:transfer"),
        Page("supplies:stock_location", obj=site_location_of),
        Page("supplies:stock_location", obj=site_location_of, viewer="site_manager"),
    ]
    api = [
        Api("/api/v1/supplies/stock"),
        Api("/api/v1/supplies/stock", viewer="site_manager"),
        Api("/api/v1/supplies/items", shared="the item catalogue is shared reference data"),
    ]
    # The association coordinator's pages and endpoints (association rows): below.
    explicit = {
        **dict.fromkeys(
            (
                f"supplies:{name}"
                for name in (
                    "item_list",
                    "donor_list",
                    "donor_create",
                    "donor_edit",
                    "campaign_list",
                    "campaign_create",
                    "warehouse_list",
                    "warehouse_create",
                    "pledge_list",
                    "pledge_create",
                    "pledge_cancel",
                    "batch_list",
                    "batch_receive",
                    "batch_detail",
                    "document_add",
                    "document_download",
                    "stock_list",
                    "reconciliation",
                    "stock_adjust",
                )
            ),
            "test_coordinator_pages_refuse_everyone_else",
        ),
        "GET /api/v1/supplies/donors": "test_company_users_cannot_use_the_coordinator_api",
        "GET /api/v1/supplies/batches": "test_company_users_cannot_use_the_coordinator_api",
        "POST /api/v1/supplies/batches": "test_company_users_cannot_use_the_coordinator_api",
        "GET /api/v1/supplies/batches/{pk}": "test_another_associations_objects_are_404",
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def other(world, settings, tmp_path):
    """A second association with its own donor, batch, pledge and document."""
    settings.MEDIA_ROOT = tmp_path
    catalogue_install()
    association = Association.objects.create(name="另一协会", short_name="另协")
    donor = donor_create(
        actor=None, association_id=association.pk, kind="company", name="外协捐赠方"
    )
    warehouse = warehouse_create(
        actor=None, association_id=association.pk, name="外仓", district=world.divisions["420106"]
    )
    from firstline.supplies.models import Item

    n95 = Item.objects.get(code="PPE-N95")
    # Made directly, not through batch_receive: a second association's ledger entries
    # collide on LedgerEntry.seq (unique across all associations; see
    # test_ledger.test_two_associations_keep_separate_chains). Access is what is tested here.
    batch = InboundBatch.objects.create(
        association=association,
        number=1,
        donor=donor,
        warehouse=warehouse,
        received_at=timezone.now(),
    )
    BatchLine.objects.create(batch=batch, item=n95, quantity=9)
    warehouse_location(warehouse)
    pledge = pledge_create(actor=None, donor=donor, item=n95, quantity=1)
    document = quality_document_add(
        actor=None,
        batch=batch,
        kind="other",
        title="外协文件",
        file=SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png"),
    )
    return {
        "donor": donor,
        "batch": batch,
        "pledge": pledge,
        "document": document,
        "warehouse_location": Location.all_tenants.get(warehouse=warehouse),
    }


OBJECT_ROUTES = {
    "supplies:donor_edit": "donor",
    "supplies:batch_detail": "batch",
    "supplies:document_add": "batch",
    "supplies:document_download": "document",
    "supplies:pledge_cancel": "pledge",
}
POST_ONLY = {"supplies:pledge_cancel"}
COMPANY_ROUTES = {"supplies:stock_mine", "supplies:transfer", "supplies:stock_location"}
COORDINATOR_ROUTES = sorted(
    f"supplies:{p.name}"
    for p in donations_urls.urlpatterns
    if f"supplies:{p.name}" not in COMPANY_ROUTES
)


def url_for(name, other):
    key = OBJECT_ROUTES.get(name)
    return reverse(name, args=[other[key].pk]) if key else reverse(name)


@pytest.mark.parametrize("name", COORDINATOR_ROUTES)
def test_coordinator_pages_refuse_everyone_else(client, world, other, name):
    url = url_for(name, other)
    method = client.post if name in POST_ONLY else client.get
    response = method(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user in (
        world.a.users["company_admin"],
        world.a.users["site_manager"],
        world.a.users["guard"],
        world.users["no_role"],
        world.users["authority_viewer"],
    ):
        client.logout()
        login(client, user)
        assert method(url).status_code == 403, (name, user.username)


@pytest.mark.parametrize("name", sorted(OBJECT_ROUTES))
def test_another_associations_objects_are_404(client, world, other, name):
    login(client, world.users["association_admin"])
    method = client.post if name in POST_ONLY else client.get
    assert method(url_for(name, other)).status_code == 404
    assert (
        client.get(
            reverse("supplies:stock_location", args=[other["warehouse_location"].pk])
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/supplies/batches/{other['batch'].pk}").status_code == 404


def test_another_associations_rows_stay_out_of_lists(client, world, other):
    login(client, world.users["association_admin"])
    for name in (
        "supplies:donor_list",
        "supplies:batch_list",
        "supplies:pledge_list",
        "supplies:stock_list",
    ):
        page = client.get(reverse(name)).content.decode()
        assert "外协捐赠方" not in page and "外仓" not in page, name
    assert "外协捐赠方" not in client.get("/api/v1/supplies/donors").content.decode()
    stock = client.get("/api/v1/supplies/stock").json()["items"]
    assert other["warehouse_location"].pk not in {row["location_id"] for row in stock}


def test_company_users_cannot_use_the_coordinator_api(client, world, other):
    login(client, world.a.users["company_admin"])
    assert client.get("/api/v1/supplies/donors").status_code == 403
    assert client.get("/api/v1/supplies/batches").status_code == 403
    response = client.post(
        "/api/v1/supplies/batches",
        {
            "donor_id": other["donor"].pk,
            "warehouse_id": 1,
            "lines": [{"item_code": "PPE-N95", "quantity": 1}],
        },
        content_type="application/json",
    )
    assert response.status_code == 403


def test_transfer_denied_changes_nothing(client, world):
    before = dict(Balance.all_tenants.values_list("pk", "quantity"))
    entries = LedgerEntry.all_tenants.count()
    store, site = store_of(world, world.a), site_of(world, world.a)
    data = {"from_location": store.pk, "to_location": site.pk, "item": 1, "quantity": 1}
    for user in (world.a.users["guard"], world.a.users["site_manager"]):
        login(client, user)
        assert client.post(reverse("supplies:transfer"), data).status_code == 403
        client.logout()
    # company a's admin naming company b's store: not a choice of the form
    login(client, world.a.users["company_admin"])
    data["from_location"] = store_of(world, world.b).pk
    assert client.post(reverse("supplies:transfer"), data).status_code == 200
    assert dict(Balance.all_tenants.values_list("pk", "quantity")) == before
    assert LedgerEntry.all_tenants.count() == entries


def test_coordinator_pages_open_for_association_staff(client, world):
    staff = make_user("staff", "association_staff", association=world.association)
    login(client, staff)
    assert client.get(reverse("supplies:batch_list")).status_code == 200


def test_every_donations_route_is_covered():
    declared = {f"supplies:{p.name}" for p in donations_urls.urlpatterns}
    assert declared == set(COORDINATOR_ROUTES) | {r.name for r in TestDonationsTenancy.routes}
