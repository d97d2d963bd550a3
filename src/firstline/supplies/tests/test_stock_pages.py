"""The donation and stock pages and API end to end: every coordinator page renders,
a batch is received through the formset page and the API, quality documents go up
and come down, the reconciliation page names tampering, adjustments and transfers
go through their pages, and lists run a fixed number of queries."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.supplies.models import Balance, InboundBatch, LedgerEntry, Pledge
from firstline.supplies.services import ledger
from firstline.supplies.services.donations import batch_receive, pledge_create
from firstline.supplies.tests.stocking import site_of, stocked, store_of
from firstline.testing.tenancy import api_paths
from firstline.testing.world import PASSWORD

COORDINATOR_PAGES = [
    "supplies:item_list",
    "supplies:donor_list",
    "supplies:donor_create",
    "supplies:campaign_list",
    "supplies:campaign_create",
    "supplies:warehouse_list",
    "supplies:warehouse_create",
    "supplies:pledge_list",
    "supplies:pledge_create",
    "supplies:batch_list",
    "supplies:batch_receive",
    "supplies:stock_list",
    "supplies:reconciliation",
    "supplies:stock_adjust",
]


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_coordinator_pages_render(client, world):
    s = stocked(world, quantity=10)
    pledge_create(actor=None, donor=s.donor, item=s.items["PPE-N95"], quantity=3)
    login(client, world.users["association_admin"])
    for name in COORDINATOR_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    detail = client.get(reverse("supplies:batch_detail", args=[s.batch.pk]))
    assert detail.status_code == 200
    assert "L2020-01" in detail.content.decode()
    assert "非定向" in detail.content.decode()
    assert (
        client.get(reverse("supplies:stock_location", args=[s.warehouse_location.pk])).status_code
        == 200
    )


def test_receive_a_batch_through_the_page(client, world):
    s = stocked(world, quantity=10)
    login(client, world.users["association_admin"])
    data = {
        "donor": s.donor.pk,
        "warehouse": s.warehouse.pk,
        "directed_company": world.a.company.pk,
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-item": s.items["PPE-SUIT"].pk,
        "lines-0-lot_no": "S-9",
        "lines-0-expiry": "2022-12-31",
        "lines-0-quantity": "40",
        "lines-1-item": s.items["DIS-84"].pk,
        "lines-1-quantity": "24",
    }
    response = client.post(reverse("supplies:batch_receive"), data)
    batch = InboundBatch.all_tenants.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("supplies:batch_detail", args=[batch.pk])
    assert batch.directed_company_id == world.a.company.pk
    assert (
        Balance.all_tenants.get(location=s.warehouse_location, item=s.items["PPE-SUIT"]).quantity
        == 40
    )
    # a bad line: the page answers with the row, nothing is written
    data["lines-1-quantity"] = "0"
    response = client.post(reverse("supplies:batch_receive"), data)
    assert response.status_code == 200
    assert "第 2 行" in response.content.decode()
    assert InboundBatch.all_tenants.count() == 2
    # two directions at once: refused by the service, shown on the form
    data["lines-1-quantity"] = "5"
    data["directed_division_code"] = "420103"
    response = client.post(reverse("supplies:batch_receive"), data)
    assert response.status_code == 200 and InboundBatch.all_tenants.count() == 2


def test_document_upload_and_download(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    s = stocked(world, quantity=10)
    login(client, world.users["association_admin"])
    pdf = SimpleUploadedFile("r.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    response = client.post(
        reverse("supplies:document_add", args=[s.batch.pk]),
        {"kind": "test_report", "title": "N95 检测报告", "file": pdf},
    )
    assert response.status_code == 302
    document = s.batch.documents.get()
    download = client.get(reverse("supplies:document_download", args=[document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 report"
    bad = SimpleUploadedFile("r.pdf", b"<html>", content_type="application/pdf")
    response = client.post(
        reverse("supplies:document_add", args=[s.batch.pk]),
        {"kind": "test_report", "title": "假", "file": bad},
    )
    assert response.status_code == 200 and s.batch.documents.count() == 1


def test_reconciliation_page_names_tampering(client, world):
    s = stocked(world, quantity=10)
    login(client, world.users["association_admin"])
    page = client.get(reverse("supplies:reconciliation")).content.decode()
    assert "哈希链完整" in page and "所有余额与分录合计一致" in page
    LedgerEntry.all_tenants.filter(seq=2).update(quantity=11)
    Balance.all_tenants.filter(location=s.warehouse_location, item=s.items["PPE-N95"]).update(
        quantity=3
    )
    page = client.get(reverse("supplies:reconciliation")).content.decode()
    assert "被修改" in page
    assert "项余额与分录不符" in page


def test_adjust_through_the_page(client, world):
    s = stocked(world, quantity=10)
    login(client, world.users["association_admin"])
    url = reverse("supplies:stock_adjust")
    form = {
        "location": s.warehouse_location.pk,
        "item": s.items["PPE-N95"].pk,
        "batch": s.batch.pk,
        "quantity_delta": "-4",
        "reason": "",
    }
    assert client.post(url, form).status_code == 200  # reason required
    form["reason"] = "破损"
    assert client.post(url, form).status_code == 302
    assert (
        Balance.all_tenants.get(location=s.warehouse_location, item=s.items["PPE-N95"]).quantity
        == 6
    )


def test_company_stock_and_transfer_pages(client, world):
    s = stocked(world, quantity=30)
    store = store_of(world, world.a)
    site = site_of(world, world.a)
    ledger.post(
        association_id=world.association.pk,
        moves=[
            ledger.Move(
                "dispatch", s.items["PPE-N95"].pk, s.batch.pk, s.warehouse_location.pk, store.pk, 12
            )
        ],
    )
    login(client, world.a.users["company_admin"])
    page = client.get(reverse("supplies:stock_mine"))
    assert page.status_code == 200 and "12" in page.content.decode()
    assert client.get(reverse("supplies:transfer")).status_code == 200
    response = client.post(
        reverse("supplies:transfer"),
        {
            "from_location": store.pk,
            "to_location": site.pk,
            "item": s.items["PPE-N95"].pk,
            "quantity": "5",
        },
    )
    assert response.status_code == 302
    assert Balance.all_tenants.get(location=site).quantity == 5
    response = client.post(
        reverse("supplies:transfer"),
        {
            "from_location": store.pk,
            "to_location": site.pk,
            "item": s.items["PPE-N95"].pk,
            "quantity": "50",
        },
    )
    assert response.status_code == 200 and "不足" in response.content.decode()


def test_pledge_cancel_page(client, world):
    s = stocked(world, quantity=3)
    pledge = pledge_create(actor=None, donor=s.donor, item=s.items["PPE-N95"], quantity=3)
    login(client, world.users["association_admin"])
    assert client.post(reverse("supplies:pledge_cancel", args=[pledge.pk])).status_code == 302
    assert Pledge.all_tenants.get(pk=pledge.pk).state == Pledge.State.CANCELLED


# --- API ----------------------------------------------------------------------------------------


def test_api_receive_and_read_batches(client, world):
    s = stocked(world, quantity=10)
    login(client, world.users["association_admin"])
    body = {
        "donor_id": s.donor.pk,
        "warehouse_id": s.warehouse.pk,
        "lines": [
            {"item_code": "PPE-GOGGLE", "lot_no": "G1", "expiry": "2025-01-01", "quantity": 20}
        ],
    }
    response = client.post("/api/v1/supplies/batches", body, content_type="application/json")
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["number"] == 2 and out["lines"][0]["lot_no"] == "G1"
    detail = client.get(f"/api/v1/supplies/batches/{out['id']}").json()
    assert detail["lines"] == out["lines"]
    body["lines"] = [{"item_code": "NOPE", "quantity": 1}]
    response = client.post("/api/v1/supplies/batches", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("第 1 行")
    assert InboundBatch.all_tenants.count() == 2
    assert client.get("/api/v1/supplies/items").json()["count"] == 10
    assert client.get("/api/v1/supplies/donors").json()["items"][0]["name"] == s.donor.name
    assert client.get("/api/v1/supplies/batches").json()["count"] == 2
    stock = client.get("/api/v1/supplies/stock?location_kind=warehouse").json()
    assert {row["item_code"] for row in stock["items"]} == {"PPE-N95", "PPE-MASK", "PPE-GOGGLE"}


def test_api_endpoints_in_openapi(client, world):
    paths = api_paths()
    for path in (
        "/api/v1/supplies/items",
        "/api/v1/supplies/donors",
        "/api/v1/supplies/batches",
        "/api/v1/supplies/batches/{pk}",
        "/api/v1/supplies/stock",
    ):
        assert path in paths, path


# --- query counts -----------------------------------------------------------------------------


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
    return len(ctx.captured_queries)


def more_data(world, s, n=8):
    pledge_create(actor=None, donor=s.donor, item=s.items["PPE-N95"], quantity=1)
    for i in range(n):
        batch = batch_receive(
            actor=None,
            association_id=world.association.pk,
            donor=s.donor,
            warehouse=s.warehouse,
            lines=[(s.items["PPE-SUIT"], f"S{i}", None, 5), (s.items["DIS-84"], None, None, 3)],
        )
        ledger.post(
            association_id=world.association.pk,
            moves=[
                ledger.Move(
                    "dispatch",
                    s.items["PPE-SUIT"].pk,
                    batch.pk,
                    s.warehouse_location.pk,
                    store_of(world, world.a).pk,
                    2,
                ),
                ledger.Move(
                    "dispatch",
                    s.items["DIS-84"].pk,
                    batch.pk,
                    s.warehouse_location.pk,
                    site_of(world, world.a).pk,
                    1,
                ),
            ],
        )


def test_pages_and_api_run_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    s = stocked(world, quantity=10)
    # Some stock everywhere first: an empty page skips its (empty) slice query.
    ledger.post(
        association_id=world.association.pk,
        moves=[
            ledger.Move(
                "dispatch",
                s.items["PPE-N95"].pk,
                s.batch.pk,
                s.warehouse_location.pk,
                store_of(world, world.a).pk,
                1,
            ),
            ledger.Move(
                "dispatch",
                s.items["PPE-N95"].pk,
                s.batch.pk,
                s.warehouse_location.pk,
                site_of(world, world.a).pk,
                1,
            ),
        ],
    )
    pledge_create(actor=None, donor=s.donor, item=s.items["PPE-N95"], quantity=1)
    coordinator = [
        reverse(name)
        for name in (
            "supplies:donor_list",
            "supplies:pledge_list",
            "supplies:batch_list",
            "supplies:stock_list",
            "supplies:reconciliation",
        )
    ] + [
        reverse("supplies:batch_detail", args=[s.batch.pk]),
        reverse("supplies:stock_location", args=[s.warehouse_location.pk]),
        "/api/v1/supplies/batches",
        "/api/v1/supplies/stock",
        "/api/v1/supplies/donors",
    ]
    company = [reverse("supplies:stock_mine"), "/api/v1/supplies/stock"]
    login(client, world.users["association_admin"])
    few = [queries(client, url) for url in coordinator]
    client.logout()
    login(client, world.a.users["company_admin"])
    few_company = [queries(client, url) for url in company]
    more_data(world, s)
    many_company = [queries(client, url) for url in company]
    client.logout()
    login(client, world.users["association_admin"])
    many = [queries(client, url) for url in coordinator]
    assert dict(zip(coordinator, few, strict=True)) == dict(zip(coordinator, many, strict=True))
    assert few_company == many_company
    with django_assert_num_queries(few[2]):
        client.get(coordinator[2])
