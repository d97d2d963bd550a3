"""An owners' survey from XLSForm to the export: the association admin uploads a
workbook with skip logic and opens the survey; an owner answers on a phone (390 px
wide) page by page, saying the compound is not closed, so the question about its
gates is never shown; the answer is in the admin's CSV export."""

import csv
import io

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from firstline.surveys.models import Response, Survey
from firstline.surveys.tests.forms import workbook
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login

WHY = "老旧小区没有围墙，无法封闭"


@pytest.fixture
def world(transactional_db):
    return build_world()


def test_upload_answer_on_a_phone_and_export(
    page: Page, browser: Browser, browser_context_args, live_server, world, tmp_path
):
    base = live_server.url
    form = tmp_path / "impact.xlsx"
    form.write_bytes(workbook())
    admin_context = browser.new_context(**browser_context_args)
    admin = admin_context.new_page()
    login(admin, base, world.users["association_admin"].username)
    admin.goto(f"{base}{reverse('surveys:survey_list')}")
    admin.get_by_test_id("survey-create").click()
    admin.set_input_files("input[name=file]", str(form))
    admin.select_option("select[name=audience]", "owners")
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_test_id("survey-state")).to_have_text("草稿")
    expect(admin.get_by_test_id("survey-questions")).to_contain_text("${closed} = 'yes'")
    admin.get_by_test_id("survey-open").click()
    expect(admin.get_by_test_id("survey-state")).to_have_text("进行中")
    link = admin.get_by_test_id("survey-public-url").input_value()
    assert link.startswith(base) and "/surveys/s/" in link

    phone = browser.new_context(**{**browser_context_args, **PHONE})
    owner = phone.new_page()
    owner.goto(link)
    owner.fill("input[name=phone]", "13912345678")
    owner.get_by_test_id("phone-next").click()
    seen: set[str] = set()

    def page_questions():
        names = owner.locator("fieldset[data-question]").evaluate_all(
            "els => els.map(e => e.dataset.question)"
        )
        seen.update(names)
        width = owner.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the phone page scrolls sideways ({width}px)"
        return names

    assert page_questions() == ["closed"]
    owner.get_by_label("否").check()
    owner.get_by_test_id("survey-next").click()
    assert "gates" not in page_questions()
    owner.get_by_label("严重").check()
    owner.get_by_test_id("survey-next").click()
    names = page_questions()
    assert "why_not" in names and "gates" not in names
    owner.fill("input[name=extra_cost]", "2.5")
    owner.get_by_label("补贴").check()
    owner.fill("textarea[name=why_not]", WHY)
    owner.get_by_test_id("survey-next").click()
    expect(owner.get_by_test_id("survey-done")).to_be_visible()
    assert "gates" not in seen  # the skipped question was never shown
    phone.close()

    survey = Survey.all_tenants.get()
    row = Response.all_tenants.get(survey=survey)
    assert "gates" not in row.answers and row.answers["why_not"] == WHY

    export = admin.request.get(
        f"{base}{reverse('surveys:survey_export', args=[survey.pk])}?format=csv&labels=1"
    )
    assert export.ok
    table = list(csv.reader(io.StringIO(export.body().decode("utf-8-sig"))))
    answer = dict(zip(table[0], table[1], strict=True))
    assert answer["为什么没有封闭？"] == WHY
    assert answer["小区是否实行封闭管理？"] == "否"
    assert answer["保留出入口数量（个）"] == ""
    admin_context.close()
