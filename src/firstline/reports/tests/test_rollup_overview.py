"""The association overview: member companies' reports per district as aggregates,
every cell under 5 suppressed, no site anywhere, a fixed number of queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.core.personal.aggregates import SUPPRESSED
from firstline.orgs.models import Company, Membership
from firstline.orgs.selectors import scope_for_user
from firstline.reports.selectors import rollups
from firstline.reports.tests.test_rollup import AFTER, DAY, add_report, add_site, land  # noqa: F401 - the fixture
from firstline.testing.world import PASSWORD, make_credit_code


def overview(world):
    return rollups.association_overview(
        scope_for_user(world.users["association_admin"]), day=DAY, now=AFTER
    )


def test_small_cells_are_suppressed(world, land):  # noqa: F811
    result = overview(world)
    rows = {row["name"]: row for row in result["rows"]}
    jianghan = rows["江汉区"]
    # 4 sites, 4 reporting, 2 companies: all under 5.
    for key in ("companies", "sites", "reporting", "on_time", "late", "unreported", "punctuality"):
        assert jianghan[key] == SUPPRESSED, key
    assert all(value == SUPPRESSED or value >= 5 for value in jianghan["figures"]), (
        "a figure under 5 shown"
    )


def test_large_enough_cells_show_their_counts(world, land):  # noqa: F811
    community = world.divisions["420103001001"]
    for i in range(6):
        add_report(add_site(world.a.company, community, f"大{i}"), fevers=0)
    result = overview(world)
    jianghan = next(row for row in result["rows"] if row["name"] == "江汉区")
    assert jianghan["sites"] == 10
    assert jianghan["reporting"] == 10
    assert jianghan["on_time"] == 9
    assert jianghan["late"] == SUPPRESSED  # one late
    assert jianghan["punctuality"] == 90.0
    assert jianghan["companies"] == SUPPRESSED  # two companies
    wuchang = next(row for row in result["rows"] if row["name"] == "武昌区")
    assert wuchang["sites"] == SUPPRESSED  # three: b's, and the world's second sites
    assert result["total"]["sites"] == 13


def test_non_members_are_left_out(world, land):  # noqa: F811
    outsider = Company.objects.create(
        name="非会员物业", credit_code=make_credit_code(77), division=world.divisions["420103"]
    )
    community = world.divisions["420103001001"]
    for i in range(6):
        add_report(add_site(outsider, community, f"外{i}"))
    assert overview(world)["total"]["sites"] == 7  # still only the members' sites
    Membership.objects.create(company=outsider, association=world.association, joined_on=DAY)
    assert overview(world)["total"]["sites"] == 13


def test_the_page_shows_no_site_and_runs_fixed_queries(client, world, land):  # noqa: F811
    admin = world.users["association_admin"]
    assert client.login(username=admin.username, password=PASSWORD)
    url = reverse("reports:overview")
    client.get(url, {"day": DAY.isoformat()})
    with CaptureQueriesContext(connection) as small:
        response = client.get(url, {"day": DAY.isoformat()})
    page = response.content.decode()
    assert response.status_code == 200
    assert "江汉区" in page and "&lt;5" in page
    assert "a花园" not in page and "b花楼里" not in page
    for i in range(12):
        add_report(add_site(world.b.company, world.divisions["420106001001"], f"多{i}"))
    with CaptureQueriesContext(connection) as large:
        client.get(url, {"day": DAY.isoformat()})
    assert len(large.captured_queries) == len(small.captured_queries)
    client.logout()
    for user in (world.a.users["company_admin"], world.users["authority_viewer"]):
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(url).status_code == 403
        client.logout()
