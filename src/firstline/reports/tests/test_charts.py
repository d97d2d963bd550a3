"""The dashboards' 30-day series equal sums over the DailyReport rows made here, per
scope: site manager (own sites), company admin, authority (division prefix) and the
association (members, small counts of people suppressed)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Site
from firstline.orgs.selectors import scope_for_user
from firstline.reports.models import DailyReport
from firstline.reports.selectors import charts

pytestmark = pytest.mark.django_db

SUBMITTED, DRAFT = DailyReport.State.SUBMITTED, DailyReport.State.DRAFT


def report(site, day, *, state=SUBMITTED, late=False, **figures) -> DailyReport:
    due_at = charts.cutoff_of(day)
    return DailyReport.all_tenants.create(
        company_id=site.company_id,
        site=site,
        day=day,
        division_code=site.community.code,
        state=state,
        due_at=due_at,
        submitted_at=due_at - timedelta(hours=1) if state == SUBMITTED else None,
        late=late,
        **figures,
    )


@pytest.fixture
def reports(world):
    """Reports of the last 5 days for a's site, a third site of a (no manager) and
    b's site, with different figures; day 2 of a's site late, day 3 missing. The
    world's second sites of a and b have no reports (missing every day)."""
    today = timezone.localdate()
    second = Site.all_tenants.create(
        company=world.a.company,
        name="a二期",
        name_initials="AEQ",
        community=world.a.site.community,
    )
    made = []
    for offset in range(5):
        day = today - timedelta(days=offset)
        for site, base in ((world.a.site, 1), (second, 10), (world.b.site, 100)):
            if site == world.a.site and offset == 3:
                continue  # missing
            made.append(
                report(
                    site,
                    day,
                    state=DRAFT if offset == 0 else SUBMITTED,
                    late=(site == world.a.site and offset == 2),
                    fevers=base + offset,
                    isolation_active=2 * base + offset,
                    sanitation_due=10 * base,
                    sanitation_done=10 * base - offset,
                )
            )
    return {"rows": made, "second": second, "today": today}


def expected(rows, days, site_total, *, now):
    out = {"fevers": [], "isolation": [], "compliance": [], "on_time": [], "late": []}
    out["missing"] = []
    for day in days:
        of_day = [r for r in rows if r.day == day]
        out["fevers"].append(sum(r.fevers for r in of_day))
        out["isolation"].append(sum(r.isolation_active for r in of_day))
        due = sum(r.sanitation_due for r in of_day)
        done = sum(r.sanitation_done for r in of_day)
        out["compliance"].append(round(done * 100 / due, 1) if due else None)
        on_time = sum(1 for r in of_day if r.state == SUBMITTED and not r.late)
        late = sum(1 for r in of_day if r.state == SUBMITTED and r.late)
        out["on_time"].append(on_time)
        out["late"].append(late)
        passed = now >= charts.cutoff_of(day)
        out["missing"].append(site_total - on_time - late if passed else None)
    return out


def check(series, rows, site_total):
    want = expected(rows, series.days, site_total, now=timezone.now())
    for name, values in want.items():
        assert getattr(series, name) == values, name
    assert series.site_total == site_total


def test_company_admin_series_are_sums_over_its_reports(world, reports, django_assert_num_queries):
    scope = scope_for_user(world.a.users["company_admin"])
    with django_assert_num_queries(2):  # the grouped reports, the sites in scope
        series = charts.for_scope(scope)
    assert len(series.days) == 30 and series.days[-1] == reports["today"]
    own = [r for r in reports["rows"] if r.company_id == world.a.company.pk]
    check(series, own, site_total=3)  # with the world's second site of a
    # day 3: a's site missing (and the second site, every day); day 2: a's site late
    assert series.missing[-4] == 2 and series.late[-3] == 1
    assert series.missing[-1] is None  # today's report is not due yet


def test_site_manager_sees_own_site_only(world, reports):
    series = charts.for_scope(scope_for_user(world.a.users["site_manager"]))
    own = [r for r in reports["rows"] if r.site_id == world.a.site.pk]
    check(series, own, site_total=1)


def test_authority_sees_its_division_only(world, reports):
    series = charts.for_scope(scope_for_user(world.users["authority_viewer"]))
    of_420103 = [r for r in reports["rows"] if r.division_code.startswith("420103")]
    assert {r.company_id for r in of_420103} == {world.a.company.pk}
    check(series, of_420103, site_total=2)


def test_roles_without_reports_get_no_series_and_no_query(world, django_assert_num_queries):
    for role in ("health_officer", "guard", "resident"):
        scope = scope_for_user(world.a.users[role])
        with django_assert_num_queries(0):
            assert charts.for_scope(scope) is None


def test_association_totals_with_small_counts_suppressed(world, reports):
    series = charts.for_association([world.association.pk])
    rows = reports["rows"]
    want = expected(rows, series.days, 5, now=timezone.now())  # five sites, two without
    for name in ("fevers", "isolation"):
        assert getattr(series, name) == [v if v >= 5 else "<5" for v in want[name]]
    assert series.fevers[-1] == 111  # 1 + 10 + 100 today
    assert series.fevers[-4] == 116  # day 3, a's site missing: 13 + 103
    for name in ("compliance", "on_time", "late", "missing"):
        assert getattr(series, name) == want[name]


def test_options_draw_suppressed_cells_as_gaps(world):
    series = charts.for_association([world.association.pk])
    option = {c["key"]: c for c in charts.charts(series)}
    assert option["fevers"]["option"]["series"][0]["data"] == ["-"] * 30
    assert option["fevers"]["note"]
    assert not option["punctuality"]["note"]


@pytest.mark.parametrize("role", ["company_admin", "site_manager"])
def test_dashboards_render_the_charts_and_the_command_card(client, world, reports, role):
    client.force_login(world.a.users[role])
    response = client.get(reverse("dashboard"))
    html = response.content.decode()
    for key in ("fevers", "isolation", "compliance", "punctuality"):
        assert f'data-chart="report-chart-{key}"' in html
        assert f'<script id="report-chart-{key}" type="application/json">' in html
    assert 'data-testid="command-card"' in html
    assert reverse("reports:command") in html
    assert "vendor/echarts/echarts.min.js" in html
    option = json.loads(
        html.split('<script id="report-chart-fevers" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    own = {r.day: 0 for r in reports["rows"]}
    for r in reports["rows"]:
        if (
            role == "company_admin" and r.company_id == world.a.company.pk
        ) or r.site_id == world.a.site.pk:
            own[r.day] += r.fevers
    assert option["series"][0]["data"][-1] == own[reports["today"]]


def test_authority_and_association_dashboards_have_charts(client, world, reports):
    client.force_login(world.users["authority_viewer"])
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-chart="report-chart-punctuality"' in html
    assert 'data-testid="command-card"' in html
    client.force_login(world.users["association_admin"])
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-chart="report-chart-fevers"' in html
    assert 'data-testid="command-card"' not in html
