"""Screening on a phone, end to end: a resident opens the site's declaration link,
signs in with a one-time code, consents, declares a visit to a high-risk district and
is screened red; at the gate the guard looks the resident up and is told to refuse,
with the reason; the health officer finds the resident on the worklist."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from firstline.access.services import gate as access_services
from firstline.core.personal.fields import get_personal
from firstline.health.models import Declaration, WorkItem
from firstline.health.tests.helpers import high_risk_list
from firstline.health.views.declare import declare_path
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, last_four, login, logout, look_up_and_tap


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    world = build_world()
    access_services.policy_publish(
        actor=None,
        site=world.a.site,
        data={"mode": "closed", "effective_from": timezone.now() - timedelta(days=1)},
    )
    high_risk_list("湖北省卫健委 风险地区")
    return world


def test_resident_declares_a_high_risk_visit_and_is_refused_at_the_gate(
    page: Page, live_server, world
):
    resident = world.a.residents[0]
    phone = get_personal(resident, "phone")
    visited = timezone.localdate() - timedelta(days=3)

    # The resident, with no account: the link from the QR code at the site's gate.
    page.goto(live_server.url + declare_path(world.a.site))
    page.fill("input[name=phone]", phone)
    page.get_by_role("button", name="获取验证码").tap()
    code = page.get_by_test_id("demo-code").locator("strong").inner_text().strip()
    page.fill("input[name=code]", "000000" if code != "000000" else "111111")
    page.get_by_role("button", name="验证并继续").tap()
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="验证并继续").tap()
    if page.get_by_role("radio").count():  # several residents share this phone
        page.get_by_role("radio", name=re.compile(resident.name)).check()
        page.get_by_role("button").last.tap()

    # Consent to health data is asked on its own; refusing it stores nothing.
    page.get_by_role("button", name="同意并继续").tap()
    expect(page.get_by_test_id("consent-form")).to_be_visible()
    page.locator("input[name=agree]").check()
    page.get_by_role("button", name="同意并继续").tap()

    page.fill("input[name=places-0-place_name]", "武汉市江汉区")
    page.fill("input[name=places-0-visited_on]", visited.isoformat())
    page.locator("select[name=places-0-division_code]").select_option("420103")
    # Five place rows are shown; a sixth is added on the page.
    expect(page.get_by_test_id("place-row")).to_have_count(5)
    page.get_by_test_id("place-add").tap()
    expect(page.get_by_test_id("place-row")).to_have_count(6)
    page.fill("input[name=places-5-place_name]", "孝感市")
    page.fill("input[name=places-5-visited_on]", visited.isoformat())
    page.fill("input[name=temperature]", "36.6")
    page.get_by_role("button", name="提交申报").tap()

    status = page.get_by_test_id("declaration-status")
    expect(status).to_have_attribute("data-status", "red")
    expect(page.get_by_test_id("declaration-reasons")).to_contain_text("武汉市江汉区")
    declaration = Declaration.all_tenants.get(resident=resident, current=True)
    assert (declaration.status, declaration.channel) == ("red", "self")
    assert sorted(declaration.places.values_list("place_name", flat=True)) == [
        "孝感市",
        "武汉市江汉区",
    ]
    assert (
        WorkItem.all_tenants.filter(resident=resident, level="red").exclude(state="closed").exists()
    )

    # The guard at the gate: the lookup says DENY, and why.
    login(page, live_server.url, world.a.users["guard"].username)
    page.goto(f"{live_server.url}/access/gate/")
    page.fill("#gate-temperature", "36.6")
    look_up_and_tap(page, last_four(resident), resident.name)
    result = page.get_by_test_id("gate-result")
    expect(result).to_have_attribute("data-decision", "deny")
    expect(page.get_by_test_id("gate-result-reasons")).to_contain_text("红码")
    logout(page)

    # The health officer has the resident on the worklist.
    login(page, live_server.url, world.a.users["health_officer"].username)
    page.goto(f"{live_server.url}/health/worklist/")
    expect(page.locator("main")).to_contain_text(resident.name)
