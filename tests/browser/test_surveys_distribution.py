"""An owners' survey handed out per site: the association admin asks for a one-time
code and a quota of one response per site, takes a site's own link from the page of
site QR codes; an owner on a phone proves the number by its code and answers; the
next owner at the same site finds the "已满" page."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from firstline.surveys.models import Response
from firstline.surveys.tests.forms import survey_of
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login


@pytest.fixture
def world(transactional_db):
    return build_world()


def test_site_link_code_and_full(
    page: Page, browser: Browser, browser_context_args, live_server, world
):
    base = live_server.url
    survey = survey_of(world, audience="owners")
    admin = page
    login(admin, base, world.users["association_admin"].username)
    admin.goto(f"{base}{reverse('surveys:survey_detail', args=[survey.pk])}")
    admin.get_by_test_id("survey-distribution").click()
    admin.select_option("select[name=phone_check]", "code")
    admin.fill("input[name=quota_per_site]", "1")
    admin.get_by_role("button", name="保存").click()
    admin.goto(f"{base}{reverse('surveys:survey_sites', args=[survey.pk])}")
    admin.fill("input[name=q]", world.a.site.name)
    admin.get_by_role("button", name="筛选").click()
    expect(admin.get_by_test_id("site-url")).to_have_count(1)
    link = admin.get_by_test_id("site-url").input_value()
    assert link.startswith(base) and "site=" in link

    phone = browser.new_context(**{**browser_context_args, **PHONE})
    owner = phone.new_page()
    owner.goto(link)
    owner.fill("input[name=phone]", "13912345678")
    owner.get_by_test_id("code-send").click()
    code = owner.get_by_test_id("demo-code").locator("strong").inner_text()
    owner.fill("input[name=code]", code)
    owner.get_by_test_id("code-verify").click()
    owner.get_by_label("否").check()
    owner.get_by_test_id("survey-next").click()
    owner.get_by_label("一般").check()
    owner.get_by_test_id("survey-next").click()
    owner.get_by_test_id("survey-next").click()
    expect(owner.get_by_test_id("survey-done")).to_be_visible()
    width = owner.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.close()
    row = Response.all_tenants.get(survey=survey)
    assert row.site_id == world.a.site.pk

    second = browser.new_context(**{**browser_context_args, **PHONE})
    neighbour = second.new_page()
    neighbour.goto(link)
    expect(neighbour.get_by_test_id("survey-full")).to_contain_text("已满")
    second.close()
