"""A guide change through moderation, and a company's edition that sees it: a company
admin derives its edition of the residential guide; a content editor changes the
guide's version and change note in Wagtail's editor and submits it for moderation; the
association admin approves it; the public page shows the new version and its change
note, and the company's edition lists the national change since it was derived."""

import pytest
from playwright.sync_api import Browser, Page, expect

from firstline.core.roles import Role
from firstline.publishing.tests.test_guides import make_guide
from firstline.testing.world import build_world, make_user
from tests.browser.test_gate_journey import login

NOTE = "新增快递收发点消毒要求"


@pytest.fixture
def world(transactional_db):
    world = build_world()
    world.writer = make_user("writer", Role.CONTENT_EDITOR, association=world.association)
    world.guide = make_guide(versions=1)
    return world


def _as(browser: Browser, args: dict, base: str, username: str) -> Page:
    page = browser.new_context(**args).new_page()
    login(page, base, username)
    return page


def test_editor_drafts_admin_approves_public_and_edition_see_it(
    browser: Browser, browser_context_args, live_server, world
):
    base, guide = live_server.url, world.guide

    company = _as(browser, browser_context_args, base, world.a.users["company_admin"].username)
    company.goto(f"{base}/publishing/editions/new/?guide={guide.pk}")
    company.fill("input[name=title]", "安居住宅小区指引")
    company.fill("textarea[name=additions]", "门岗每两小时交接一次。")
    company.locator("form button[type=submit]").last.click()
    expect(company.get_by_test_id("edition-up-to-date")).to_be_visible()

    editor = _as(browser, browser_context_args, base, world.writer.username)
    editor.goto(f"{base}/cms/pages/{guide.pk}/edit/")
    editor.fill("input[name=version]", "1.1")
    editor.fill("input[name=change_note]", NOTE)
    editor.eval_on_selector("button[name=action-submit]", "b => b.click()")
    expect(editor.locator(".messages")).to_be_visible()

    admin = _as(browser, browser_context_args, base, world.users["association_admin"].username)
    admin.goto(f"{base}/cms/pages/{guide.pk}/edit/")
    approve = "button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])"
    admin.eval_on_selector(approve, "b => b.click()")
    expect(admin.locator(".messages")).to_be_visible()

    public = browser.new_context(**browser_context_args).new_page()
    public.goto(f"{base}{guide.url}")
    expect(public.get_by_test_id("change-note")).to_contain_text(NOTE)
    expect(public.get_by_test_id("guide-version")).to_contain_text("1.1")
    expect(public.get_by_test_id("guide-versions")).to_contain_text(NOTE)

    company.reload()
    expect(company.get_by_test_id("edition-change")).to_contain_text(NOTE)
    expect(company.get_by_test_id("edition-national-version")).to_contain_text("v1.1")
