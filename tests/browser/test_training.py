"""Training, end to end on a phone: a guard on the staff list opens its front-line
course, completes the lesson and passes its quiz, downloads the certificate, whose
code the public verification page (signed out) confirms with the name masked; the
site manager then sees the completion on the roster."""

import re

import pytest
from playwright.sync_api import Page, expect

from firstline.testing.world import build_world
from firstline.training.services import learning
from firstline.training.tests.furnish import furnish
from tests.browser.test_gate_journey import PHONE, login, logout


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    return furnish(build_world())


def test_staff_member_completes_a_course_and_the_certificate_verifies(
    page: Page, live_server, world
):
    base = live_server.url
    login(page, base, world.a.users["guard"].username)
    page.goto(f"{base}/training/")
    page.get_by_test_id("my-course").first.tap()
    page.get_by_test_id("lesson-link").first.tap()
    page.get_by_test_id("lesson-complete").tap()
    expect(page).to_have_url(re.compile(r"/training/lessons/\d+/quiz/$"))
    for question in learning.quiz_questions(world.a.progress):
        for index in question.answer:
            page.locator(f"input[name=q{question.pk}][value='{index}']").check()
    page.get_by_test_id("quiz-submit").tap()
    expect(page.get_by_test_id("quiz-result")).to_contain_text("100")
    page.get_by_test_id("back-to-course").tap()
    with page.expect_download() as download:
        page.get_by_test_id("certificate").tap()
    assert download.value.suggested_filename.endswith(".pdf")
    code = page.get_by_test_id("certificate-code").locator(".font-monospace").inner_text()
    logout(page)
    page.goto(f"{base}/training/verify/{code}/")
    expect(page.get_by_test_id("verify-valid")).to_be_visible()
    expect(page.get_by_test_id("verify-name")).to_have_text(
        world.a.staff.name[0] + "*" * (len(world.a.staff.name) - 1)
    )
    login(page, base, world.a.users["site_manager"].username)
    page.goto(f"{base}/training/roster/")
    row = page.get_by_test_id("roster-row").filter(has_text=world.a.staff.name)
    expect(row.get_by_test_id("roster-done")).to_be_visible()
