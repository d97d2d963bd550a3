"""Every daily-report page and endpoint through the shared tenancy checks, and the
authority viewers: their own district's reports, not another's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.reports.models import DailyReport
from firstline.reports.services.daily import reports_prefill
from firstline.reports.urls import daily
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import PASSWORD, World

YESTERDAY = timezone.localdate() - timedelta(days=1)


@pytest.fixture
def world(world: World) -> World:
    reports_prefill(day=YESTERDAY)
    return world


def report_of(tenant) -> DailyReport:
    return DailyReport.all_tenants.get(site=tenant.site, day=YESTERDAY)


class TestDailyTenancy(TenancyCases):
    routes = [
        Page("reports:daily_list", viewer="site_manager"),
        Page("reports:daily_today", viewer="site_manager", rows="rows", site_field="0.site_id"),
        Page("reports:daily_detail", obj=report_of),
        Page("reports:daily_print", obj=report_of, viewer="site_manager"),
        Page(
            "reports:daily_submit",
            obj=report_of,
            viewer="site_manager",
            write={"notes": "一切正常", "help_needed": "", "action": "submit", "confirmed": "1"},
            denied_writer="guard",
        ),
    ]
    api = [
        Api("/api/v1/reports/daily", viewer="site_manager"),
        Api("/api/v1/reports/daily/{id}", obj=report_of),
        Api(
            "/api/v1/reports/daily/{id}/submit",
            obj=report_of,
            viewer="site_manager",
            method="post",
            body={"notes": "一切正常"},
        ),
    ]


def test_every_daily_route_is_covered():
    """A new daily-report page must join the tenancy checks above."""
    declared = {f"reports:{pattern.name}" for pattern in daily.urlpatterns}
    assert declared == {page.name for page in TestDailyTenancy.routes}


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_authority_sees_its_district_only(client, world):
    _login(client, world.users["authority_viewer"])  # 420103: company a's district
    own = reverse("reports:daily_detail", args=[report_of(world.a).pk])
    other = reverse("reports:daily_detail", args=[report_of(world.b).pk])
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    page = client.get(reverse("reports:daily_list")).content.decode()
    assert world.a.site.name in page and world.b.site.name not in page
    items = client.get("/api/v1/reports/daily").json()["items"]
    assert {item["site_id"] for item in items} == {world.a.site.pk}
    assert client.get(f"/api/v1/reports/daily/{report_of(world.b).pk}").status_code == 404
    assert client.get(f"/api/v1/reports/daily/{report_of(world.a).pk}").status_code == 200


def test_authority_reads_but_does_not_submit(client, world):
    _login(client, world.users["authority_viewer"])
    report = report_of(world.a)
    url = reverse("reports:daily_submit", args=[report.pk])
    assert client.post(url, {"notes": "x"}).status_code == 403
    response = client.post(
        f"/api/v1/reports/daily/{report.pk}/submit", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert report_of(world.a).state == DailyReport.State.DRAFT


def test_no_role_and_association_are_refused(client, world):
    for key in ("no_role", "association_admin"):
        _login(client, world.users[key])
        assert client.get(reverse("reports:daily_list")).status_code == 403
        assert client.get("/api/v1/reports/daily").status_code == 403
        client.logout()
