"""The guard's gate page on a phone: check-in by lookup and by a scanned pass, a fever
that reaches the site manager, and events that survive a bad connection."""

import base64
import json
import math
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import segno
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from firstline.access.models import AccessEvent, Alert, FollowUp
from firstline.access.services import gate
from firstline.core.personal.fields import get_personal
from firstline.testing.world import PASSWORD, build_world

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def world(transactional_db):
    world = build_world()
    gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={"mode": "closed", "effective_from": timezone.now() - timedelta(days=1)},
    )
    return world


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def logout(page: Page) -> None:
    page.locator(".fl-user-btn").tap()
    page.get_by_role("button", name="退出登录").tap()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def open_gate(page: Page, base: str, world) -> None:
    login(page, base, world.a.users["guard"].username)
    page.goto(f"{base}/access/gate/")
    expect(page.get_by_test_id("gate-site")).to_have_text(world.a.site.name)


def look_up_and_tap(page: Page, term: str, name: str) -> None:
    page.fill("#gate-q", term)
    page.locator("#gate-q").press("Enter")
    match = page.get_by_test_id("gate-matches").get_by_role("button", name=re.compile(name))
    expect(match).to_have_count(1)
    match.tap()


def last_four(resident) -> str:
    return get_personal(resident, "phone")[-4:]


def test_lookup_admits_then_a_fever_is_referred_and_the_manager_sees_the_alert(
    page: Page, live_server, world
):
    healthy, feverish = world.a.residents
    open_gate(page, live_server.url, world)
    result = page.get_by_test_id("gate-result")

    page.fill("#gate-temperature", "36.6")
    look_up_and_tap(page, last_four(healthy), healthy.name)

    expect(result).to_have_attribute("data-decision", "admit")
    expect(result).to_contain_text("放行")
    expect(result).to_contain_text(healthy.name)
    expect(result).to_contain_text("1栋1单元301")
    expect(result).to_contain_text("核验通过")
    event = AccessEvent.all_tenants.get(resident=healthy)
    assert (
        event.site_id,
        event.direction,
        event.credential,
        event.temperature,
        event.decision,
        event.recorded_by_id,
    ) == (world.a.site.pk, "in", "lookup", Decimal("36.6"), "admit", world.a.users["guard"].pk)
    assert str(event.client_uuid) == result.get_attribute("data-client-uuid")
    expect(page.locator("#gate-temperature")).to_have_value(
        ""
    )  # the next person needs their own reading
    expect(page.locator("#gate-temperature-last")).to_have_text("上次 36.6")

    page.fill("#gate-temperature", "38.2")
    look_up_and_tap(page, last_four(feverish), feverish.name)

    expect(result).to_have_attribute("data-decision", "refer")
    expect(result).to_contain_text("转交处理")
    expect(result).to_contain_text(feverish.name)
    expect(page.get_by_test_id("gate-result-reasons")).to_have_text("体温 38.2℃，达到或超过 37.3℃")
    history = page.get_by_test_id("gate-history").locator("li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_have_attribute("data-decision", "refer")
    expect(history.nth(1)).to_have_attribute("data-decision", "admit")
    fever = AccessEvent.all_tenants.get(resident=feverish)
    assert (fever.decision, fever.temperature) == ("refer", Decimal("38.2"))
    assert Alert.all_tenants.filter(site=world.a.site).values_list("event_id", "kind").get() == (
        fever.pk,
        "fever",
    )
    assert FollowUp.all_tenants.filter(site=world.a.site).values_list(
        "event_id", "resident_id"
    ).get() == (fever.pk, feverish.pk)

    logout(page)
    login(page, live_server.url, world.a.users["site_manager"].username)
    page.goto(f"{live_server.url}/access/alerts/")

    expect(page.locator("main")).to_contain_text(feverish.name)
    expect(page.locator("main")).to_contain_text("38.2")


def test_offline_check_in_is_queued_then_replayed_once(page: Page, live_server, world):
    resident = world.a.residents[0]
    open_gate(page, live_server.url, world)
    result = page.get_by_test_id("gate-result")
    page.fill("#gate-temperature", "36.5")
    page.fill("#gate-q", last_four(resident))
    page.locator("#gate-q").press("Enter")
    match = page.get_by_test_id("gate-matches").get_by_role(
        "button", name=re.compile(resident.name)
    )
    expect(match).to_have_count(1)

    page.context.set_offline(True)
    match.tap()

    expect(result).to_have_attribute("data-decision", "queued")
    expect(result).to_contain_text("未联网，已暂存，请人工核验")
    expect(page.get_by_test_id("gate-queue")).to_have_text("离线：1 条待上传")
    expect(page.locator("#gate-net")).to_have_attribute("data-state", "offline")
    client_uuid = uuid.UUID(result.get_attribute("data-client-uuid"))
    assert not AccessEvent.all_tenants.filter(client_uuid=client_uuid).exists()

    page.context.set_offline(False)

    expect(page.get_by_test_id("gate-queue")).to_be_hidden()
    expect(result).to_have_attribute("data-decision", "admit")
    expect(result).to_contain_text("补传结果")
    event = AccessEvent.all_tenants.get(client_uuid=client_uuid)
    assert (event.resident_id, event.temperature, event.decision) == (
        resident.pk,
        Decimal("36.5"),
        "admit",
    )
    assert AccessEvent.all_tenants.count() == 1
    expect(page.get_by_test_id("gate-history").locator("li")).to_have_count(1)


def test_a_lost_answer_is_retried_with_the_same_uuid_and_stored_once(
    page: Page, live_server, world
):
    """The server stored the event but the answer never reached the phone: the page
    keeps it queued and the retry, with the same client UUID, is answered as a duplicate."""
    resident = world.a.residents[1]
    open_gate(page, live_server.url, world)
    sent: list[dict] = []

    def store_then_drop_the_answer(route: Route) -> None:
        sent.append(route.request.post_data_json)
        route.fetch()  # the server commits the event...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/api/v1/access/events", store_then_drop_the_answer)
    page.fill("#gate-temperature", "36.4")
    look_up_and_tap(page, last_four(resident), resident.name)

    result = page.get_by_test_id("gate-result")
    expect(result).to_have_attribute("data-decision", "queued")
    expect(page.get_by_test_id("gate-queue")).to_have_text("离线：1 条待上传")
    assert AccessEvent.all_tenants.count() == 1

    page.unroute("**/api/v1/access/events")
    with page.expect_response("**/api/v1/access/events") as answer:
        page.get_by_test_id("gate-queue").tap()

    assert answer.value.json()["duplicate"] is True
    assert answer.value.request.post_data_json == sent[0]  # same UUID, same device time
    expect(page.get_by_test_id("gate-queue")).to_be_hidden()
    expect(result).to_have_attribute("data-decision", "admit")
    assert list(AccessEvent.all_tenants.values_list("client_uuid", flat=True)) == [
        uuid.UUID(sent[0]["client_uuid"])
    ]


def qr_video(token: str, path, *, size: int = 480, degrees: float = 8) -> None:
    """A pass held in front of the camera (a little turned, as hands hold it), as a few
    Y4M frames for Chromium's fake camera."""
    modules = [list(row) for row in segno.make(token, error="m").matrix_iter(scale=1, border=4)]
    scale = size * 0.55 / len(modules)  # at arm's length: well inside the scan box
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    centre, half = size / 2, len(modules) / 2
    luma = bytearray(b"\xff" * size * size)
    for y in range(size):
        for x in range(size):
            # Which module this pixel shows: turn the pixel back and look it up.
            dx, dy = x - centre, y - centre
            mx = int((dx * cos + dy * sin) / scale + half)
            my = int((-dx * sin + dy * cos) / scale + half)
            if 0 <= mx < len(modules) and 0 <= my < len(modules) and modules[my][mx]:
                luma[y * size + x] = 0
    chroma = b"\x80" * (size * size // 2)  # 4:2:0, no colour
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(10):
            out.write(b"FRAME\n" + bytes(luma) + chroma)


def test_a_pass_scanned_with_the_camera_is_checked_in(
    browser_type, browser_type_launch_args, live_server, world, tmp_path
):
    resident = world.a.residents[1]
    token = gate.pass_token(gate.pass_issue(actor=None, resident=resident))
    video = tmp_path / "pass.y4m"
    qr_video(token, video)
    browser = browser_type.launch(
        **{
            **browser_type_launch_args,
            "args": [
                *browser_type_launch_args["args"],
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        }
    )
    try:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["camera"], **PHONE
        )
        page = context.new_page()
        open_gate(page, live_server.url, world)

        page.get_by_role("button", name="36.8", exact=True).tap()
        page.get_by_test_id("gate-scan").tap()

        result = page.get_by_test_id("gate-result")
        expect(result).to_have_attribute("data-decision", "admit", timeout=15000)
        expect(result).to_contain_text(resident.name)
        expect(page.locator("#gate-camera")).to_be_hidden()  # one person per scan
        event = AccessEvent.all_tenants.get()
        assert (event.credential, event.resident_id, event.temperature) == (
            "pass",
            resident.pk,
            Decimal("36.8"),
        )
    finally:
        browser.close()


def test_a_photographed_pass_is_checked_in(page: Page, live_server, world, tmp_path):
    resident = world.a.residents[0]
    token = gate.pass_token(gate.pass_issue(actor=None, resident=resident))
    picture = tmp_path / "pass.png"
    segno.make(token, error="m").save(picture, scale=8, border=4)
    open_gate(page, live_server.url, world)

    page.get_by_test_id("gate-direction-out").tap()
    page.get_by_role("button", name="36.5", exact=True).tap()
    page.get_by_test_id("gate-photo").set_input_files(picture)

    result = page.get_by_test_id("gate-result")
    expect(result).to_have_attribute("data-decision", "admit")
    expect(result).to_contain_text(resident.name)
    event = AccessEvent.all_tenants.get()
    assert (event.credential, event.direction, event.resident_id, event.pass_ref.resident_id) == (
        "pass",
        "out",
        resident.pk,
        resident.pk,
    )


def photograph(token: str, path) -> str:
    segno.make(token, error="m").save(path, scale=8, border=4)
    return str(path)


def test_offline_a_scanned_pass_is_checked_with_the_site_keys(
    page: Page, live_server, world, tmp_path
):
    """No network: the page checks a scanned pass with the keys and revocation list it
    kept, says whether the pass holds, and queues the event for the server's decision."""
    first, second = world.a.residents
    good = gate.pass_token(gate.pass_issue(actor=None, resident=first))
    gone = gate.pass_issue(actor=None, resident=second)
    gate.pass_revoke(actor=None, pass_=gone, reason="搬离")
    head, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({**claims, "p": gone.pk}, separators=(",", ":")).encode()
    )
    forged = f"{head}.{forged_payload.decode().rstrip('=')}.{signature}"
    new_key = base64.urlsafe_b64encode(
        json.dumps({**claims, "k": "not-synced"}, separators=(",", ":")).encode()
    )
    unsynced = f"{head}.{new_key.decode().rstrip('=')}.{signature}"
    open_gate(page, live_server.url, world)
    page.wait_for_function(
        "() => Object.keys(localStorage).some(k => k.startsWith('firstline-gate:pass-keys:'))"
        " && !!window.Html5Qrcode"
    )
    page.context.set_offline(True)
    result = page.get_by_test_id("gate-result")
    reasons = page.get_by_test_id("gate-result-reasons")

    for n, (token, verdict, words) in enumerate(
        [
            (good, "valid", "离线核验：通行证有效"),
            (gate.pass_token(gone), "revoked", "离线核验：通行证已注销"),
            (forged, "unknown", "离线核验：通行证无效或无法识别"),
            (unsynced, "unknown_key", "离线核验：本机尚无此通行证的签名公钥"),
        ]
    ):
        page.get_by_role("button", name="36.5", exact=True).tap()
        page.get_by_test_id("gate-photo").set_input_files(photograph(token, tmp_path / f"{n}.png"))
        expect(result).to_have_attribute("data-offline-pass", verdict)
        expect(result).to_have_attribute("data-decision", "queued")
        expect(reasons).to_contain_text(words)
    assert not AccessEvent.all_tenants.exists()

    page.context.set_offline(False)  # the server decides when the queue is replayed
    expect(page.get_by_test_id("gate-queue")).to_be_hidden()
    decisions = dict(AccessEvent.all_tenants.values_list("pass_ref_id", "decision"))
    assert AccessEvent.all_tenants.count() == 4
    assert decisions[gone.pk] == "deny"
    assert AccessEvent.all_tenants.filter(decision="admit").count() == 1
