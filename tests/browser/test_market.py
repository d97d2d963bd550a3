"""On a phone: an owner orders produce, the window closes (the tick), the purchase
order goes to the supplier who confirms it, the site manager receives the delivery
and hands the order over; the owner sees it delivered, and the public impact totals
move by exactly that order (30 jin, 167 yuan, one household)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from firstline.market.models import Campaign, Order, PurchaseOrder
from firstline.market.services.campaigns import market_tick
from firstline.market.tests.furnish import furnish
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login, logout


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    return furnish(build_world())


def figure(page: Page, name: str) -> int:
    return int(page.get_by_test_id(name).inner_text().replace(",", ""))


def test_order_close_confirm_receive_hand_over_and_impact(page: Page, live_server, world):
    base = live_server.url
    a = world.a
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}{reverse('market:impact')}")
    before = [figure(page, n) for n in ("impact-jin", "impact-yuan", "impact-households")]

    # The owner orders one box of oranges and one bag of rice, delivered to the door.
    login(page, base, a.users["resident"].username)
    page.goto(f"{base}{reverse('market:my_orders')}")
    page.get_by_test_id("campaign-link").click()
    page.get_by_label("秭归脐橙").fill("1")
    page.get_by_label("富硒大米").fill("1")
    page.get_by_label("送货上门").check()
    page.get_by_test_id("order-submit").click()
    expect(page.get_by_test_id("my-order-state")).to_have_text("已预订")
    order = Order.all_tenants.get(campaign=world.campaign, household=a.household)
    assert order.total_fen == 6800 + 9900
    logout(page)

    # The window closes: the tick sends the purchase orders.
    Campaign.all_tenants.filter(pk=world.campaign.pk).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    assert market_tick() == 1
    po = PurchaseOrder.all_tenants.get(campaign=world.campaign, site=a.site)

    # The supplier confirms it in full.
    login(page, base, world.users["supplier"].username)
    page.goto(f"{base}{reverse('market:supplier_orders')}")
    card = page.get_by_test_id("supplier-po").filter(has_text=f"PO-{po.pk} ")
    card.get_by_test_id("confirm-button").click()
    expect(
        page.get_by_test_id("supplier-po")
        .filter(has_text=f"PO-{po.pk} ")
        .get_by_test_id("supplier-po-state")
    ).to_have_text("供应商已确认")
    logout(page)

    # The site manager receives the delivery and hands the order over (asked first).
    login(page, base, a.users["site_manager"].username)
    page.goto(f"{base}{reverse('market:po_detail', args=[po.pk])}")
    page.get_by_label("质量问题（如有）").fill("无")
    page.get_by_test_id("receive-button").click()
    expect(page.get_by_test_id("po-state")).to_have_text("已到货验收")
    page.goto(f"{base}{reverse('market:handover')}?room=301")
    page.get_by_role("listitem").filter(has_text="春季助农团购").get_by_role("link").click()
    page.get_by_test_id("handover-button").click()
    expect(page.get_by_test_id("order-state")).to_have_text("已送达")
    logout(page)

    # The owner sees it delivered; the public totals moved by exactly this order.
    login(page, base, a.users["resident"].username)
    page.goto(f"{base}{reverse('market:my_order', args=[order.pk])}")
    expect(page.get_by_test_id("my-order-state")).to_have_text("已送达")
    logout(page)
    page.goto(f"{base}{reverse('market:impact')}")
    after = [figure(page, n) for n in ("impact-jin", "impact-yuan", "impact-households")]
    assert [x - y for x, y in zip(after, before, strict=True)] == [30, 167, 1]
