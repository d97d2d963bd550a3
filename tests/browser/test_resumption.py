"""Back to work in an office building, end to end on a phone: the building manager
approves a tenant's application; the tenant's admin registers a returning employee
and issues the passes; the employee declares health as residents do (one-time
code, consent) and is green; the building's gate device admits the pass within the
working hours; the manager moves the hours so that now lies outside them, and the
same pass is refused with the reason naming the hours, which the building's
figures list.

No step depends on the time of day: the hours are set around the moment the test
runs, and the gate events carry explicit device times (the device API)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from firstline.access.models import Checkpoint, Pass
from firstline.access.services import devices
from firstline.access.services import gate as access_gate
from firstline.estates.models import Resident
from firstline.health.models import Declaration
from firstline.health.views.declare import declare_path
from firstline.resumption.tests.furnish import furnish
from firstline.testing.world import build_world, make_id_number
from tests.browser.test_gate_journey import PHONE, login, logout

EMPLOYEE = "周返岗"
EMPLOYEE_PHONE = "13812345678"


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


def hhmm(moment) -> str:
    return moment.strftime("%H:%M")


@pytest.fixture
def world(transactional_db):
    world = furnish(build_world())
    now = timezone.localtime()
    access_gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={
            "mode": "office",
            "effective_from": now - timedelta(days=1),
            "office_hours_start": (now - timedelta(hours=2))
            .time()
            .replace(second=0, microsecond=0),
            "office_hours_end": (now + timedelta(hours=2)).time().replace(second=0, microsecond=0),
            "floor_cap": 30,
        },
    )
    checkpoint = Checkpoint.all_tenants.create(
        company=world.a.company, site=world.a.site, name="大堂闸机"
    )
    _, world.device_token = devices.device_register(
        actor=None, checkpoint=checkpoint, name="大堂测温闸机", kind="turnstile"
    )
    return world


def gate_event(page: Page, base: str, world, token: str) -> dict:
    """What the lobby turnstile sends when the pass is scanned, with its own clock."""
    response = page.request.post(
        f"{base}/api/v1/access/events",
        headers={"Authorization": f"Bearer {world.device_token}"},
        data={
            "site_id": world.a.site.pk,
            "client_uuid": str(uuid.uuid4()),
            "direction": "in",
            "device_time": timezone.now().isoformat(),
            "token": token,
            "temperature": "36.5",
        },
    )
    assert response.status == 200, response.text()
    return response.json()


def test_returning_employee_declares_gets_a_pass_and_is_checked_by_office_hours(
    page: Page, live_server, world
):
    base = live_server.url
    application = world.a.application

    # The building manager approves the tenant's application, with conditions.
    login(page, base, world.a.users["site_manager"].username)
    page.goto(f"{base}/resumption/applications/{application.pk}/")
    page.get_by_test_id("approve").tap()
    page.fill("input[name=approved_headcount]", "3")
    page.fill("textarea[name=conditions]", "错峰上下班，电梯限载 4 人")
    page.get_by_role("button", name="保存").tap()
    expect(page.get_by_test_id("application").locator("[data-state]").first).to_have_attribute(
        "data-state", "approved"
    )
    logout(page)

    # The tenant's admin registers a returning employee and issues the passes.
    login(page, base, world.a.users["tenant_admin"].username)
    page.goto(f"{base}/resumption/mine/")
    page.get_by_test_id("staff-add").tap()
    page.fill("input[name=name]", EMPLOYEE)
    page.fill("input[name=phone]", EMPLOYEE_PHONE)
    page.fill("input[name=id_number]", make_id_number(321))
    page.get_by_role("button", name="保存").tap()
    expect(page.get_by_test_id("staff-table")).to_contain_text(EMPLOYEE)
    page.get_by_test_id("passes-issue").tap()
    page.locator("input[name=confirmed]").check()
    page.get_by_role("button", name="保存").tap()
    row = page.get_by_test_id("staff-table").locator("tr", has_text=EMPLOYEE)
    expect(row.get_by_test_id("staff-pass")).to_be_visible()
    logout(page)
    employee = Resident.all_tenants.get(name=EMPLOYEE)
    pass_ = Pass.all_tenants.get(resident=employee, revoked_at__isnull=True)
    assert Pass.all_tenants.filter(household=world.a.household, revoked_at=None).count() == 3

    # The employee declares health from the building's link, as residents do.
    page.goto(base + declare_path(world.a.site))
    page.fill("input[name=phone]", EMPLOYEE_PHONE)
    page.get_by_role("button", name="获取验证码").tap()
    code = page.get_by_test_id("demo-code").locator("strong").inner_text().strip()
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="验证并继续").tap()
    page.locator("input[name=agree]").check()
    page.get_by_role("button", name="同意并继续").tap()
    page.fill("input[name=temperature]", "36.5")
    page.get_by_role("button", name="提交申报").tap()
    expect(page.get_by_test_id("declaration-status")).to_have_attribute("data-status", "green")
    assert Declaration.all_tenants.get(resident=employee, current=True).status == "green"

    # At the lobby within the working hours: admitted.
    token = access_gate.pass_token(pass_)
    admitted = gate_event(page, base, world, token)
    assert (admitted["decision"], admitted["reasons"]) == ("admit", ["核验通过"])

    # The manager moves the hours so that now lies outside them (a new policy version).
    login(page, base, world.a.users["site_manager"].username)
    page.goto(f"{base}/access/policies/new/?site={world.a.site.pk}")
    now = timezone.localtime()
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)
    expect(page.locator("select[name=mode]")).to_have_value("office")
    page.fill("input[name=office_hours_start]", hhmm(start))
    page.fill("input[name=office_hours_end]", hhmm(end))
    page.get_by_role("button", name="保存").tap()
    expect(page.get_by_test_id("policy-diff")).to_contain_text(hhmm(start))

    refused = gate_event(page, base, world, token)
    hours = f"不在办公时间（{hhmm(start)}–{hhmm(end)}）"
    assert (refused["decision"], refused["reasons"]) == ("deny", [hours])

    # The building's figures: the employee came in today, and the refusal with its reason.
    page.goto(f"{base}/resumption/figures/building/?site={world.a.site.pk}")
    expect(page.get_by_test_id("fig-admitted")).to_have_text("1")
    expect(page.get_by_test_id("refusal-reasons")).to_contain_text(hours)
    expect(page.get_by_test_id("fig-refused")).to_have_text(re.compile(r"1\s*/\s*1"))
