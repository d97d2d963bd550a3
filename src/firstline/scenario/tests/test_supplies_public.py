"""The public ledger (/ledger/ and /api/v1/supplies/public/…): open to anyone, every
total the sum of its lines, no personal data, and any batch traceable."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db.models import Sum
from django.urls import resolve, reverse

from firstline.estates.models import Resident
from firstline.scenario.tests.supplies_story import batch_of_person, furnish, person_donor
from firstline.supplies.models import BatchLine, Donor, InboundBatch, LedgerEntry, Location
from firstline.supplies.selectors import public as public_selectors
from firstline.supplies.urls import public as ledger_urls
from firstline.testing.world import World


@pytest.fixture
def world(world: World) -> World:
    furnish(world)
    return world


@pytest.fixture
def aid(world) -> int:
    return world.association.pk


# --- totals ------------------------------------------------------------------------------


def test_every_total_is_the_sum_of_its_lines(aid):
    head = public_selectors.headline(aid)
    items, donors = public_selectors.by_item(aid), public_selectors.by_donor(aid)
    districts = public_selectors.by_district(aid)
    companies, sites = list(public_selectors.by_company(aid)), list(public_selectors.by_site(aid))

    donated = BatchLine.all_tenants.aggregate(q=Sum("quantity"))["q"]
    assert donated > 0
    assert head.donated == donated == sum(r["donated"] for r in items)
    assert head.donated == sum(r["donated"] for r in donors)

    # Received at destinations, summed here from the entries one by one.
    received, per_district = 0, defaultdict(int)
    for entry in LedgerEntry.all_tenants.filter(kind="receive").select_related("to_location"):
        if entry.to_location.kind in ("company", "site"):
            received += entry.quantity
            per_district[entry.to_location.division_code[:6]] += entry.quantity
    assert received > 0
    assert head.received == received == sum(r["received"] for r in items)
    assert head.received == sum(r["received"] for r in donors)
    assert head.received == sum(r["received"] for r in districts)
    assert head.received == sum(r["received"] for r in companies)
    assert head.received_at_sites == sum(r["received"] for r in sites)
    assert {r["code"]: r["received"] for r in districts} == dict(per_district)
    assert {r["name"] for r in districts} == {"江汉区", "武昌区"}

    assert head.batches == InboundBatch.all_tenants.count() == sum(r["batches"] for r in donors)
    assert head.donors == Donor.all_tenants.count() == len(donors)
    assert head.companies_reached == len(companies) == 2
    assert head.sites_reached == len(sites) == 2
    assert head.districts_reached == len(districts) == 2
    assert head.entries == LedgerEntry.all_tenants.count()


def test_the_home_page_prints_the_figures(client, aid):
    response = client.get(reverse("ledger:home"))
    assert response.status_code == 200
    head = public_selectors.headline(aid)
    body = response.content.decode()
    assert f'id="fig-batches">{head.batches}<' in body
    assert head.head_hash in body
    assert reverse("ledger:open_data_json") in body
    assert "verify_ledger.py" in body


# --- open to anyone, fixed cost -----------------------------------------------------------


def public_urls() -> list[str]:
    number = InboundBatch.all_tenants.order_by("number").values_list("number", flat=True).first()
    return [
        reverse("ledger:home"),
        reverse("ledger:companies"),
        reverse("ledger:sites"),
        reverse("ledger:batches"),
        reverse("ledger:batch", args=[number]),
        reverse("ledger:open_data_json"),
        reverse("ledger:open_data_csv"),
        reverse("ledger:verify_script"),
        "/api/v1/supplies/public/summary",
        f"/api/v1/supplies/public/batches/{number}",
    ]


def read(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_anonymous_reads_every_public_page_and_endpoint(client, world):
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_missing_batch_is_404(client, world):
    assert client.get(reverse("ledger:batch", args=[9999])).status_code == 404
    assert client.get("/api/v1/supplies/public/batches/9999").status_code == 404


def test_no_ledger_yet_shows_an_empty_home(client, db):
    response = client.get(reverse("ledger:home"))
    assert response.status_code == 200
    assert client.get(reverse("ledger:companies")).status_code == 404


@pytest.mark.parametrize(
    ("name", "queries"),
    [("ledger:home", 6), ("ledger:companies", 3), ("ledger:sites", 3), ("ledger:batches", 3)],
)
def test_public_pages_run_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, name, queries
):
    with django_assert_num_queries(queries):
        assert client.get(reverse(name)).status_code == 200


def test_search_narrows_the_lists(client, world):
    response = client.get(reverse("ledger:sites"), {"q": world.a.site.name})
    rows = list(response.context["page_obj"])
    assert [r["name"] for r in rows] == [world.a.site.name]
    response = client.get(reverse("ledger:companies"), {"q": "b物业"})
    assert [r["name"] for r in response.context["page_obj"]] == [world.b.company.name]


# --- no personal data --------------------------------------------------------------------


def test_no_personal_data_anywhere_public(client, world):
    person = person_donor()
    assert person.public_name != person.name
    secrets = {person.name}
    secrets |= set(Resident.all_tenants.values_list("name", flat=True))
    secrets |= {u.username for u in world.a.users.values()}
    urls = [*public_urls(), reverse("ledger:batch", args=[batch_of_person().number])]
    urls.append(f"/api/v1/supplies/public/batches/{batch_of_person().number}")
    for url in urls:
        body = read(client.get(url))
        for secret in secrets:
            assert secret not in body, (url, secret)
    assert person.public_name in read(client.get(reverse("ledger:home")))


# --- the trace ---------------------------------------------------------------------------


def test_trace_of_a_batch(client, world):
    batch = batch_of_person()
    response = client.get(reverse("ledger:batch", args=[batch.number]))
    entries = list(response.context["entry_page"])
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    assert seqs == list(
        LedgerEntry.all_tenants.filter(batch=batch).order_by("seq").values_list("seq", flat=True)
    )
    # Where the units are now adds up to what came in.
    trace = response.context["trace"]
    given = BatchLine.all_tenants.filter(batch=batch).aggregate(q=Sum("quantity"))["q"]
    assert sum(r["quantity"] for r in trace.whereabouts_by_kind) == given
    places = list(response.context["where_page"])
    assert sum(r["quantity"] for r in places) == given
    assert {r["location_kind"] for r in places} <= {k for k, _ in Location.Kind.choices} - {"donor"}

    api = client.get(f"/api/v1/supplies/public/batches/{batch.number}", {"limit": 2}).json()
    assert api["number"] == batch.number
    assert api["donor"] == "爱心人士"
    assert api["entries_total"] == len(seqs)
    assert [e["seq"] for e in api["entries"]] == seqs[:2]
    assert sum(r["quantity"] for r in api["whereabouts"]) == given


def test_the_api_summary_matches_the_pages(client, aid):
    data = client.get("/api/v1/supplies/public/summary").json()
    head = public_selectors.headline(aid)
    assert data["headline"]["received"] == head.received
    assert sum(r["donated"] for r in data["items"]) == data["headline"]["donated"]
    assert sum(r["received"] for r in data["districts"]) == data["headline"]["received"]
    assert data["headline"]["head_hash"] == head.head_hash


def test_every_public_route_is_checked_above(world):
    """A new /ledger/ page must join the anonymous and no-personal-data checks."""
    checked = {
        resolve(url.split("?")[0]).url_name for url in public_urls() if url.startswith("/ledger/")
    }
    assert checked == {pattern.name for pattern in ledger_urls.urlpatterns}
