"""The research group's results on a phone: a large SPSS export runs in the
background and its download link appears on the progress page; a read-only link
for the board opens without signing in (figures, charts drawn, small cells as "<5",
no free text) and, once revoked, is a page that does not exist."""

import tempfile

import pyreadstat
import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from firstline.surveys.tests.rows import answered_survey
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login


@pytest.fixture
def world(transactional_db):
    return build_world()


def test_background_sav_and_a_board_link(
    page: Page, browser: Browser, browser_context_args, live_server, world, settings, tmp_path
):
    settings.SURVEYS_EXPORT_STREAM_ROWS = {"csv": 5, "xlsx": 5, "sav": 5}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    survey = answered_survey(world)
    base = live_server.url
    admin_context = browser.new_context(**{**browser_context_args, **PHONE})
    admin = admin_context.new_page()
    login(admin, base, world.users["association_admin"].username)
    admin.goto(f"{base}{reverse('surveys:survey_results', args=[survey.pk])}")

    # More rows than the limit: the .sav is made in the background.
    admin.get_by_test_id("export-sav").click()
    expect(admin.get_by_test_id("export-status")).to_have_attribute("data-status", "succeeded")
    with admin.expect_download() as info:
        admin.get_by_test_id("export-download").click()
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        info.value.save_as(f.name)
        frame, meta = pyreadstat.read_sav(f.name, output_format="polars")
    assert frame.height == 16
    assert meta.variable_value_labels["closed"] == {1.0: "是", 2.0: "否"}

    # A link for the board, opened on another phone without signing in.
    admin.goto(f"{base}{reverse('surveys:survey_results', args=[survey.pk])}")
    admin.fill("input[name=label]", "理事会三月例会")
    admin.get_by_test_id("board-link-create").click()
    url = admin.get_by_test_id("board-link-url").input_value()
    assert url.startswith(base) and "/surveys/board/" in url
    board_context = browser.new_context(**{**browser_context_args, **PHONE})
    board = board_context.new_page()
    board.goto(url)
    expect(board.get_by_test_id("board-total")).to_have_text("16")
    expect(board.locator("[data-question=impact] [data-code=low]")).to_have_text("<5")
    expect(board.locator("[data-chart=chart-impact] svg")).to_be_visible()  # drawn
    assert "意见1" not in board.content()  # free text is never on the board's page
    assert board.evaluate("document.documentElement.scrollWidth") <= 390

    # Revoked (asked first): the link is a page that does not exist.
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_test_id("board-link-revoke").click()
    expect(admin.locator("[data-testid=board-link-list] .badge")).to_have_text("已撤销")
    assert board.goto(url).status == 404
    board_context.close()
    admin_context.close()
