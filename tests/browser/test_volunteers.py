"""A volunteer on a phone at a hospital: opens what the site's check-in QR code holds
and checks in while offline (the scan waits in the phone's queue and is sent when the
phone is back online, with the time it was made), completes a medical-waste run and
hands it over (the receiving party opens the task's handover QR code and signs),
checks out; the hours appear on the volunteer's record, and the certificate of
service verifies on the public page."""

from datetime import timedelta

import pytest
import segno
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from firstline.testing.world import build_world
from firstline.volunteers.models import Attendance, SupportTask
from firstline.volunteers.services.duty import site_token
from firstline.volunteers.tests.furnish import furnish
from tests.browser.test_gate_journey import PHONE, login


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    return furnish(build_world())


def test_volunteer_checks_in_hands_over_checks_out_and_verifies(
    page: Page, browser: Browser, browser_context_args, live_server, world
):
    base = live_server.url
    t = world.a
    task = t.task
    checkin_url = f"{base}{reverse('volunteers:checkin', args=[site_token(t.site)])}"
    # What the posted code holds is the page's URL: printing it makes a valid QR code.
    assert segno.make(checkin_url, error="m").designator

    # The phone's clock: two hours ago when the volunteer arrives.
    arrived = timezone.now() - timedelta(hours=2)
    page.clock.install(time=arrived)
    login(page, base, t.users["volunteer"].username)
    page.goto(checkin_url)
    expect(page.get_by_test_id("checkin-site")).to_have_text(t.site.name)

    # Offline: the check-in waits in the phone's queue.
    page.context.set_offline(True)
    page.get_by_test_id("checkin-in").tap()
    expect(page.get_by_test_id("checkin-log")).to_contain_text("已暂存")
    expect(page.get_by_test_id("checkin-queue")).to_be_visible()
    assert not Attendance.all_tenants.filter(
        deployment=t.deployment, check_out_at__isnull=True
    ).exists()
    # Back online: sent with the time it was made.
    page.context.set_offline(False)
    expect(page.get_by_test_id("checkin-log")).to_contain_text("签到成功", timeout=15000)
    expect(page.get_by_test_id("checkin-queue")).to_be_hidden()
    open_ = Attendance.all_tenants.get(deployment=t.deployment, check_out_at__isnull=True)
    assert abs((open_.check_in_at - arrived).total_seconds()) < 120

    # The medical-waste run: the weight, then the handover QR code.
    page.goto(f"{base}{reverse('volunteers:my_shifts')}")
    page.get_by_test_id("my-tasks").get_by_text(task.title).tap()
    expect(page.get_by_test_id("safety-rules")).to_contain_text("双层黄色包装袋")
    page.get_by_label("重量（公斤）").fill("12.5")
    page.get_by_test_id("task-ready").tap()
    expect(page.get_by_test_id("handover-qr")).to_be_visible()
    handover_url = page.get_by_test_id("handover-link").get_attribute("href")
    assert handover_url.endswith(reverse("volunteers:handover", args=[task.handover_token]))
    assert segno.make(handover_url, error="m").designator

    # The receiving party scans it on their own phone (no login) and signs.
    receiver_context = browser.new_context(**browser_context_args)
    receiver = receiver_context.new_page()
    receiver.on("dialog", lambda dialog: dialog.accept())
    receiver.goto(handover_url)
    expect(receiver.get_by_test_id("handover-weight")).to_contain_text("12.50")
    receiver.get_by_label("接收人签名（姓名）").fill("李护士")
    receiver.get_by_test_id("handover-sign").tap()
    expect(receiver.get_by_test_id("handover-done")).to_contain_text("李护士")
    # The volunteer's page follows (it polls the task's state).
    expect(page.get_by_test_id("task-done")).to_contain_text("李护士", timeout=20000)
    stored = SupportTask.all_tenants.get(pk=task.pk)
    assert stored.state == "done" and str(stored.weight_kg) == "12.50"

    # Check out, at the phone's present time: two hours on duty.
    page.clock.set_system_time(timezone.now())
    page.goto(checkin_url)
    page.get_by_test_id("checkin-out").tap()
    expect(page.get_by_test_id("checkin-log")).to_contain_text("签退成功", timeout=15000)
    closed = Attendance.all_tenants.get(pk=open_.pk)
    assert 115 <= closed.minutes <= 125

    # The record: yesterday's 8 hours and today's 2.
    page.goto(f"{base}{reverse('volunteers:me')}")
    hours = float(page.get_by_test_id("my-hours").inner_text().split()[0])
    assert 9.9 <= hours <= 10.1
    page.get_by_test_id("certificate-issue").tap()
    code = page.get_by_test_id("certificate-code").inner_text().strip()
    assert len(code) == 10

    # Anyone verifies it: the masked name, the hours, nothing else.
    receiver.goto(f"{base}{reverse('volunteers:verify')}")
    receiver.get_by_role("textbox").fill(code)
    receiver.get_by_role("button", name="核验").tap()
    expect(receiver.get_by_test_id("verify-ok")).to_be_visible()
    expect(receiver.get_by_test_id("verify-name")).to_have_text(t.volunteer.name_masked)
    expect(receiver.get_by_test_id("verify-hours")).to_contain_text(str(hours))
    assert t.volunteer.name not in receiver.content()
    receiver_context.close()
