"""The daily report pages and API: the list's filters and badges with a fixed query
count, the detail's figures, submitting and correcting, the manager's "today" page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from firstline.estates.models import Site
from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.services.daily import report_submit, reports_prefill
from firstline.reports.tests.records import at, expected, furnish, stock
from firstline.reports.views.daily import TODAY_MAX_SITES
from firstline.testing.world import PASSWORD

TODAY = timezone.localdate()
YESTERDAY = TODAY - timedelta(days=1)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def report_of(tenant, day=YESTERDAY) -> DailyReport:
    return DailyReport.all_tenants.get(site=tenant.site, day=day)


def more_sites(world, n: int) -> None:
    for i in range(n):
        Site.all_tenants.create(
            company=world.a.company, name=f"扩展{i:02d}", community=world.a.site.community
        )


def list_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, headers=headers).status_code == 200
    return len(ctx)


def test_list_defaults_to_yesterday_with_badges_and_filters(client, world):
    reports_prefill(day=YESTERDAY)
    reports_prefill(day=TODAY)
    late_day = YESTERDAY - timedelta(days=1)
    reports_prefill(day=late_day)
    report_submit(
        actor=world.a.users["company_admin"],
        report=report_of(world.a, late_day),
        notes="",
        help_needed="",
    )  # submitted today, after the day's cut-off: late
    login(client, world.a.users["company_admin"])
    page = client.get(reverse("reports:daily_list")).content.decode()
    assert page.count('data-testid="daily-row"') == 2  # yesterday, own company's two sites
    assert YESTERDAY.isoformat() in page
    day_query = f"?day={late_day.isoformat()}"
    page = client.get(reverse("reports:daily_list") + day_query).content.decode()
    assert 'data-testid="badge-late"' in page
    page = client.get(reverse("reports:daily_list") + "?day=all").content.decode()
    assert page.count('data-testid="daily-row"') == 6  # three days, two sites
    page = client.get(reverse("reports:daily_list") + "?day=all&flag=late").content.decode()
    assert page.count('data-testid="daily-row"') == 1
    page = client.get(reverse("reports:daily_list") + "?day=all&state=draft").content.decode()
    assert page.count('data-testid="daily-row"') == 5  # all but the one submitted
    # yesterday's draft is missing only after today's cut-off
    cutoff = report_of(world.a).due_at
    with freeze_time(cutoff + timedelta(seconds=1)):
        login(client, world.a.users["company_admin"])
        page = client.get(reverse("reports:daily_list") + "?flag=missing").content.decode()
        assert page.count('data-testid="badge-missing"') == 2  # both sites' yesterday
    with freeze_time(cutoff - timedelta(seconds=1)):
        login(client, world.a.users["company_admin"])
        page = client.get(reverse("reports:daily_list") + "?flag=missing").content.decode()
        assert 'data-testid="daily-row"' not in page
    page = client.get(
        reverse("reports:daily_list") + f"?day=all&site={world.b.site.pk}"
    ).content.decode()
    assert 'data-testid="daily-row"' not in page  # another company's site: nothing


def test_list_query_count_is_fixed(client, world):
    reports_prefill(day=YESTERDAY)
    login(client, world.a.users["company_admin"])
    url = reverse("reports:daily_list") + "?per_page=100"
    few = list_queries(client, url)
    more_sites(world, 12)
    reports_prefill(day=YESTERDAY)
    assert DailyReport.all_tenants.filter(company=world.a.company).count() == 14
    assert list_queries(client, url) == few
    # the htmx fragment (the table alone) costs no more
    assert list_queries(client, url, hx_request="true", hx_target="list-table") <= few


def test_api_list_query_count_is_fixed(client, world, django_assert_num_queries):
    reports_prefill(day=YESTERDAY)
    login(client, world.a.users["company_admin"])
    few = list_queries(client, "/api/v1/reports/daily")
    more_sites(world, 12)
    reports_prefill(day=YESTERDAY)
    assert list_queries(client, "/api/v1/reports/daily") == few
    assert len(client.get("/api/v1/reports/daily").json()["items"]) == 14


def test_detail_shows_every_figure_with_its_label_and_the_stock(client, world):
    furnish(world, world.a, YESTERDAY, seed=3)
    with freeze_time(at(YESTERDAY, 12)):  # the report counts what the site held at the day's end
        stock(world, world.a, {"N95-01": 40})
    now = timezone.now()
    reports_prefill(day=YESTERDAY, now=now)
    report = report_of(world.a)
    login(client, world.a.users["site_manager"])
    page = client.get(reverse("reports:daily_detail", args=[report.pk])).content.decode()
    want = expected(world.a.site.pk, YESTERDAY, now)
    for name in FIGURES:
        label = str(DailyReport._meta.get_field(name).verbose_name)
        assert label in page
        assert f'data-testid="figure-{name}">{want[name]}<' in page, name
    assert 'data-testid="stock-table"' in page and "物资N95-01" in page
    assert 'data-testid="submit-link"' in page


def test_submit_page_submits_and_corrects(client, world):
    reports_prefill(day=YESTERDAY)
    report = report_of(world.a)
    login(client, world.a.users["site_manager"])
    url = reverse("reports:daily_submit", args=[report.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="figures-table"' in page
    response = client.post(url, SUBMIT | {"notes": "一切正常", "help_needed": "缺消毒液"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:daily_detail", args=[report.pk])
    report = report_of(world.a)
    assert report.state == "submitted" and report.version == 1
    assert report.submitted_by_id == world.a.users["site_manager"].pk
    assert (report.notes, report.help_needed) == ("一切正常", "缺消毒液")
    page = client.get(url).content.decode()
    assert 'data-testid="save-draft"' not in page and "再次报送（更正）" in page
    client.post(url, SUBMIT | {"notes": "更正", "help_needed": ""})
    assert report_of(world.a).version == 2
    # too long: the field's error, nothing written
    response = client.post(url, SUBMIT | {"notes": "长" * 2001, "help_needed": ""})
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert report_of(world.a).version == 2
    # a submitted report is corrected by submitting again, never turned back to a draft
    response = client.post(url, {"action": "draft", "notes": "草稿", "help_needed": ""})
    assert response.status_code == 200 and "不能改回草稿" in response.content.decode()
    assert report_of(world.a).state == "submitted" and report_of(world.a).notes == "更正"


SUBMIT = {"action": "submit", "confirmed": "1"}


def test_a_draft_is_saved_without_submitting_and_submit_asks_first(client, world):
    """保存草稿 keeps the notes and leaves the report a draft (editable; roll-ups count
    submitted reports only); 报送 names what will happen and, unconfirmed, sends nothing."""
    reports_prefill(day=YESTERDAY)
    report = report_of(world.a)
    login(client, world.a.users["site_manager"])
    url = reverse("reports:daily_submit", args=[report.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="save-draft"' in page and "formnovalidate" in page
    # The question names the site, the day and what happens; the no-script box says it too.
    assert f"报送后，{world.a.site.name} {YESTERDAY:%Y-%m-%d} 的日报" in page
    assert 'data-confirm="报送后' in page and 'name="confirmed"' in page

    response = client.post(url, {"action": "draft", "notes": "先记一笔", "help_needed": "口罩"})
    assert response.status_code == 302 and response["Location"] == url
    report = report_of(world.a)
    assert (report.state, report.version, report.submitted_at) == ("draft", 0, None)
    assert (report.notes, report.help_needed) == ("先记一笔", "口罩")
    assert "先记一笔" in client.get(url).content.decode()  # still editable, with the notes
    reports_prefill(day=YESTERDAY)  # the prefill refreshes the figures, keeps the notes
    assert report_of(world.a).notes == "先记一笔"

    # 报送 without the confirmation (a script-less browser that skipped the box): refused.
    response = client.post(url, {"action": "submit", "notes": "先记一笔", "help_needed": ""})
    assert response.status_code == 200 and "报送前请勾选确认" in response.content.decode()
    assert report_of(world.a).state == "draft"
    response = client.post(url, SUBMIT | {"notes": "先记一笔", "help_needed": ""})
    assert response.status_code == 302 and report_of(world.a).state == "submitted"


def test_today_page_makes_the_managers_drafts(client, world):
    login(client, world.a.users["site_manager"])
    page = client.get(reverse("reports:daily_today")).content.decode()
    assert page.count('data-testid="today-row"') == 2
    assert set(DailyReport.all_tenants.values_list("site_id", "day")) == {
        (world.a.site.pk, YESTERDAY),
        (world.a.site.pk, TODAY),
    }
    client.get(reverse("reports:daily_today"))
    assert DailyReport.all_tenants.count() == 2  # on demand once, not again


def test_today_page_sends_a_many_sites_admin_to_the_list(client, world):
    more_sites(world, TODAY_MAX_SITES)
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("reports:daily_today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:daily_list") + "?day=")
    assert not DailyReport.all_tenants.exists()


def test_api_filters_detail_and_submit(client, world):
    reports_prefill(day=YESTERDAY)
    reports_prefill(day=TODAY)
    login(client, world.a.users["site_manager"])
    items = client.get(f"/api/v1/reports/daily?day={YESTERDAY.isoformat()}").json()["items"]
    assert [item["day"] for item in items] == [YESTERDAY.isoformat()]
    report = report_of(world.a)
    response = client.post(
        f"/api/v1/reports/daily/{report.pk}/submit",
        {"notes": "正常", "help_needed": ""},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["state"], body["version"], body["notes"]) == ("submitted", 1, "正常")
    assert body["residents"] == 2 and body["site_name"] == world.a.site.name
    items = client.get("/api/v1/reports/daily?state=submitted").json()["items"]
    assert [item["id"] for item in items] == [report.pk]
    items = client.get("/api/v1/reports/daily?state=draft").json()["items"]
    assert [item["day"] for item in items] == [TODAY.isoformat()]
    detail = client.get(f"/api/v1/reports/daily/{report.pk}").json()
    assert detail["version"] == 1 and detail["missing"] is False
    response = client.post(
        f"/api/v1/reports/daily/{report.pk}/submit",
        {"notes": "长" * 2001},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert report_of(world.a).version == 1


@pytest.mark.parametrize("user_key", ["guard", "cleaner", "resident"])
def test_roles_without_reports_are_refused(client, world, user_key):
    login(client, world.a.users[user_key])
    assert client.get(reverse("reports:daily_list")).status_code == 403


def test_missing_flag_in_the_api(client, world):
    with freeze_time(at(YESTERDAY, 12)):
        reports_prefill(day=YESTERDAY - timedelta(days=1))
    login(client, world.a.users["company_admin"])
    items = client.get("/api/v1/reports/daily").json()["items"]
    assert [item["missing"] for item in items] == [True, True]  # a's two sites


def test_print_page_is_one_clean_sheet_with_every_figure_and_signature_lines(client, world):
    furnish(world, world.a, YESTERDAY, seed=3)
    with freeze_time(at(YESTERDAY, 12)):
        stock(world, world.a, {"N95-01": 40})
    now = timezone.now()
    reports_prefill(day=YESTERDAY, now=now)
    report = report_of(world.a)
    report_submit(
        actor=world.a.users["site_manager"], report=report, notes="门岗正常", help_needed=""
    )
    login(client, world.a.users["site_manager"])
    detail = client.get(reverse("reports:daily_detail", args=[report.pk])).content.decode()
    url = reverse("reports:daily_print", args=[report.pk])
    assert f'href="{url}"' in detail
    page = client.get(url).content.decode()
    want = expected(world.a.site.pk, YESTERDAY, now)
    for name in FIGURES:
        assert f'data-testid="print-figure-{name}">{want[name]}<' in page, name
    assert world.a.site.name in page and YESTERDAY.strftime("%Y-%m-%d") in page
    assert "物资N95-01" in page and "门岗正常" in page
    assert 'data-testid="print-signatures"' in page and "填报人（签字）" in page
    # No navigation; the print style and the button's script are static files (CSP).
    assert "fl-sidebar" not in page and "fl-nav" not in page
    assert '<link rel="stylesheet" href="/static/firstline/print.css">' in page
    assert '<script src="/static/firstline/print.js"></script>' in page
    assert "data-fl-print" in page and "onclick" not in page and "<style" not in page


def test_print_page_of_another_company_is_404(client, world):
    reports_prefill(day=YESTERDAY)
    login(client, world.b.users["company_admin"])
    url = reverse("reports:daily_print", args=[report_of(world.a).pk])
    assert client.get(url).status_code == 404
