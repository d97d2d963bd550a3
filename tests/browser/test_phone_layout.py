"""On a 390 px phone: list rows are cards whose values carry their column's name,
and wide roll-ups scroll sideways inside their card with the first column fixed and
unwrapped (never a district name one character a line)."""

import re

import pytest
from playwright.sync_api import Page, expect

from firstline.testing.world import PASSWORD, build_world

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(transactional_db):
    return build_world()


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def one_line(locator) -> bool:
    """Whether the element's text sits on a single line (its height is one line's)."""
    return locator.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return r.getClientRects().length <= 1 ||"
        " new Set([...r.getClientRects()].map(x => Math.round(x.top))).size === 1; }"
    )


def test_phone_lists_are_cards_and_wide_tables_scroll(page: Page, live_server, world):
    page.set_viewport_size(PHONE)
    login(page, live_server.url, world.a.users["company_admin"].username)
    page.goto(f"{live_server.url}/residents/")
    table = page.get_by_test_id("resident-table")
    expect(table.locator("thead")).to_be_hidden()
    first = table.locator("tbody tr").first
    expect(first.locator("[data-label='手机号']")).to_be_visible()
    name = first.locator("> :first-child a")
    assert one_line(name), "the resident's name wraps"
    card = first.bounding_box()
    assert card["width"] <= PHONE["width"]  # the card fits: no sideways scrolling
    # after a search (an htmx swap) the new rows are cards too
    page.fill("input[name=q]", world.a.residents[1].name)
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr [data-label='手机号']")).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server.url, world.users["association_admin"].username)
    page.goto(f"{live_server.url}/reports/overview/")
    overview = page.get_by_test_id("overview-table")
    scroller = page.locator(".table-responsive").filter(has=overview)
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")  # scrolls inside
    district = overview.locator("tbody tr").first.locator("> :first-child")
    assert one_line(district)
    assert district.evaluate("el => getComputedStyle(el).position") == "sticky"
    scroller.evaluate("el => el.scrollLeft = el.scrollWidth")
    left = district.bounding_box()["x"]
    assert left >= 0 and left < 40  # still at the card's left edge after scrolling
