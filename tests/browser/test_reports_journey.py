"""Daily reporting end to end (issue #6): company a's site manager opens 今日待报,
fills in and submits yesterday's report; the street's authority viewer finds it in
the roll-up of the street (community row: 1 submitted, the report's figures) and of
the community (the site), never sees company b's site, and downloads the XLSX export,
whose header and figures are checked with openpyxl.

The report's figures come from real records (reports/tests/records.py) for both
companies, and company b's report is submitted too, so a leak across the division
boundary, or a figure that is not the report's, would show."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.selectors.rollups import figure_labels
from firstline.reports.services.daily import report_submit, reports_prefill
from firstline.reports.tests.records import expected, furnish
from firstline.testing.world import build_world, make_user
from tests.browser.test_gate_journey import login

NOTES = "小区封闭管理正常，已完成全部楼栋消杀。"
HELP = "口罩库存不足，需要协调一次性医用口罩500只。"
STREET = "420103001"


def yesterday():
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture
def world(transactional_db):
    world = build_world()
    day = yesterday()
    furnish(world, world.a, day, seed=6)
    furnish(world, world.b, day, seed=7)
    # Company b's site (武昌区, 420106…) has a submitted report with figures of its own:
    # it must still never reach a viewer of 江汉区's 民族街道.
    reports_prefill(day=day, site_ids=[world.b.site.pk])
    report_submit(
        actor=world.b.users["site_manager"],
        report=DailyReport.all_tenants.get(site=world.b.site, day=day),
        notes="b的说明",
        help_needed="b需要帮助",
    )
    world.street_viewer = make_user(
        "street_viewer", "authority_viewer", division=world.divisions[STREET]
    )
    return world


def cells_by_header(table: Locator, row: Locator) -> dict[str, str]:
    """One row of a table as {header text: cell text}."""
    headers = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    cells = [t.strip() for t in row.locator(":scope > th, :scope > td").all_inner_texts()]
    assert len(headers) == len(cells), (headers, cells)
    return dict(zip(headers, cells, strict=True))


def number(text: str) -> int:
    return int(text.replace(",", ""))


def assert_figures(shown: dict, report: DailyReport) -> None:
    """Every figure of the page's row equals the stored report's, label by label."""
    for name, label in zip(FIGURES, figure_labels(), strict=True):
        assert number(shown[label]) == getattr(report, name), (label, shown[label])


def download_xlsx(page: Page) -> tuple[str, list[tuple]]:
    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    download = info.value
    assert download.failure() is None
    # Playwright stores the file without an extension: hand openpyxl the bytes.
    with open(download.path(), "rb") as f:
        book = openpyxl.load_workbook(io.BytesIO(f.read()), read_only=True)
    rows = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return download.suggested_filename, rows


def manager_submits(page: Page, base: str, world) -> DailyReport:
    day = yesterday()
    login(page, base, world.a.users["site_manager"].username)
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="今日待报").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("reports:daily_today")) + "$"))
    row = page.get_by_test_id("today-row").filter(has_text=day.isoformat())
    expect(row).to_have_count(1)
    # Yesterday's draft is due today at the cut-off; after it, the draft shows as missing.
    draft = DailyReport.all_tenants.get(site=world.a.site, day=day)
    badge = "badge-draft" if timezone.now() < draft.due_at else "badge-missing"
    expect(row.get_by_test_id(badge)).to_be_visible()

    row.get_by_role("link", name=world.a.site.name).click()
    expect(page.locator("main")).to_contain_text(day.isoformat())
    page.get_by_test_id("submit-link").click()
    page.get_by_label("情况说明").fill(NOTES)
    page.get_by_label("需协调解决的问题").fill(HELP)
    # The no-script confirmation box is hidden: the dialog asks instead.
    expect(page.locator("[data-confirm-check]")).to_be_hidden()
    # 报送 asks first, naming what will happen; "cancel" sends nothing.
    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name="报送", exact=True).click()
    expect(page.get_by_test_id("submit-report")).to_be_visible()
    assert asked and f"报送后，{world.a.site.name} {day.isoformat()} 的日报" in asked[0]
    assert "发送给主管部门" in asked[0]
    assert DailyReport.all_tenants.get(site=world.a.site, day=day).state == "draft"
    page.once("dialog", answer(True))
    page.get_by_role("button", name="报送", exact=True).click()

    report = DailyReport.all_tenants.get(site=world.a.site, day=day)
    expect(page).to_have_url(
        re.compile(re.escape(reverse("reports:daily_detail", args=[report.pk])) + "$")
    )
    expect(page.locator("main")).to_contain_text("报告已报送。")
    expect(page.get_by_test_id("badge-submitted")).to_be_visible()
    expect(page.get_by_test_id("notes")).to_have_text(NOTES)
    expect(page.get_by_test_id("help-needed")).to_have_text(HELP)

    report.refresh_from_db()
    assert report.state == DailyReport.State.SUBMITTED
    assert (report.notes, report.help_needed) == (NOTES, HELP)
    assert report.submitted_by_id == world.a.users["site_manager"].pk
    assert report.version == 1
    # The submitted figures are the direct counts over the records, and not all zero.
    direct = expected(world.a.site.pk, day, report.submitted_at)
    assert {name: getattr(report, name) for name in FIGURES} == {
        name: direct[name] for name in FIGURES
    }
    assert report.entries > 0 and report.declarations > 0 and report.isolation_active > 0
    expect(page.get_by_test_id("figure-entries")).to_have_text(str(report.entries))
    return report


def test_site_manager_submits_and_the_street_viewer_sees_and_exports_it(
    page: Page, browser: Browser, browser_context_args, live_server, world
):
    base = live_server.url
    day = yesterday()
    report = manager_submits(page, base, world)
    # The printable sheet: no navigation, the bar not printed, and 打印 opens the
    # browser's print dialog (bound by print.js: the CSP allows no inline handler).
    page.get_by_test_id("print-link").click()
    expect(page.get_by_test_id("print-figure-entries")).to_have_text(str(report.entries))
    expect(page.get_by_role("navigation", name="主导航")).to_have_count(0)
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_test_id("print-button").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print-bar")).to_be_hidden()
    expect(page.get_by_test_id("print-signatures")).to_be_visible()
    b_report = DailyReport.all_tenants.get(site=world.b.site, day=day)
    assert b_report.state == DailyReport.State.SUBMITTED

    # The street's viewer, in a browser of its own.
    context = browser.new_context(**browser_context_args)
    viewer = context.new_page()
    login(viewer, base, world.street_viewer.username)
    viewer.get_by_role("navigation", name="主导航").get_by_role("link", name="报告汇总").click()
    expect(viewer.locator("main")).to_contain_text("民族街道")
    viewer.fill("#rollup-day", day.isoformat())
    viewer.get_by_role("button", name="查看").click()
    expect(viewer).to_have_url(re.compile(rf"day={day.isoformat()}"))
    expect(viewer).to_have_url(re.compile(rf"division={STREET}"))

    # The street: one row per community; 友谊社区 has company a's one site, submitted.
    table = viewer.get_by_test_id("rollup-table")
    rows = table.get_by_test_id("rollup-row")
    expect(rows).to_have_count(1)
    community = cells_by_header(table, rows.first)
    assert community["区划"] == "友谊社区"
    assert (number(community["项目数"]), number(community["已报送"])) == (1, 1)
    assert_figures(community, report)
    total = cells_by_header(table, table.get_by_test_id("rollup-total"))
    assert_figures(total, report)  # the street's total is that one report, nothing of b's
    main = viewer.locator("main")
    for foreign in (world.b.site.name, "临江社区", "积玉桥街道", "武昌区"):
        expect(main).not_to_contain_text(foreign)

    # The export of the street: title, the fixed header, the community's line.
    filename, sheet = download_xlsx(viewer)
    assert filename.endswith(".xlsx") and "民族街道" in filename
    assert sheet[0][0] == f"民族街道 每日疫情防控信息汇总表 {day.isoformat()}"
    header = list(sheet[1])
    assert header == [
        "区划",
        "项目数",
        "已报送",
        "按时报送",
        "逾期报送",
        "缺报",
        "待报送",
        *figure_labels(),
        "消杀完成率（%）",
    ]
    lines = {line[0]: dict(zip(header, line, strict=True)) for line in sheet[2:]}
    assert set(lines) == {"友谊社区", "合计"}
    line = lines["友谊社区"]
    assert (line["项目数"], line["已报送"]) == (1, 1)
    assert line["按时报送"] + line["逾期报送"] == 1
    assert line["逾期报送"] == (1 if report.late else 0)
    for name, label in zip(FIGURES, figure_labels(), strict=True):
        assert line[label] == getattr(report, name), label
        assert lines["合计"][label] == getattr(report, name), label

    # Down to the community: the site with its report, linked to it.
    rows.first.get_by_role("link", name="友谊社区").click()
    expect(viewer).to_have_url(re.compile(r"division=420103001001"))
    sites = viewer.get_by_test_id("rollup-sites")
    site_rows = sites.get_by_test_id("rollup-site")
    expect(site_rows).to_have_count(1)
    site = cells_by_header(sites, site_rows.first)
    assert site["项目"] == world.a.site.name
    assert site["报送状态"] == ("逾期报送" if report.late else "按时报送")
    assert site["需协调解决的问题"] == HELP
    assert_figures(site, report)
    expect(viewer.locator("main")).not_to_contain_text(world.b.site.name)

    filename, sheet = download_xlsx(viewer)
    assert "友谊社区" in filename
    header = list(sheet[1])
    assert header[:4] == ["项目", "所属企业", "报送状态", "报送时间"]
    assert header[4:] == [*figure_labels(), "消杀完成率（%）", "情况说明", "需协调解决的问题"]
    line = dict(zip(header, sheet[2], strict=True))
    assert (line["项目"], line["所属企业"]) == (world.a.site.name, world.a.company.name)
    assert (line["情况说明"], line["需协调解决的问题"]) == (NOTES, HELP)
    for name, label in zip(FIGURES, figure_labels(), strict=True):
        assert line[label] == getattr(report, name), label
    assert all(world.b.site.name not in str(cell) for row in sheet for cell in row)

    # Company b's street and its report are outside the viewer's division: 404.
    for division in ("420106001", "420106001001", "420106"):
        response = viewer.goto(f"{base}{reverse('reports:rollup')}?division={division}")
        assert response is not None and response.status == 404, division
    response = viewer.goto(f"{base}{reverse('reports:daily_detail', args=[b_report.pk])}")
    assert response is not None and response.status == 404
    context.close()
