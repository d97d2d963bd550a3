"""A donor's own pages: its pledges and batches and where every unit went; another
donor's batch is 404, and no one else may use the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Site
from firstline.supplies.models import (
    BatchLine,
    Donor,
    InboundBatch,
    LedgerEntry,
    Location,
    Pledge,
    Warehouse,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.catalogue import catalogue_install
from firstline.supplies.services.locations import (
    donor_location,
    site_location,
    system_location,
    warehouse_location,
)
from firstline.supplies.urls import donor as donor_urls
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, World, make_user


def give(world: World, tenant, key: str, number: int) -> InboundBatch:
    """A donor login for `tenant`'s side of the test, its pledge and one batch that
    went to the tenant's site: donor → warehouse → transit → site."""
    user = make_user(f"donor_{key}", "donor", association=world.association)
    tenant.users["donor"] = user
    donor = Donor.objects.create(
        association=world.association,
        kind=Donor.Kind.COMPANY,
        name=f"{key}爱心企业",
        public_name=f"{key}爱心企业",
        account=user,
    )
    item = catalogue_install()[0]
    warehouse, _ = Warehouse.all_tenants.get_or_create(
        association=world.association,
        name="江汉仓",
        defaults={"district": world.divisions["420103"]},
    )
    Pledge.objects.create(donor=donor, item=item, quantity=100, pledged_at=timezone.now())
    batch = InboundBatch.objects.create(
        association=world.association,
        number=number,
        donor=donor,
        warehouse=warehouse,
        received_at=timezone.now() - timedelta(days=2),
    )
    BatchLine.objects.create(batch=batch, item=item, quantity=100)
    aid = world.association.pk
    site = Site.all_tenants.select_related("community").get(pk=tenant.site.pk)
    here = site_location(site, association_id=aid)
    transit = system_location(Location.Kind.TRANSIT, association_id=aid)
    store = warehouse_location(warehouse).pk
    move = {"item_id": item.pk, "batch_id": batch.pk}
    ledger.post(
        association_id=aid,
        moves=[
            ledger.Move(
                "inbound",
                **move,
                from_location_id=donor_location(donor).pk,
                to_location_id=store,
                quantity=100,
            )
        ],
    )
    ledger.post(
        association_id=aid,
        moves=[
            ledger.Move(
                "dispatch", **move, from_location_id=store, to_location_id=transit.pk, quantity=60
            ),
            ledger.Move(
                "receive", **move, from_location_id=transit.pk, to_location_id=here.pk, quantity=60
            ),
        ],
    )
    return batch


@pytest.fixture
def world(world: World) -> World:
    world.a.donation = give(world, world.a, "a", 1)
    world.b.donation = give(world, world.b, "b", 2)
    return world


class TestDonorTenancy(TenancyCases):
    routes = [
        Page("supplies:donor_home", viewer="donor"),
        Page(
            "supplies:donor_batch",
            obj=lambda t: t.donation,
            viewer="donor",
            company_level="a donor's own batches: the association's rows, not a site's",
        ),
    ]


def test_every_donor_route_is_covered():
    declared = {f"supplies:{pattern.name}" for pattern in donor_urls.urlpatterns}
    assert declared == {page.name for page in TestDonorTenancy.routes}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_the_donor_sees_its_pledges_and_batches_only(client, world):
    login(client, world.a.users["donor"])
    response = client.get(reverse("supplies:donor_home"))
    assert [row["number"] for row in response.context["batch_page"]] == [1]
    assert len(list(response.context["pledge_page"])) == 1
    assert "b爱心企业" not in response.content.decode()


def test_the_donor_sees_where_every_unit_went(client, world):
    login(client, world.a.users["donor"])
    response = client.get(reverse("supplies:donor_batch", args=[world.a.donation.pk]))
    places = {row["location_name"]: row["quantity"] for row in response.context["where_page"]}
    assert places == {world.a.site.name: 60, "江汉仓": 40}
    given = BatchLine.all_tenants.filter(batch=world.a.donation).aggregate(q=Sum("quantity"))["q"]
    assert sum(places.values()) == given
    seqs = [e["seq"] for e in response.context["entry_page"]]
    assert seqs == list(
        LedgerEntry.all_tenants.filter(batch=world.a.donation)
        .order_by("seq")
        .values_list("seq", flat=True)
    )


@pytest.mark.parametrize("who", ["company_admin", "site_manager", "resident"])
def test_others_may_not_use_the_donor_pages(client, world, who):
    login(client, world.a.users[who])
    assert client.get(reverse("supplies:donor_home")).status_code == 403
    url = reverse("supplies:donor_batch", args=[world.a.donation.pk])
    assert client.get(url).status_code == 403


def test_a_donor_whose_login_is_no_donor_sees_nothing(client, world):
    """A donor role without a Donor row behind it: empty pages, every batch 404."""
    lonely = make_user("donor_none", "donor", association=world.association)
    login(client, lonely)
    response = client.get(reverse("supplies:donor_home"))
    assert response.status_code == 200
    assert list(response.context["batch_page"]) == []
    url = reverse("supplies:donor_batch", args=[world.a.donation.pk])
    assert client.get(url).status_code == 404


def test_the_donor_home_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    login(client, world.a.users["donor"])
    client.get(reverse("supplies:donor_home"))  # warm the session
    with django_assert_num_queries(8):
        assert client.get(reverse("supplies:donor_home")).status_code == 200
