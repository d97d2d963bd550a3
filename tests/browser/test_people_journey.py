"""A company admin finds a resident by the last four digits of the phone, reveals
the ID number with a purpose, and sees the reveal in the access log."""

import re

import pytest
from playwright.sync_api import Page, expect

from firstline.core.personal.fields import get_personal
from firstline.testing.world import PASSWORD, build_world


@pytest.fixture
def world(transactional_db):
    return build_world()


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_find_by_phone_last_four_reveal_and_see_the_access_log(page: Page, live_server, world):
    resident = world.a.residents[1]
    phone = get_personal(resident, "phone")
    id_number = get_personal(resident, "id_number")
    login(page, live_server.url, world.a.users["company_admin"].username)

    page.goto(f"{live_server.url}/residents/")
    page.fill("input[name=q]", phone[-4:])
    table = page.get_by_test_id("resident-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(resident.name)
    expect(table).not_to_contain_text(id_number)  # masked in the list
    table.get_by_role("link", name=resident.name).click()

    expect(page.locator("#value-id_number")).to_have_text(resident.id_number_masked)
    page.select_option("select[name=field]", "id_number")
    page.fill("input[name=purpose]", "核对返汉人员身份")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_test_id("revealed-value")).to_have_text(id_number)

    page.goto(f"{live_server.url}/access-log/")
    log = page.get_by_test_id("accesslog-table")
    expect(log).to_contain_text(resident.name)
    expect(log).to_contain_text("核对返汉人员身份")
    expect(log).to_contain_text("身份证号")
