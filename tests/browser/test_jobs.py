"""On a phone, a graduate signs up on the fair's public page (with a PDF CV), finds a
position and applies; the employer sees the application and invites to an interview;
the graduate picks a slot; the employer records an offer, which the graduate sees;
another employer gets 404 on the application."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from firstline.jobs.models import Application, Interview
from firstline.jobs.tests.furnish import PDF, furnish
from firstline.testing.world import PASSWORD, build_world, make_id_number
from tests.browser.test_gate_journey import PHONE, login, logout


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    return furnish(build_world())


def test_sign_up_apply_invite_pick_offer_and_404_for_another(page: Page, live_server, world):
    base = live_server.url
    a, b = world.a, world.b
    page.on("dialog", lambda dialog: dialog.accept())

    # The graduate signs up on the public page and applies.
    page.goto(f"{base}{reverse('jobs:fair_public', args=[world.fair.pk])}")
    expect(page.get_by_test_id("fair-title")).to_contain_text("毕业生网络招聘会")
    page.get_by_test_id("sign-up").click()
    page.get_by_label("登录名", exact=True).fill("grad_wang")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("姓名", exact=True).fill("王小明")
    page.get_by_label("学校", exact=True).fill("华中科技大学")
    page.get_by_label("专业", exact=True).fill("物业管理")
    page.get_by_label("毕业年份", exact=True).fill("2020")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    page.get_by_label("身份证号", exact=True).fill(make_id_number(321, birth="19980101"))
    page.get_by_label("简历（PDF 或 Word，5 MB 以内）").set_input_files(
        {"name": "王小明简历.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label(re.compile("我同意")).check()
    page.get_by_test_id("sign-up-submit").click()
    expect(page.get_by_test_id("phone-masked")).to_have_text("139****5678")
    page.goto(f"{base}{reverse('jobs:position_browse')}?q=物业管理员")
    page.get_by_test_id("position-cards").get_by_test_id("apply").first.click()
    page.get_by_test_id("apply-submit").click()
    expect(page.get_by_test_id("my-applications")).to_contain_text("已投递")
    mine = Application.all_tenants.get(graduate__user__username="grad_wang")
    url = reverse("jobs:application_detail", args=[mine.pk])
    employer = a if mine.company_id == a.company.pk else b
    other = b if employer is a else a
    logout(page)

    # The employer sees it and invites to an interview (the graduate picks the slot).
    login(page, base, employer.users["company_admin"].username)
    page.goto(f"{base}{reverse('jobs:application_list')}")
    page.get_by_role("link", name="王小明").first.click()
    expect(page.get_by_test_id("applicant-phone")).to_have_text("139****5678")
    page.get_by_test_id("invite").click()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("state")).to_have_text("已邀请面试")
    logout(page)

    # The graduate picks a slot.
    login(page, base, "grad_wang")
    page.goto(f"{base}{reverse('jobs:my_application', args=[mine.pk])}")
    page.get_by_test_id("pick-form").get_by_role("radio").first.check()
    page.get_by_test_id("pick-submit").click()
    expect(page.get_by_test_id("interview")).to_contain_text("进入线上面试")
    assert Interview.all_tenants.filter(application=mine).count() == 1
    logout(page)

    # The employer records the offer.
    login(page, base, employer.users["company_admin"].username)
    page.goto(f"{base}{url}")
    page.get_by_test_id("decide").click()
    page.get_by_label("处理").select_option("offer")
    page.get_by_label("录用月薪（元）").fill("5500")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("offer")).to_have_text("5500")
    logout(page)

    # Another employer: 404, page and CV.
    login(page, base, other.users["company_admin"].username)
    assert page.goto(f"{base}{url}").status == 404
    cv = page.request.get(f"{base}{reverse('jobs:cv_download', args=[mine.pk])}")
    assert cv.status == 404
    logout(page)

    # The graduate sees the offer.
    login(page, base, "grad_wang")
    page.goto(f"{base}{reverse('jobs:me')}")
    expect(page.get_by_test_id("offers")).to_contain_text("5500")
