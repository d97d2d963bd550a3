"""Issue #7's browser journey on a desktop screen: a site asks for N95 masks → the
coordinator proposes an allocation, approves it and dispatches the shipment → the
site signs for fewer than were sent, with a reason (refused first without one) → an
anonymous visitor traces the batch on the public ledger to the site and to the
shortfall. Every step goes through the real pages; the DB is checked after each."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from firstline.supplies.models import (
    AllocationPlan,
    InboundBatch,
    LedgerEntry,
    Location,
    Need,
    NeedLine,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.services.catalogue import catalogue_install
from firstline.supplies.services.donations import batch_receive, donor_create, warehouse_create
from firstline.supplies.services.ledger import verify
from firstline.testing.world import build_world
from tests.browser.test_gate_journey import login

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
STOCK = 1000
ASKED = 200
SHORT = 20
REASON = "破损 20 只"


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **DESKTOP}


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture
def depot(world):
    """The catalogue, a warehouse in company a's district, a donor, and one batch of
    N95 masks received into the warehouse (donor → warehouse entries)."""
    items = {item.code: item for item in catalogue_install()}
    donor = donor_create(
        actor=None,
        association_id=world.association.pk,
        kind="company",
        name="某医疗器械有限公司",
        public_name="某医疗器械公司",
    )
    warehouse = warehouse_create(
        actor=None,
        association_id=world.association.pk,
        name="江汉物资仓",
        district=world.divisions["420103"],
    )
    batch = batch_receive(
        actor=None,
        association_id=world.association.pk,
        donor=donor,
        warehouse=warehouse,
        lines=[(items["PPE-N95"], "N95-2020-01", None, STOCK)],
    )
    return items["PPE-N95"], warehouse, donor, batch


def number(n: int) -> re.Pattern:
    """A quantity as the page prints it: `intcomma` groups thousands (firstline/formats
    for zh-Hans); any separator between digits passes."""
    return re.compile("^" + r"[,\s\u00a0]?".join(str(n)) + "$")


def nav(page: Page, label: str) -> None:
    page.locator("nav").get_by_role("link", name=label, exact=True).click()


def test_site_requests_coordinator_ships_site_signs_short_public_traces(
    page: Page, browser: Browser, browser_context_args, live_server, world, depot
):
    base = live_server.url
    n95, warehouse, donor, batch = depot
    site = world.a.site

    # 1. The site manager asks for 200 N95 masks.
    login(page, base, world.a.users["site_manager"].username)
    nav(page, "申请物资")
    expect(page).to_have_url(re.compile(re.escape(reverse("supplies:needs_request")) + "$"))
    form = page.get_by_test_id("need-request-form")
    expect(form.get_by_label("项目")).to_have_value(str(site.pk))
    form.get_by_label("需求说明").fill("封闭管理，在岗 12 人，隔离 3 户，口罩仅够 2 天")
    form.get_by_label("医用防护口罩（N95）").fill(str(ASKED))
    form.get_by_role("button", name="提交需求").click()

    need = Need.all_tenants.get(site=site)
    expect(page).to_have_url(
        re.compile(re.escape(reverse("supplies:needs_detail", args=[need.pk])))
    )
    expect(page.get_by_role("alert").filter(has_text="需求已提交")).to_be_visible()
    expect(page.get_by_test_id("need-state")).to_have_text("待分配")
    lines = page.get_by_test_id("need-lines")
    expect(lines.get_by_role("row").filter(has_text=n95.name)).to_contain_text(f"{ASKED} 只")
    (need_line,) = NeedLine.all_tenants.filter(need=need)
    assert (need.company_id, need.state, need.requested_by_id) == (
        world.a.company.pk,
        Need.State.OPEN,
        world.a.users["site_manager"].pk,
    )
    assert (need_line.item_id, need_line.quantity, need_line.committed) == (n95.pk, ASKED, 0)

    # 2. The coordinator sees the open need, proposes a plan for the warehouse,
    # approves it and dispatches the shipment.
    coordinator_context = browser.new_context(**browser_context_args)
    coordinator = coordinator_context.new_page()
    login(coordinator, base, world.users["association_admin"].username)
    nav(coordinator, "待分配需求")
    open_row = (
        coordinator.get_by_test_id("open-need-table").get_by_role("row").filter(has_text=site.name)
    )
    expect(open_row).to_contain_text(n95.name)
    expect(open_row).to_contain_text(f"{ASKED} 只")
    totals = coordinator.get_by_test_id("need-totals").get_by_role("row").filter(has_text=n95.name)
    expect(totals).to_contain_text(f"{STOCK} 只")

    nav(coordinator, "分配方案")
    coordinator.get_by_role("link", name="新建").click()
    coordinator.get_by_label("发货仓库").select_option(str(warehouse.pk))
    coordinator.get_by_label("说明").fill("第一轮口罩分配")
    coordinator.get_by_role("button", name="保存").click()

    plan = AllocationPlan.all_tenants.get(warehouse=warehouse)
    expect(coordinator).to_have_url(
        re.compile(re.escape(reverse("supplies:allocation_detail", args=[plan.pk])))
    )
    expect(coordinator.get_by_test_id("plan-state")).to_have_text("草稿")
    plan_rows = coordinator.get_by_test_id("plan-lines").locator("tbody tr")
    expect(plan_rows).to_have_count(1)
    plan_row = plan_rows.first
    expect(plan_row).to_contain_text(world.a.company.name)
    expect(plan_row).to_contain_text(site.name)
    expect(plan_row).to_contain_text(n95.name)
    expect(plan_row).to_contain_text(f"第 {batch.number} 批")
    expect(plan_row.get_by_label("分配数量")).to_have_value(str(ASKED))

    questions: list[str] = []
    coordinator.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    coordinator.get_by_role("button", name="批准并生成发货单").click()
    expect(coordinator.get_by_test_id("plan-state")).to_have_text("已批准")
    expect(coordinator.get_by_role("alert").filter(has_text="生成发货单 1 张")).to_be_visible()
    assert questions and questions[0].startswith(f"批准后，方案 #{plan.pk} 将为每个收货方生成")
    shipment = Shipment.all_tenants.get(plan=plan)
    assert (shipment.company_id, shipment.site_id, shipment.state) == (
        world.a.company.pk,
        site.pk,
        Shipment.State.READY,
    )

    nav(coordinator, "发货单")
    coordinator.get_by_test_id("shipments-table").get_by_role("link", name=shipment.number).click()
    expect(coordinator.get_by_test_id("shipment-lines")).to_contain_text(f"{ASKED} 只")
    coordinator.get_by_role("button", name="发货", exact=True).click()
    expect(
        coordinator.get_by_role("alert").filter(has_text=f"发货单 {shipment.number} 已发货")
    ).to_be_visible()
    expect(coordinator.locator(".badge").filter(has_text="运输中")).to_be_visible()
    expect(coordinator.get_by_role("button", name="发货", exact=True)).to_have_count(0)
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.IN_TRANSIT and shipment.dispatched_at
    coordinator_context.close()

    # 3. The site manager signs for 180: without a reason it is refused, nothing moves.
    nav(page, "到货签收")
    page.get_by_test_id("incoming-table").get_by_role("link", name=shipment.number).click()
    expect(page).to_have_url(
        re.compile(re.escape(reverse("supplies:incoming_detail", args=[shipment.pk])))
    )
    page.get_by_role("link", name="签收", exact=True).click()
    received = ASKED - SHORT
    quantity = page.get_by_label(f"{n95.name} 实收数量")
    expect(quantity).to_have_value(str(ASKED))
    quantity.fill(str(received))
    page.get_by_role("button", name="确认签收").click()

    receive_lines = page.get_by_test_id("receive-lines")
    expect(page.get_by_role("alert").filter(has_text="请更正下方标出的错误")).to_be_visible()
    expect(receive_lines).to_contain_text(f"实收 {received} 与发货 {ASKED} 不符，请说明原因。")
    expect(page.get_by_label(f"{n95.name} 实收数量")).to_have_value(str(received))
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.IN_TRANSIT
    assert not LedgerEntry.all_tenants.filter(
        batch=batch, kind__in=[LedgerEntry.Kind.RECEIVE, LedgerEntry.Kind.SHORTFALL]
    ).exists()

    page.get_by_label(f"{n95.name} 差异原因").fill(REASON)
    page.get_by_role("button", name="确认签收").click()
    expect(page).to_have_url(
        re.compile(re.escape(reverse("supplies:incoming_detail", args=[shipment.pk])) + "$")
    )
    expect(page.get_by_role("alert").filter(has_text="已签收。")).to_be_visible()
    expect(page.locator(".badge").filter(has_text="已签收")).to_be_visible()
    signed = page.get_by_test_id("shipment-lines").get_by_role("row").filter(has_text=n95.name)
    expect(signed).to_contain_text(f"{received} 只")
    expect(signed).to_contain_text(REASON)
    expect(page.get_by_role("link", name="签收", exact=True)).to_have_count(0)

    shipment.refresh_from_db()
    (line,) = ShipmentLine.all_tenants.filter(shipment=shipment)
    assert shipment.state == Shipment.State.RECEIVED
    assert (line.quantity, line.received_quantity, line.difference_reason) == (
        ASKED,
        received,
        REASON,
    )
    need_line.refresh_from_db()
    assert (need_line.in_transit, need_line.fulfilled) == (0, received)

    # 4. Anyone, without logging in, traces the batch on the public ledger.
    public_context = browser.new_context(**browser_context_args)
    public = public_context.new_page()
    public.goto(f"{base}{reverse('ledger:home')}")
    expect(public).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(public.locator("#fig-batches")).to_have_text("1")
    expect(public.locator("#fig-sites")).to_have_text("1")
    public.get_by_role("link", name="入库批次", exact=True).click()
    public.get_by_role("link", name=f"第 {batch.number} 批").click()
    expect(public).to_have_url(
        re.compile(re.escape(reverse("ledger:batch", args=[batch.number])) + "$")
    )
    expect(public.get_by_role("heading", name=f"第 {batch.number} 批")).to_contain_text(
        donor.public_name
    )
    body = public.locator("main")
    expect(body).not_to_contain_text(donor.name)  # the public sees the public name only
    expect(body).not_to_contain_text(world.a.users["site_manager"].username)

    where = public.locator("section").filter(has_text="物资现在在哪里").locator("tbody tr")
    at_site = where.filter(has_text=site.name)
    expect(at_site).to_have_count(1)
    expect(at_site).to_contain_text("项目")
    expect(at_site.locator("td").last).to_have_text(number(received))
    lost = where.filter(has_text="损耗/核减")
    expect(lost.locator("td").last).to_have_text(number(SHORT))
    stored = where.filter(has_text=warehouse.name)
    expect(stored.locator("td").last).to_have_text(number(STOCK - ASKED))

    # The entries table is the batch's ledger rows, in seq order, one for one.
    entries = list(
        LedgerEntry.all_tenants.filter(batch=batch)
        .select_related("from_location", "to_location")
        .order_by("seq")
    )
    assert [(e.kind, e.quantity, e.reason) for e in entries] == [
        (LedgerEntry.Kind.INBOUND, STOCK, ""),
        (LedgerEntry.Kind.DISPATCH, ASKED, ""),
        (LedgerEntry.Kind.RECEIVE, received, ""),
        (LedgerEntry.Kind.SHORTFALL, SHORT, REASON),
    ]
    receive, shortfall = entries[2], entries[3]
    assert (receive.to_location.kind, receive.to_location.site_id) == (
        Location.Kind.SITE,
        site.pk,
    )
    assert shortfall.to_location.kind == Location.Kind.WRITTEN_OFF
    assert receive.shipment_id == shortfall.shipment_id == shipment.pk
    assert verify(world.association.pk) == []

    rows = public.locator("section").filter(has_text="台账分录").locator("tbody tr")
    expect(rows).to_have_count(len(entries))
    for row, entry in zip(rows.all(), entries, strict=True):
        cells = row.locator("td")
        expect(cells.nth(0)).to_have_text(str(entry.seq))
        expect(cells.nth(2)).to_have_text(entry.get_kind_display())
        expect(cells.nth(4)).to_have_text(entry.from_location.public_name)
        expect(cells.nth(5)).to_have_text(entry.to_location.public_name)
        expect(cells.nth(6)).to_have_text(number(entry.quantity))
        expect(cells.nth(7)).to_have_text(entry.reason)
        expect(cells.nth(8).locator("code")).to_have_attribute("title", entry.hash)
    expect(rows.nth(2)).to_contain_text(site.name)
    expect(rows.nth(3)).to_contain_text(REASON)
    public_context.close()


def test_a_batch_of_more_lines_than_the_form_shows(page: Page, live_server, world, depot):
    """The form shows five lines; the coordinator adds a sixth on the page and the
    batch is received with all six."""
    n95, warehouse, donor, _batch = depot
    login(page, live_server.url, world.users["association_admin"].username)
    page.goto(live_server.url + reverse("supplies:batch_receive"))
    page.get_by_label("捐赠方").select_option(str(donor.pk))
    page.get_by_label("入库仓库").select_option(str(warehouse.pk))
    rows = page.get_by_test_id("receive-lines").locator("tbody tr")
    expect(rows).to_have_count(5)
    page.get_by_test_id("line-add").click()
    expect(rows).to_have_count(6)
    expect(rows.nth(5).locator("td").first).to_have_text("6")
    for n in (0, 5):
        page.locator(f"select[name=lines-{n}-item]").select_option(str(n95.pk))
        page.fill(f"input[name=lines-{n}-lot_no]", f"N95-L{n}")
        page.fill(f"input[name=lines-{n}-quantity]", str(100 + n))
    page.get_by_role("button", name="入库").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+/$"))
    batch = InboundBatch.all_tenants.exclude(pk=_batch.pk).get()
    assert sorted(batch.lines.values_list("lot__lot_no", "quantity")) == [
        ("N95-L0", 100),
        ("N95-L5", 105),
    ]
