"""The cleaner on a phone: opens what an area's QR code encodes, taps 完成 on a task,
the task shows done and the page's counter (and, on the day's page, the area's badge)
follows without a reload; the site manager's compliance figure for the site changes."""

from datetime import datetime, time, timedelta

import pytest
import segno
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from firstline.sanitation.models import Task
from firstline.sanitation.tests.test_completion import make_area, make_entry
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import PHONE, login


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    return build_world()


def due_tasks(tenant) -> list[Task]:
    """Two slots of a lift entry due in the first minutes of today: already due, so the
    compliance figure counts both (0 % before the taps, 100 % after both)."""
    area = make_area(tenant)
    entry = make_entry(area, times=2)
    day = timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(day, time(0, 0)))
    return [
        Task.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            entry=entry,
            area=area,
            day=day,
            slot=slot,
            due_at=midnight + timedelta(minutes=slot),
        )
        for slot in (1, 2)
    ]


def compliance_figure(page: Page, base: str, site) -> str:
    page.goto(f"{base}{reverse('sanitation:compliance')}")
    cell = page.get_by_test_id(f"compliance-site-{site.pk}")
    expect(cell).to_be_visible()
    return cell.inner_text().strip()


def test_cleaner_scans_an_area_and_completes_a_task_the_manager_sees_it(
    page: Page, browser: Browser, browser_context_args, live_server, world
):
    base = live_server.url
    first, second = due_tasks(world.a)
    area = first.area
    qr_url = f"{base}{reverse('sanitation:area_tasks', args=[area.qr_token])}"
    # What the posted code holds is the page's URL: printing it makes a valid QR code.
    assert segno.make(qr_url, error="m").designator

    manager_context = browser.new_context(**browser_context_args)
    manager = manager_context.new_page()
    login(manager, base, world.a.users["site_manager"].username)
    before = compliance_figure(manager, base, world.a.site)

    login(page, base, world.a.users["cleaner"].username)
    page.goto(qr_url)
    expect(page.get_by_test_id("cleaner-site")).to_have_text(world.a.site.name)
    card = page.get_by_test_id(f"cleaner-task-{first.pk}")
    expect(card).to_have_attribute("data-state", "pending")
    progress = page.get_by_test_id("cleaner-progress")
    expect(progress).to_contain_text("已完成 0/2")
    card.get_by_test_id("task-done").tap()

    expect(card).to_have_attribute("data-state", "done")
    expect(progress).to_contain_text("已完成 1/2")  # out of band, without a reload
    expect(card.get_by_test_id("task-state")).to_contain_text("已完成")
    expect(page.get_by_test_id(f"cleaner-task-{second.pk}")).to_have_attribute(
        "data-state", "pending"
    )
    stored = Task.all_tenants.get(pk=first.pk)
    assert (stored.state, stored.done_by_id, stored.source) == (
        "done",
        world.a.users["cleaner"].pk,
        "cleaner",
    )
    assert stored.client_uuid is not None  # the page's script gave the tap its UUID

    # The day's page: the counter and the area's badge follow the next tap too.
    page.get_by_role("link", name="今日全部任务").click()
    badge = page.get_by_test_id(f"cleaner-area-badge-{area.pk}")
    expect(badge).to_have_text("1/2")
    page.get_by_test_id(f"cleaner-task-{second.pk}").get_by_test_id("task-done").tap()
    expect(page.get_by_test_id("cleaner-progress")).to_contain_text("已完成 2/2")
    expect(badge).to_have_text("2/2")

    after = compliance_figure(manager, base, world.a.site)
    assert after != before
    assert after.startswith("100") and after.endswith("%")  # 2 of 2 due tasks done
    manager_context.close()


def test_a_tap_without_a_connection_is_queued_and_replayed(page: Page, live_server, world):
    base = live_server.url
    first, _second = due_tasks(world.a)
    login(page, base, world.a.users["cleaner"].username)
    page.goto(f"{base}{reverse('sanitation:area_tasks', args=[first.area.qr_token])}")
    card = page.get_by_test_id(f"cleaner-task-{first.pk}")

    page.context.set_offline(True)
    card.get_by_test_id("task-done").tap()
    expect(card).to_have_attribute("data-state", "queued")
    expect(card.get_by_test_id("task-queued")).to_contain_text("已暂存")
    expect(page.get_by_test_id("cleaner-queue")).to_be_visible()
    assert Task.all_tenants.get(pk=first.pk).state == "pending"

    page.context.set_offline(False)
    expect(card).to_have_attribute("data-state", "done", timeout=15000)
    expect(page.get_by_test_id("cleaner-queue")).to_be_hidden()
    stored = Task.all_tenants.get(pk=first.pk)
    assert stored.state == "done" and stored.client_uuid is not None
