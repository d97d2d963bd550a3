"""A member company asks the association a legal question on a phone (with a PDF),
the desk assigns it to an expert of the pool, the expert replies, the company
follows up and closes it with a rating (asked first: it is irreversible); another
company's admin and an expert not assigned to it get 404 on it."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from firstline.consultations.models import Consultation
from firstline.consultations.tests.furnish import PDF, furnish
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login, logout


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    return furnish(build_world())


def test_ask_assign_reply_follow_up_close_and_confidential(page: Page, live_server, world):
    base = live_server.url
    a, b = world.a, world.b
    page.on("dialog", lambda dialog: dialog.accept())

    # The company asks, with its lease as a PDF.
    login(page, base, a.users["company_admin"].username)
    page.goto(f"{base}{reverse('consultations:ask')}")
    page.get_by_label("咨询类别").select_option(label="劳动用工")
    page.get_by_label("标题").fill("保洁员隔离期间工资如何发放")
    page.get_by_label("问题描述").fill("保洁员春节返乡后被当地隔离十四天，这期间工资是否照发？")
    page.get_by_label("附件").set_input_files(
        {"name": "劳动合同.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_test_id("ask-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("待分派")
    expect(page.get_by_test_id("attachment-link")).to_contain_text("劳动合同.pdf")
    asked = Consultation.all_tenants.get(title="保洁员隔离期间工资如何发放")
    url = f"{base}{reverse('consultations:detail', args=[asked.pk])}"
    assert asked.company_id == a.company.pk and asked.region_id == a.company.division_id
    logout(page)

    # The desk assigns it to a's expert (the conflict-free, fitting one).
    login(page, base, world.users["association_admin"].username)
    page.goto(f"{base}{reverse('consultations:list')}")
    page.get_by_test_id("consultation-table").get_by_text("保洁员隔离期间工资").click()
    page.get_by_test_id("assign-link").click()
    page.get_by_label(re.compile(r"a律师")).check()
    page.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("已分派")
    expect(page.get_by_test_id("assigned-experts")).to_contain_text("a律师")
    logout(page)

    # The expert finds it among its own and replies.
    login(page, base, a.users["expert"].username)
    page.goto(f"{base}{reverse('consultations:list')}")
    page.get_by_test_id("consultation-table").get_by_text("保洁员隔离期间工资").click()
    page.get_by_label("答复").fill("隔离期间应支付正常工作期间的工资，并照常缴纳社保。")
    page.get_by_test_id("reply-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("已答复")
    expect(page.get_by_test_id("thread")).to_contain_text("照常缴纳社保")
    logout(page)

    # The company follows up, then closes it with a rating.
    login(page, base, a.users["company_admin"].username)
    page.goto(url)
    expect(page.get_by_test_id("thread")).to_contain_text("隔离期间应支付正常工作期间的工资")
    page.get_by_label("追问或补充").fill("隔离期满仍不能返岗的怎么办？")
    page.get_by_test_id("reply-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("追问待答复")
    page.get_by_test_id("close-link").click()
    page.get_by_label("5 ★").check()
    page.get_by_label("评价", exact=True).fill("答复及时")
    page.get_by_test_id("close-submit").click()  # asks first; the dialog is accepted
    expect(page.get_by_test_id("status")).to_have_text("已关闭")
    expect(page.get_by_test_id("rating")).to_contain_text("5 ★")
    closed = Consultation.all_tenants.get(pk=asked.pk)
    assert (closed.status, closed.rating) == ("closed", 5)
    logout(page)

    # Another company's admin and an expert not assigned to it: 404, nothing shown.
    for user in (b.users["company_admin"], world.users["expert_free"], b.users["expert"]):
        login(page, base, user.username)
        response = page.goto(url)
        assert response.status == 404, user.username
        assert "保洁员隔离期间工资" not in page.content()
        logout(page)
