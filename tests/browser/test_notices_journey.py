"""A notice from the site manager to the residents: drafted on the form, published
after the page asks to confirm; the resident sees it on the phone page (390 px wide),
unread, opens it; the manager's page then shows one reader."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login

TITLE = "本周六上午小区全面消杀"


@pytest.fixture
def world(transactional_db):
    return build_world()


def test_manager_publishes_the_resident_reads_the_count_follows(
    page: Page, browser: Browser, browser_context_args, live_server, world
):
    base = live_server.url
    manager_context = browser.new_context(**browser_context_args)
    manager = manager_context.new_page()
    login(manager, base, world.a.users["site_manager"].username)
    manager.goto(f"{base}{reverse('notices:notice_list')}")
    manager.get_by_test_id("notice-create").click()
    manager.fill("input[name=title]", TITLE)
    manager.fill("textarea[name=body]", "周六 9:00 起消杀电梯和楼道，请关好门窗。\n\n谢谢配合！")
    manager.select_option("select[name=target_kind]", "site")
    manager.select_option("select[name=target_site]", str(world.a.site.pk))
    manager.get_by_role("button", name="保存").click()
    expect(manager.get_by_test_id("notice-status")).to_have_text("草稿")

    asked = []
    manager.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    manager.get_by_test_id("notice-publish").click()
    expect(manager.get_by_test_id("notice-status")).to_have_text("已发布")
    assert asked and "发布" in asked[0]
    expect(manager.get_by_test_id("notice-read-count")).to_have_text("0")
    expect(manager.get_by_test_id("notice-audience")).to_have_text("2")

    # The resident, on a phone.
    phone = browser.new_context(**{**browser_context_args, **PHONE})
    resident = phone.new_page()
    login(resident, base, world.a.users["resident"].username)
    # Home first: the new notice tops the resident's dashboard.
    expect(resident.get_by_test_id("dashboard-notices")).to_contain_text(TITLE)
    resident.goto(f"{base}{reverse('notices:mine')}")
    item = resident.get_by_test_id("my-notice").filter(has_text=TITLE)
    expect(item).to_be_visible()
    expect(item.get_by_test_id("my-notice-unread")).to_be_visible()
    width = resident.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width}px)"
    item.tap()
    expect(resident.get_by_test_id("my-notice-detail")).to_contain_text("请关好门窗")
    resident.goto(f"{base}{reverse('notices:mine')}")
    item = resident.get_by_test_id("my-notice").filter(has_text=TITLE)
    expect(item.get_by_test_id("my-notice-unread")).to_have_count(0)

    manager.reload()
    expect(manager.get_by_test_id("notice-read-count")).to_have_text("1")
    expect(manager.get_by_test_id("notice-read-rate")).to_have_text("50%")
    phone.close()
    manager_context.close()
