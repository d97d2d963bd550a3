"""The programme's desk and organisers (issue #23, second round): suppliers, their
certificates (expired flagged), products (price in yuan stored in fen, photo type read
from its bytes), a supplier's login (first password shown once); campaigns created,
edited and opened by their organiser (a company only its own sites); a site manager
ordering for a household without a phone; payments recorded and reconciled."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.core.roles import Role
from firstline.market.models import Campaign, Certificate, Order, Payment, Product, Supplier
from firstline.market.services import catalogue
from firstline.market.tests.furnish import furnish
from firstline.orgs.models import RoleAssignment
from firstline.testing.world import PASSWORD, World

pytestmark = pytest.mark.django_db
API = "/api/v1/market"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def send(client, method, url, body=None):
    return getattr(client, method)(url, body or {}, content_type="application/json")


def district(world):
    return world.divisions["420103"]


def test_desk_pages_suppliers_certificates_products(client, world):
    # A company's admin is not the desk.
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("market:supplier_list")).status_code == 403
    assert client.get(reverse("market:product_list")).status_code == 403
    assert (
        client.get(reverse("market:supplier_detail", args=[world.supplier.pk])).status_code == 403
    )
    client.logout()
    login(client, world.users["association_admin"])
    # Create a supplier: the phone sealed and shown masked.
    response = client.post(
        reverse("market:supplier_create"),
        {
            "name": "秭归脐橙合作社",
            "county": district(world).pk,
            "poverty": "lifted",
            "contact_name": "李主任",
            "phone": "13912345678",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    supplier = Supplier.all_tenants.get(name="秭归脐橙合作社")
    assert supplier.phone_masked != "13912345678" and supplier.phone_masked.endswith("5678")
    # A county must be a county.
    response = client.post(
        reverse("market:supplier_create"), {"name": "x", "county": world.divisions["42"].pk}
    )
    assert response.status_code == 200 and "county" in response.context["form"].errors
    # Edit: a blank phone keeps the sealed one.
    response = client.post(
        reverse("market:supplier_edit", args=[supplier.pk]),
        {"name": "秭归脐橙专业合作社", "county": district(world).pk, "poverty": "lifted"},
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.name == "秭归脐橙专业合作社" and supplier.phone_masked.endswith("5678")
    assert not supplier.active
    # An expired certificate is flagged on the list and the supplier's page.
    response = client.post(
        reverse("market:certificate_add", args=[supplier.pk]),
        {"kind": "food_safety", "number": "JY-OLD", "expires_on": "2020-01-01"},
    )
    assert response.status_code == 302
    listing = client.get(reverse("market:supplier_list"))
    flagged = {s.pk: s.expired for s in listing.context["object_list"]}
    assert flagged[supplier.pk] is True and flagged[world.supplier.pk] is False
    assert 'data-testid="certificate-expired"' in listing.content.decode()
    detail = client.get(reverse("market:supplier_detail", args=[supplier.pk]))
    assert detail.status_code == 200 and "JY-OLD" in detail.content.decode()
    assert "13912345678" not in detail.content.decode()
    # A product: price entered in yuan, stored in fen; shown in jin and kg.
    response = client.post(
        reverse("market:product_create"),
        {
            "supplier": supplier.pk,
            "name": "脐橙",
            "origin": "湖北秭归",
            "unit": "箱",
            "grams_per_unit": 2500,
            "price_yuan": "12.50",
            "available": 30,
            "trace_code": "ZG-1",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    product = Product.all_tenants.get(name="脐橙")
    assert product.price_fen == 1250 and product.jin == 5
    listing = client.get(reverse("market:product_list"))
    assert "5 斤" in listing.content.decode() and "2.5 kg" in listing.content.decode()
    response = client.post(
        reverse("market:product_edit", args=[product.pk]),
        {
            "supplier": supplier.pk,
            "name": "脐橙",
            "origin": "湖北秭归",
            "unit": "箱",
            "grams_per_unit": 2500,
            "price_yuan": "0",
            "available": 30,
        },
    )
    assert response.status_code == 200 and "price_yuan" in response.context["form"].errors
    # The Excel export names the expired column.
    export = client.get(reverse("market:supplier_list") + "?export=xlsx")
    assert export.status_code == 200


def test_product_photo_type_read_from_bytes(client, world):
    login(client, world.users["association_admin"])
    base = {
        "supplier": world.supplier.pk,
        "name": "香菇",
        "origin": "河北阜平",
        "unit": "袋",
        "grams_per_unit": 500,
        "price_yuan": "20",
        "available": 5,
    }
    fake = SimpleUploadedFile("photo.png", b"not an image at all", content_type="image/png")
    response = client.post(reverse("market:product_create"), {**base, "photo": fake})
    assert response.status_code == 200 and "photo" in response.context["form"].errors
    assert not Product.all_tenants.filter(name="香菇").exists()
    real = SimpleUploadedFile("photo.txt", PNG, content_type="text/plain")
    response = client.post(reverse("market:product_create"), {**base, "photo": real})
    assert response.status_code == 302
    product = Product.all_tenants.get(name="香菇")
    assert product.photo.name.startswith("market/products/")
    product.photo.delete(save=False)


def test_supplier_login_shown_once(client, world):
    supplier = world.other_supplier
    supplier.user = None
    supplier.save(update_fields=["user"])
    login(client, world.a.users["company_admin"])
    url = reverse("market:supplier_login", args=[supplier.pk])
    assert client.get(url).status_code == 403
    client.logout()
    login(client, world.users["association_admin"])
    response = client.post(url, {"username": "fuping", "name": "阜平香菇"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("fuping" in m for m in shown)
    password = shown[0].split("初始密码 ")[1].split("（")[0]
    supplier.refresh_from_db()
    assert supplier.user.username == "fuping"
    assert RoleAssignment.objects.filter(
        user=supplier.user, role=Role.SUPPLIER, association=world.association
    ).exists()
    # Shown once: the supplier's page does not show it again; a second login is refused.
    assert password not in client.get(supplier.get_absolute_url()).content.decode()
    response = client.post(url, {"username": "fuping2", "name": "x"})
    assert response.status_code == 200 and "username" in response.context["form"].errors
    client.logout()
    assert client.login(username="fuping", password=password)
    assert client.get(reverse("market:supplier_orders")).status_code == 200


def test_desk_api(client, world):
    login(client, world.a.users["company_admin"])
    assert client.get(f"{API}/suppliers").status_code == 403
    assert (
        send(
            client,
            "post",
            f"{API}/suppliers/{world.supplier.pk}/login",
            {"username": "x", "name": "x"},
        ).status_code
        == 403
    )
    client.logout()
    login(client, world.users["association_admin"])
    bad = send(
        client, "post", f"{API}/suppliers", {"name": "x", "county_id": world.divisions["42"].pk}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "county_id"
    created = send(
        client,
        "post",
        f"{API}/suppliers",
        {"name": "林周青稞合作社", "county_id": district(world).pk, "phone": "13912345678"},
    )
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["phone_masked"].endswith("5678") and "phone" not in body
    pk = body["id"]
    updated = send(
        client,
        "put",
        f"{API}/suppliers/{pk}",
        {"name": "林周县青稞合作社", "county_id": district(world).pk, "poverty": "lifted"},
    )
    assert updated.status_code == 200 and updated.json()["poverty"] == "lifted"
    cert = send(
        client,
        "post",
        f"{API}/suppliers/{pk}/certificates",
        {"kind": "food_safety", "number": "JY-1", "expires_on": "2020-01-01"},
    )
    assert cert.status_code == 200, cert.content
    assert client.get(f"{API}/suppliers/{pk}").json()["certificate_expired"] is True
    items = client.get(f"{API}/suppliers").json()["items"]
    assert {i["id"] for i in items} >= {pk, world.supplier.pk}
    opened = send(
        client, "post", f"{API}/suppliers/{pk}/login", {"username": "qingke", "name": "青稞"}
    )
    assert opened.status_code == 200 and opened.json()["password"]
    again = send(client, "post", f"{API}/suppliers/{pk}/login", {"username": "q2", "name": "q"})
    assert again.status_code == 422
    product = send(
        client,
        "post",
        f"{API}/products",
        {
            "supplier_id": pk,
            "name": "青稞",
            "origin": "西藏林周",
            "grams_per_unit": 1000,
            "price_fen": 1500,
            "available": 10,
        },
    )
    assert product.status_code == 200, product.content
    assert product.json()["jin"] == 2 and product.json()["kg"] == 1
    ppk = product.json()["id"]
    changed = send(
        client,
        "put",
        f"{API}/products/{ppk}",
        {
            "supplier_id": pk,
            "name": "青稞米",
            "origin": "西藏林周",
            "grams_per_unit": 1000,
            "price_fen": 1600,
            "available": 9,
        },
    )
    assert changed.status_code == 200 and changed.json()["price_fen"] == 1600
    wrong = send(
        client,
        "post",
        f"{API}/products",
        {"supplier_id": 10**12, "name": "x", "origin": "y", "grams_per_unit": 1, "price_fen": 1},
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "supplier_id"
    assert any(i["id"] == ppk for i in client.get(f"{API}/products").json()["items"])


def _window():
    now = timezone.localtime()
    return now - timedelta(hours=1), now + timedelta(days=1)


def test_company_campaign_page_own_sites_only_then_open(client, world):
    login(client, world.a.users["company_admin"])
    opens, closes = _window()
    form = {
        "title": "一企助农",
        "company": world.a.company.pk,
        "products": [world.apple.pk],
        "sites": [world.a.site.pk, world.b.site.pk],
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
        "delivery_on": (closes.date() + timedelta(days=2)).isoformat(),
        "min_order_yuan": "10",
    }
    response = client.post(reverse("market:campaign_create"), form)
    assert response.status_code == 200 and "sites" in response.context["form"].errors
    response = client.post(
        reverse("market:campaign_create"),
        {**form, "sites": [world.a.site.pk], "closes_at": form["opens_at"]},
    )
    assert response.status_code == 200 and "closes_at" in response.context["form"].errors
    response = client.post(reverse("market:campaign_create"), {**form, "sites": [world.a.site.pk]})
    assert response.status_code == 302
    campaign = Campaign.all_tenants.get(title="一企助农")
    assert campaign.state == "draft" and campaign.company_id == world.a.company.pk
    assert campaign.min_order_fen == 1000
    # Edit while a draft; then open (asks first on GET).
    response = client.post(
        reverse("market:campaign_edit", args=[campaign.pk]),
        {**form, "title": "一企助农（改）", "sites": [world.a.site.pk, world.a.sibling.site.pk]},
    )
    assert response.status_code == 302
    assert campaign.sites.count() == 2
    page = client.get(reverse("market:campaign_open", args=[campaign.pk]))
    assert "data-confirm=" in page.content.decode()
    client.post(reverse("market:campaign_open", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.state == "open" and campaign.title == "一企助农（改）"
    # The other company sees none of it.
    client.logout()
    login(client, world.b.users["company_admin"])
    assert client.get(campaign.get_absolute_url()).status_code == 404
    assert send(client, "post", f"{API}/campaigns/{campaign.pk}/open").status_code == 404


def test_campaign_api_sites_and_fields(client, world):
    opens, closes = _window()
    body = {
        "title": "协会助农",
        "product_ids": [world.apple.pk, world.rice.pk],
        "site_ids": [world.a.site.pk, world.b.site.pk],
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
        "delivery_on": (closes.date() + timedelta(days=1)).isoformat(),
    }
    # The desk: any member's sites.
    login(client, world.users["association_admin"])
    bad = send(client, "post", f"{API}/campaigns", {**body, "closes_at": opens.isoformat()})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "closes_at"
    created = send(client, "post", f"{API}/campaigns", body)
    assert created.status_code == 200, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "draft" and created.json()["company_id"] is None
    edited = send(client, "put", f"{API}/campaigns/{pk}", {**body, "title": "协会助农二"})
    assert edited.status_code == 200 and edited.json()["title"] == "协会助农二"
    assert send(client, "post", f"{API}/campaigns/{pk}/open").json()["state"] == "open"
    again = send(client, "put", f"{API}/campaigns/{pk}", body)
    assert again.status_code == 422
    client.logout()
    # A company: only its own sites; another company's site names the field.
    login(client, world.a.users["company_admin"])
    own = {**body, "company_id": world.a.company.pk}
    bad = send(client, "post", f"{API}/campaigns", own)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "site_ids"
    bad = send(
        client,
        "post",
        f"{API}/campaigns",
        {**own, "company_id": world.b.company.pk, "site_ids": [world.b.site.pk]},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "company_id"
    ok = send(client, "post", f"{API}/campaigns", {**own, "site_ids": [world.a.site.pk]})
    assert ok.status_code == 200, ok.content
    # The association's campaign is not a company's to edit or open.
    assert (
        send(
            client,
            "put",
            f"{API}/campaigns/{world.a.company_campaign.pk}",
            {**own, "site_ids": [world.a.site.pk]},
        ).status_code
        == 200
    )
    assert (
        send(
            client,
            "put",
            f"{API}/campaigns/{world.b.company_campaign.pk}",
            {**own, "site_ids": [world.a.site.pk]},
        ).status_code
        == 404
    )


def test_site_manager_orders_for_a_household_without_a_phone(client, world):
    cs = world.a.campaign_site
    household = world.a.household
    login(client, world.a.users["site_manager"])
    lookup = client.get(reverse("market:staff_order", args=[cs.pk]), {"room": household.room})
    assert household in lookup.context["found"]
    # Another site's household is not found here (404 when named).
    other = world.a.sibling.household
    url = reverse("market:staff_order", args=[cs.pk])
    assert client.get(url, {"household": other.pk}).status_code == 404
    page = client.get(url, {"household": household.pk})
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "household": household.pk,
            f"q{world.apple.pk}": "2",
            f"q{world.rice.pk}": "0",
            "handover": "doorstep",
        },
    )
    assert response.status_code == 302
    order = Order.all_tenants.get(campaign=world.campaign, household=household)
    assert order.by_staff and order.handover == "doorstep" and order.total_fen == 2 * 6800
    # Nothing ordered: the form names the problem and nothing changes.
    response = client.post(url, {"household": household.pk, "handover": "pickup"})
    assert response.status_code == 200 and response.context["form"].errors
    # The API, the same.
    response = send(
        client,
        "post",
        f"{API}/campaign-sites/{cs.pk}/orders",
        {"household_id": household.pk, "lines": [{"product_id": world.rice.pk, "quantity": 1}]},
    )
    assert response.status_code == 200 and response.json()["by_staff"] is True
    response = send(
        client,
        "post",
        f"{API}/campaign-sites/{cs.pk}/orders",
        {"household_id": other.pk, "lines": [{"product_id": world.rice.pk, "quantity": 1}]},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "household_id"


def test_payments_recorded_and_reconciled(client, world):
    order = world.a.order
    login(client, world.a.users["site_manager"])
    url = reverse("market:payment_record", args=[order.pk])
    response = client.post(url, {"kind": "transfer", "amount_yuan": "10", "reference": ""})
    assert response.status_code == 200 and "reference" in response.context["form"].errors
    response = client.post(url, {"kind": "collection", "amount_yuan": "100.00"})
    assert response.status_code == 302
    payment = Payment.all_tenants.get(order=order)
    assert payment.amount_fen == 10000 and payment.kind == "collection"
    detail = client.get(order.get_absolute_url())
    money = detail.content.decode()
    due = order.total_fen - 10000
    assert detail.context["due_yuan"] == f"{due // 100}.{due % 100:02d}"
    assert "100.00" in money
    listing = client.get(reverse("market:order_list"))
    row = next(o for o in listing.context["object_list"] if o.pk == order.pk)
    assert row.paid_fen == 10000 and row.due_fen == due
    export = client.get(reverse("market:order_list") + "?export=xlsx")
    assert export.status_code == 200
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    header = [c.value for c in sheet[1]]
    assert "已付（元）" in header and "待收（元）" in header
    # The API: a transfer needs its reference (named); a refund counts against paid.
    bad = send(
        client, "post", f"{API}/orders/{order.pk}/payments", {"kind": "transfer", "amount_fen": 100}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "reference"
    ok = send(
        client,
        "post",
        f"{API}/orders/{order.pk}/payments",
        {"kind": "refund", "amount_fen": 2000, "reference": "R1"},
    )
    assert ok.status_code == 200
    assert ok.json()["paid_fen"] == 10000 and ok.json()["refunded_fen"] == 2000
    # Another site's order: 404.
    sibling = world.a.sibling.order
    assert (
        send(
            client,
            "post",
            f"{API}/orders/{sibling.pk}/payments",
            {"kind": "collection", "amount_fen": 1},
        ).status_code
        == 404
    )


def test_new_lists_keep_a_fixed_number_of_queries(client, world):
    login(client, world.users["association_admin"])
    url_s, url_p = reverse("market:supplier_list"), reverse("market:product_list")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    before = (count(url_s), count(url_p), count(f"{API}/suppliers"), count(f"{API}/products"))
    for i in range(5):
        s = catalogue.supplier_save(
            actor=None,
            association_id=world.association.pk,
            name=f"供应商{i}",
            county=district(world),
        )
        catalogue.certificate_add(
            supplier=s,
            kind=Certificate.Kind.FOOD_SAFETY,
            number=str(i),
            expires_on=date(2020, 1, 1),
        )
        catalogue.product_save(
            actor=None,
            supplier=s,
            name=f"品{i}",
            origin="湖北",
            grams_per_unit=500,
            price_fen=100,
            available=1,
        )
    after = (count(url_s), count(url_p), count(f"{API}/suppliers"), count(f"{API}/products"))
    assert before == after
    client.logout()
    login(client, world.a.users["site_manager"])
    first = count(reverse("market:order_list"))
    for p in range(3):
        Payment.all_tenants.create(
            company_id=world.a.company.pk,
            site_id=world.a.site.pk,
            order=world.a.order,
            kind="collection",
            amount_fen=100 + p,
        )
    assert count(reverse("market:order_list")) == first
