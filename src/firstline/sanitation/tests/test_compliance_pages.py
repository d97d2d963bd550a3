"""The compliance pages, the export and the overdue lists, as the site manager and
the company admin use them, at a fixed time (noon of TODAY, see test_compliance)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from firstline.core.models import AuditEvent
from firstline.estates.models import Site
from firstline.sanitation.models import AuditAction, OverdueAlert, Task
from firstline.sanitation.tests.rows import make_area, make_entry, make_task
from firstline.sanitation.tests.test_compliance import NOW, TODAY, furnish

# Every request pays 3 before the page: the session, the user, the role assignments.
QUERIES = {
    "compliance": 3 + 4,  # site count, the page's sites, daily figures, today's figures
    "compliance_site": 3 + 5,  # site, area count, areas, figures by area, by day
    "overdue": 3 + 3,  # scope's sites (filter), count, the page
    "alert_list": 3 + 3,
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def furnished(world, clock):
    return {"a": furnish(world.a), "b": furnish(world.b)}


def login(client, user):
    client.force_login(user)


def more_sites(tenant, n: int) -> None:
    """n more sites of the tenant's company, each with an area, an entry and a task today."""
    for i in range(n):
        site = Site.all_tenants.create(
            company=tenant.company, name=f"增补{i}号项目", community=tenant.site.community
        )
        entry = make_entry(make_area(tenant, f"增补{i}号电梯", site=site))
        make_task(entry, day=TODAY, slot=1, due_at=NOW - timedelta(hours=1))


def test_site_manager_sees_todays_figure_of_own_site_only(client, world, furnished):
    login(client, world.a.users["site_manager"])
    response = client.get(reverse("sanitation:compliance"))
    assert response.status_code == 200
    html = response.content.decode()
    cell = f'data-testid="compliance-site-{world.a.site.pk}"'
    assert cell in html
    assert "80.0%" in html.split(cell, 1)[1].split("</td>", 1)[0]
    assert f'data-testid="compliance-site-{world.b.site.pk}"' not in html
    assert world.b.site.name not in html
    assert 'data-chart="compliance-chart"' in html
    chart = response.context["chart"]
    assert [s["name"] for s in chart["series"]] == [world.a.site.name]
    assert chart["series"][0]["data"][-2:] == [75.0, 80.0]  # yesterday, today
    assert len(chart["xAxis"]["data"]) == 14


def test_cleaner_done_task_moves_the_figure(client, world, furnished):
    """The check of issue #5: a cleaner completes a task, the manager's figure changes."""
    login(client, world.a.users["site_manager"])
    cell = f'data-testid="compliance-site-{world.a.site.pk}"'

    def figure():
        html = client.get(reverse("sanitation:compliance")).content.decode()
        return html.split(cell, 1)[1].split("</td>", 1)[0]

    assert "80.0%" in figure()
    Task.all_tenants.filter(pk=furnished["a"]["overdue"].pk).update(
        state=Task.State.DONE, done_at=NOW
    )
    assert "100.0%" in figure()


@pytest.mark.parametrize("extra", [0, 6])
def test_compliance_list_query_count_is_fixed(
    client, world, furnished, extra, django_assert_num_queries
):
    more_sites(world.a, extra)
    login(client, world.a.users["company_admin"])
    with django_assert_num_queries(QUERIES["compliance"]):
        response = client.get(reverse("sanitation:compliance"))
    assert len(response.context["rows"]) == 2 + extra  # with the world's second site


def test_compliance_list_is_paginated_by_site(client, world, furnished):
    more_sites(world.a, 26)
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("sanitation:compliance"))
    assert len(response.context["rows"]) == 25
    assert response.context["paginator"].count == 28  # a's two sites and 26 more
    second = client.get(reverse("sanitation:compliance"), {"page": 2})
    assert len(second.context["rows"]) == 3


def test_filters_by_type_and_name_and_htmx_gets_the_table(client, world, furnished):
    more_sites(world.a, 2)
    login(client, world.a.users["company_admin"])
    response = client.get(
        reverse("sanitation:compliance"),
        {"q": "增补1", "site_type": "residential"},
        headers={"HX-Request": "true", "HX-Target": "list-table"},
    )
    html = response.content.decode()
    assert "<html" not in html and 'data-testid="compliance-table"' in html
    assert [row["site"].name for row in response.context["rows"]] == ["增补1号项目"]
    office = client.get(reverse("sanitation:compliance"), {"site_type": "office"})
    assert office.context["rows"] == []


def test_a_bad_range_is_named_and_the_default_shown(client, world, furnished):
    login(client, world.a.users["site_manager"])
    response = client.get(
        reverse("sanitation:compliance"), {"start": "2020-02-12", "end": "2020-02-01"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="compliance-range-error"' in html
    assert "开始日期：开始日期不能晚于结束日期。" in html
    assert (response.context["start"], response.context["end"]) == (
        TODAY - timedelta(days=13),
        TODAY,
    )
    too_long = client.get(
        reverse("sanitation:compliance"), {"start": "2019-01-01", "end": "2020-02-10"}
    )
    assert "日期范围最长 92 天" in too_long.content.decode()
    garbage = client.get(reverse("sanitation:compliance"), {"start": "yesterday"})
    assert "开始日期：" in garbage.content.decode()


def test_a_chosen_range_is_used(client, world, furnished):
    login(client, world.a.users["site_manager"])
    yesterday = TODAY - timedelta(days=1)
    response = client.get(
        reverse("sanitation:compliance"), {"start": yesterday.isoformat(), "end": yesterday}
    )
    row = response.context["rows"][0]
    assert (row["range"].due, row["range"].done, row["range"].late) == (4, 3, 1)
    assert row["today"].percent == 80.0  # today's column stays today's


def test_site_page_by_area_and_day(client, world, furnished, django_assert_num_queries):
    login(client, world.a.users["site_manager"])
    url = reverse("sanitation:compliance_site", args=[world.a.site.pk])
    with django_assert_num_queries(QUERIES["compliance_site"]):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    lift, lobby = furnished["a"]["lift"], furnished["a"]["lobby"]
    assert f'data-testid="compliance-area-{lift.pk}"' in html
    rows = {row["area"].pk: row for row in response.context["rows"]}
    assert rows[lift.pk]["cells"][-1].percent == 75.0
    assert rows[lobby.pk]["cells"][-1].percent == 100.0
    assert response.context["day_totals"][-1].percent == 80.0
    heat = response.context["heatmap"]["series"][0]["data"]
    assert [13, 0, 75.0] in heat or [13, 1, 75.0] in heat
    assert 'data-chart="area-heatmap"' in html


def test_site_page_of_another_company_is_404(client, world, furnished):
    login(client, world.a.users["site_manager"])
    url = reverse("sanitation:compliance_site", args=[world.b.site.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", ["cleaner", "guard", "resident"])
def test_compliance_refused_without_the_permission(client, world, furnished, role):
    login(client, world.a.users[role])
    assert client.get(reverse("sanitation:compliance")).status_code == 403
    assert client.get(reverse("sanitation:compliance_export")).status_code == 403


# --- export ------------------------------------------------------------------------------


def test_csv_export_streams_the_fixed_layout_and_is_audited(client, world, furnished):
    login(client, world.a.users["company_admin"])
    yesterday = TODAY - timedelta(days=1)
    response = client.get(
        reverse("sanitation:compliance_export"),
        {"format": "csv", "start": yesterday.isoformat(), "end": TODAY.isoformat()},
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    days = (yesterday.isoformat(), TODAY.isoformat())
    assert rows[0] == [
        "项目",
        "项目类型",
        "日期",
        "应完成",
        "已完成",
        "按时完成",
        "超时完成",
        "未完成",
        "完成率（%）",
        "按时完成率（%）",
    ]
    assert rows[1:] == [
        [
            world.a.site.name,
            "住宅小区",
            yesterday.isoformat(),
            "4",
            "3",
            "2",
            "1",
            "1",
            "75.0",
            "50.0",
        ],
        [world.a.site.name, "住宅小区", TODAY.isoformat(), "5", "4", "3", "1", "1", "80.0", "60.0"],
        # the world's second site of a: no tasks
        *([world.a.sibling.site.name, "住宅小区", day, *"00000", "", ""] for day in days),
    ]
    audit = AuditEvent.objects.get(action=AuditAction.COMPLIANCE_EXPORT)
    assert audit.company_id == world.a.company.pk
    assert audit.changes["export"] == "sanitation.compliance" and audit.changes["format"] == "csv"


def test_xlsx_export_has_the_same_layout(client, world, furnished):
    login(client, world.a.users["site_manager"])
    response = client.get(
        reverse("sanitation:compliance_export"), {"format": "xlsx", "start": TODAY.isoformat()}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "项目" and rows[0][-1] == "按时完成率（%）"
    assert rows[1] == (world.a.site.name, "住宅小区", TODAY.isoformat(), 5, 4, 3, 1, 1, 80, 60)
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.COMPLIANCE_EXPORT, company_id=world.a.company.pk
        ).count()
        == 1
    )


def test_export_rejects_a_bad_format_or_range_and_writes_nothing(client, world, furnished):
    login(client, world.a.users["company_admin"])
    url = reverse("sanitation:compliance_export")
    assert client.get(url, {"format": "pdf"}).status_code == 404
    bad = client.get(url, {"format": "csv", "start": "2020-03-01", "end": "2020-02-01"})
    assert bad.status_code == 400
    assert "开始日期不能晚于结束日期" in bad.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.COMPLIANCE_EXPORT).exists()


def test_export_reads_sites_in_chunks(world, furnished, django_assert_num_queries):
    """Sites are read in keyset chunks (name, id), each chunk's figures in one query:
    a small chunk gives the same rows as one big one."""
    from firstline.orgs.selectors import scope_for_user
    from firstline.sanitation.services import exporting

    more_sites(world.a, 5)
    scope = scope_for_user(world.a.users["company_admin"]).for_perm("sanitation.export_compliance")
    sites, tasks = Site.objects.for_scope(scope), Task.objects.for_scope(scope)
    whole = list(exporting.compliance_rows(sites, tasks, start=TODAY, end=TODAY))
    with django_assert_num_queries(2 * 4 + 1):  # 4 chunks of (up to) 2 sites + the empty read
        chunked = list(
            exporting.compliance_rows(sites, tasks, start=TODAY, end=TODAY, chunk_size=2)
        )
    assert whole == chunked
    assert len(whole) == 7 and [row[0] for row in whole] == sorted(row[0] for row in whole)


# --- overdue tasks and alerts ---------------------------------------------------------------


def test_overdue_list(client, world, furnished, django_assert_num_queries):
    login(client, world.a.users["site_manager"])
    with django_assert_num_queries(QUERIES["overdue"]):
        response = client.get(reverse("sanitation:overdue"), {"site": world.a.site.pk})
    html = response.content.decode()
    assert html.count('data-testid="sanitation-overdue-row"') == 2
    assert world.b.site.name not in html
    assert client.get(reverse("sanitation:overdue"), {"site": world.b.site.pk}).status_code == 404


def test_alert_list_and_acknowledge(client, world, furnished, django_assert_num_queries):
    login(client, world.a.users["site_manager"])
    with django_assert_num_queries(QUERIES["alert_list"]):
        response = client.get(reverse("sanitation:alert_list"))
    html = response.content.decode()
    alert = furnished["a"]["alert"]
    assert html.count('data-testid="sanitation-alert-row"') == 1
    assert f'hx-post="{reverse("sanitation:alert_ack", args=[alert.pk])}"' in html
    ack = client.post(
        reverse("sanitation:alert_ack", args=[alert.pk]), headers={"HX-Request": "true"}
    )
    assert ack.status_code == 200
    assert ack["HX-Trigger"] == "fl:sanitation-alerts-changed"
    body = ack.content.decode()
    assert body.lstrip().startswith("<tr") and "a_manager" in body and "table-danger" not in body
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == world.a.users["site_manager"].pk
    assert (
        'data-testid="sanitation-alert-row"'
        not in client.get(reverse("sanitation:alert_list")).content.decode()
    )
    assert (
        client.get(reverse("sanitation:alert_list"), {"state": "all"})
        .content.decode()
        .count('data-testid="sanitation-alert-row"')
        == 1
    )


def test_cleaner_cannot_acknowledge(client, world, furnished):
    login(client, world.a.users["cleaner"])
    alert = furnished["a"]["alert"]
    assert client.post(reverse("sanitation:alert_ack", args=[alert.pk])).status_code == 403
    assert OverdueAlert.all_tenants.get(pk=alert.pk).acknowledged_at is None


# --- dashboard cards ------------------------------------------------------------------------


def test_manager_dashboard_shows_todays_compliance_and_overdue(client, world, furnished):
    login(client, world.a.users["site_manager"])
    response = client.get(reverse("dashboard"))
    figures = response.context["sanitation"]
    assert figures["today"].percent == 80.0
    assert figures["overdue"] == 2  # today's 11:00 and yesterday's 20:00
    html = response.content.decode()
    assert 'data-testid="sanitation-compliance"' in html and "80.0%" in html


def test_cleaner_dashboard_shows_todays_tasks(client, world, furnished):
    login(client, world.a.users["cleaner"])
    response = client.get(reverse("dashboard"))
    # Today: 11:00 (due) and 16:00 pending; four done (the cancelled one is neither).
    assert response.context["tasks"] == {"to_do": 2, "due_now": 1, "done": 4}
    assert 'data-testid="cleaner-to-do"' in response.content.decode()
