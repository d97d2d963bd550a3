"""The market pages and endpoints through the shared tenancy checks: another
company's order, purchase order or campaign site is 404; a site manager sees its own
site's only; an owner its household's only. The supplier's pages, the owner's
ordering, the receipt and handover endpoints, closing and the public impact are
checked by the tests named in `explicit`."""

from __future__ import annotations

import pytest

from firstline.market.tests.furnish import furnish
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World

ACCESS = "firstline.market.tests.test_access::"
API = "/api/v1/market"
CAMPAIGNS = "campaigns are the association's or a company's, across its sites"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def order(t):
    return t.order


def purchase_order(t):
    return t.purchase_order


def campaign_site(t):
    return t.campaign_site


def company_campaign(t):
    return t.company_campaign


def staff_order_body(t):
    return {
        "household_id": t.household.pk,
        "lines": [
            {"product_id": t.campaign_site.campaign.offers.first().product_id, "quantity": 1}
        ],
    }


PROGRAMME = ACCESS.replace("test_access", "test_programme")


class TestMarketTenancy(TenancyCases):
    routes = [
        Page("market:campaign_list", company_level=CAMPAIGNS),
        Page("market:campaign_create", company_level=CAMPAIGNS),
        Page("market:campaign_detail", obj=company_campaign, company_level=CAMPAIGNS),
        Page(
            "market:campaign_edit",
            obj=company_campaign,
            company_level=CAMPAIGNS,
            write={"title": "改名"},
        ),
        Page("market:campaign_open", obj=company_campaign, company_level=CAMPAIGNS),
        Page("market:staff_order", obj=campaign_site),
        Page(
            "market:payment_record",
            obj=order,
            write={"kind": "collection", "amount_yuan": "1.00", "reference": ""},
        ),
        Page("market:order_list"),
        Page("market:order_detail", obj=order),
        Page("market:order_handover", obj=order, method="post", write={}, ok=302),
        Page("market:handover"),
        Page("market:po_detail", obj=purchase_order),
        Page(
            "market:po_receive",
            obj=purchase_order,
            method="post",
            write={"quality_issues": ""},
            ok=302,
        ),
        Page("market:my_orders", viewer="resident", site_role="resident"),
        Page("market:my_order", obj=order, viewer="resident", site_role="resident"),
        Page("market:shop", obj=campaign_site, viewer="resident", site_role="resident"),
        Page(
            "market:my_order_cancel",
            obj=order,
            method="post",
            write={},
            ok=302,
            viewer="resident",
            site_role="resident",
        ),
    ]
    api = [
        Api(f"{API}/orders"),
        Api(f"{API}/orders/{{id}}", obj=order),
        Api(f"{API}/my/orders", viewer="resident", site_role="resident"),
        Api(f"{API}/purchase-orders"),
        Api(f"{API}/purchase-orders/{{id}}", obj=purchase_order),
        Api(f"{API}/campaigns/{{id}}", obj=company_campaign, company_level=CAMPAIGNS),
        Api(
            f"{API}/campaigns/{{id}}/open",
            obj=company_campaign,
            method="post",
            company_level=CAMPAIGNS,
        ),
        Api(
            f"{API}/campaign-sites/{{id}}/orders",
            obj=campaign_site,
            method="post",
            body=staff_order_body,
        ),
        Api(
            f"{API}/orders/{{id}}/payments",
            obj=order,
            method="post",
            body={"kind": "collection", "amount_fen": 100},
        ),
    ]
    explicit = {
        "market:impact": ACCESS + "test_public_impact_moves_by_exactly_the_delivered_order",
        "GET /api/v1/market/impact": ACCESS
        + "test_public_impact_moves_by_exactly_the_delivered_order",
        "market:supplier_orders": ACCESS + "test_supplier_sees_and_confirms_only_its_own",
        "market:supplier_confirm": ACCESS + "test_supplier_sees_and_confirms_only_its_own",
        "GET /api/v1/market/supplier/purchase-orders": ACCESS
        + "test_supplier_sees_and_confirms_only_its_own",
        "POST /api/v1/market/supplier/purchase-orders/{pk}/confirm": ACCESS
        + "test_supplier_sees_and_confirms_only_its_own",
        "POST /api/v1/market/my/orders": ACCESS + "test_owner_orders_only_for_its_household",
        "POST /api/v1/market/my/orders/{pk}/cancel": ACCESS
        + "test_owner_orders_only_for_its_household",
        "POST /api/v1/market/purchase-orders/{pk}/receive": ACCESS
        + "test_receipt_and_handover_at_the_own_site_only",
        "POST /api/v1/market/orders/{pk}/handover": ACCESS
        + "test_receipt_and_handover_at_the_own_site_only",
        "POST /api/v1/market/campaigns/{pk}/close": ACCESS + "test_closing_is_the_organiser_s",
        "market:campaign_close": ACCESS + "test_closing_is_the_organiser_s",
        # the association's programme desk (association rows, no company's)
        "market:supplier_list": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "market:supplier_create": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "market:supplier_detail": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "market:supplier_edit": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "market:certificate_add": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "market:supplier_login": PROGRAMME + "test_supplier_login_shown_once",
        "market:product_list": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "market:product_create": PROGRAMME + "test_product_photo_type_read_from_bytes",
        "market:product_edit": PROGRAMME + "test_desk_pages_suppliers_certificates_products",
        "GET /api/v1/market/suppliers": PROGRAMME + "test_desk_api",
        "POST /api/v1/market/suppliers": PROGRAMME + "test_desk_api",
        "GET /api/v1/market/suppliers/{pk}": PROGRAMME + "test_desk_api",
        "PUT /api/v1/market/suppliers/{pk}": PROGRAMME + "test_desk_api",
        "POST /api/v1/market/suppliers/{pk}/certificates": PROGRAMME + "test_desk_api",
        "POST /api/v1/market/suppliers/{pk}/login": PROGRAMME + "test_desk_api",
        "GET /api/v1/market/products": PROGRAMME + "test_desk_api",
        "POST /api/v1/market/products": PROGRAMME + "test_desk_api",
        "PUT /api/v1/market/products/{pk}": PROGRAMME + "test_desk_api",
        "POST /api/v1/market/campaigns": PROGRAMME + "test_campaign_api_sites_and_fields",
        "PUT /api/v1/market/campaigns/{pk}": PROGRAMME + "test_campaign_api_sites_and_fields",
    }
