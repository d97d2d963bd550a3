"""Roll-ups: every figure equals the sum over the underlying submitted reports; late,
missing and pending are counted per site; authorities and companies see only their
own; the number of queries does not grow with the data."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Site
from firstline.estates.services.records import name_initials
from firstline.geo.models import Division
from firstline.orgs.selectors import scope_for_user
from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.selectors import rollups
from firstline.reports.services.daily import report_cutoff
from firstline.testing.world import PASSWORD, World, make_user

DAY = date(2020, 2, 10)
BEFORE = datetime.combine(DAY, time(20, 0), tzinfo=timezone.get_current_timezone())
AFTER = report_cutoff(DAY) + timedelta(minutes=1)


def add_site(company, community: Division, name: str) -> Site:
    return Site.all_tenants.create(
        company=company, name=name, name_initials=name_initials(name), community=community
    )


def add_report(site: Site, *, day: date = DAY, state="submitted", late=False, seed=0, **fields):
    """A report row written directly (the roll-up does not depend on how it was made)."""
    rng = random.Random(f"{site.pk}-{day}-{seed}")
    figures = {name: rng.randint(0, 40) for name in FIGURES}
    figures["sanitation_done"] = min(figures["sanitation_done"], figures["sanitation_due"])
    figures.update(fields)
    submitted = state == "submitted"
    return DailyReport.all_tenants.create(
        company_id=site.company_id,
        site=site,
        day=day,
        division_code=site.community.code,
        state=state,
        due_at=report_cutoff(day),
        submitted_at=report_cutoff(day) + timedelta(hours=1 if late else -10)
        if submitted
        else None,
        late=late,
        version=1 if submitted else 0,
        **figures,
    )


def division(code: str, name: str, parent: Division) -> Division:
    return Division.objects.create(code=code, name=name, level=parent.level + 1, parent=parent)


@pytest.fixture
def land(world: World):
    """Company a: 2 sites in 友谊社区 (民族街道, 江汉区), 1 in a second street of 江汉区;
    company b: 1 in 临江社区 (武昌区) and 1 in 江汉区's second street. Reports of DAY:
    a's three submitted (one late), b's 江汉区 site submitted, b's 武昌区 site only a draft.
    The world's second sites of a and b (户部巷社区, 武昌区) have no report."""
    d = world.divisions
    street2 = division("420103002", "花楼街道", d["420103"])
    community2 = division("420103002001", "水塔社区", street2)
    a1 = world.a.site
    a2 = add_site(world.a.company, d["420103001001"], "a二期")
    a3 = add_site(world.a.company, community2, "a水塔苑")
    b1 = world.b.site
    b2 = add_site(world.b.company, community2, "b花楼里")
    reports = {
        "a1": add_report(a1, notes="门岗人手不足", help_needed="需要口罩 500 只"),
        "a2": add_report(a2, late=True),
        "a3": add_report(a3),
        "b2": add_report(b2),
        "b1": add_report(b1, state="draft"),
        "a1_other_day": add_report(a1, day=DAY - timedelta(days=1)),
    }
    return {"street2": street2, "community2": community2, "sites": [a1, a2, a3, b1, b2], **reports}


def expected(reports: list[DailyReport]) -> dict[str, int]:
    return {name: sum(getattr(r, name) for r in reports) for name in FIGURES}


def scope_of(user):
    return scope_for_user(user)


@pytest.fixture
def city_viewer(world):
    return make_user("city_viewer", "authority_viewer", division=world.divisions["4201"])


# --- sums and counts ---------------------------------------------------------------------------


def test_city_rollup_sums_equal_the_reports_per_district(world, land, city_viewer):
    rollup = rollups.division_rollup(scope_of(city_viewer), code="4201", day=DAY, now=AFTER)
    rows = {row.key: row for row in rollup.rows}
    assert set(rows) == {"420103", "420106"}
    jianghan = rows["420103"]
    assert jianghan.name == "江汉区"
    assert jianghan.figures == expected([land["a1"], land["a2"], land["a3"], land["b2"]])
    assert (jianghan.sites, jianghan.submitted, jianghan.on_time, jianghan.late) == (4, 4, 3, 1)
    assert jianghan.missing == 0
    wuchang = rows["420106"]
    # The draft is not counted: the site is missing after the cut-off (as are the world's
    # second sites, with no report at all).
    assert (wuchang.sites, wuchang.submitted, wuchang.missing) == (3, 0, 3)
    assert wuchang.figures == dict.fromkeys(FIGURES, 0)
    assert rollup.total.figures == jianghan.figures
    assert (rollup.total.sites, rollup.total.submitted, rollup.total.missing) == (7, 4, 3)
    due = sum(r.sanitation_due for r in (land["a1"], land["a2"], land["a3"], land["b2"]))
    done = sum(r.sanitation_done for r in (land["a1"], land["a2"], land["a3"], land["b2"]))
    assert rollup.total.compliance_percent == round(done * 100 / due, 1)


def test_district_rollup_goes_to_streets_and_street_to_communities(world, land):
    scope = scope_of(world.users["authority_viewer"])  # 江汉区
    district = rollups.division_rollup(scope, code="420103", day=DAY, now=AFTER)
    rows = {row.key: row for row in district.rows}
    assert set(rows) == {"420103001", "420103002"}
    assert rows["420103001"].figures == expected([land["a1"], land["a2"]])
    assert rows["420103002"].figures == expected([land["a3"], land["b2"]])
    assert district.parent is None  # the viewer holds nothing above its district
    street = rollups.division_rollup(scope, code="420103002", day=DAY, now=AFTER)
    assert [row.key for row in street.rows] == ["420103002001"]
    assert street.rows[0].figures == expected([land["a3"], land["b2"]])
    assert street.parent == {"division": "420103"}


def test_community_rollup_lists_its_sites_with_their_reports(world, land):
    scope = scope_of(world.users["authority_viewer"])
    rollup = rollups.division_rollup(scope, code="420103001001", day=DAY, now=AFTER)
    assert rollup.kind == "sites"
    by_name = {row.name: row for row in rollup.site_rows}
    assert set(by_name) == {"a花园", "a二期"}
    assert by_name["a花园"].state == "submitted"
    assert by_name["a花园"].report["help_needed"] == "需要口罩 500 只"
    assert by_name["a二期"].state == "late"
    assert rollup.total.figures == expected([land["a1"], land["a2"]])
    assert (rollup.total.sites, rollup.total.late) == (2, 1)


def test_before_the_cutoff_unreported_sites_are_pending_not_missing(world, land, city_viewer):
    rollup = rollups.division_rollup(scope_of(city_viewer), code="4201", day=DAY, now=BEFORE)
    wuchang = next(row for row in rollup.rows if row.key == "420106")
    assert (wuchang.missing, wuchang.pending) == (0, 3)
    community = rollups.division_rollup(
        scope_of(city_viewer), code="420106001001", day=DAY, now=BEFORE
    )
    assert [row.state for row in community.site_rows] == ["pending"]
    after = rollups.division_rollup(scope_of(city_viewer), code="420106001001", day=DAY, now=AFTER)
    assert [row.state for row in after.site_rows] == ["missing"]


# --- who sees what -----------------------------------------------------------------------------


def test_an_authority_sees_only_its_division(world, land):
    scope = scope_of(world.users["authority_viewer"])  # 420103
    for code in ("420106", "420106001", "420106001001", "4201", "42", "12345", "420103999"):
        with pytest.raises(Http404):
            rollups.division_rollup(scope, code=code, day=DAY)
    rollup = rollups.division_rollup(scope, code="420103", day=DAY, now=AFTER)
    assert rollup.total.sites == 4
    assert rollup.total.figures == expected([land["a1"], land["a2"], land["a3"], land["b2"]])


def test_a_company_admin_sees_only_its_company(world, land):
    scope = scope_of(world.a.users["company_admin"])
    rollup = rollups.company_rollup(scope, day=DAY, now=AFTER)
    assert [(row.key, row.sites) for row in rollup.rows] == [(world.a.company.pk, 4)]
    assert rollup.rows[0].figures == expected([land["a1"], land["a2"], land["a3"]])
    sites = rollups.company_rollup(scope, day=DAY, company_id=world.a.company.pk, now=AFTER)
    second = world.a.sibling.site.name
    assert {row.name for row in sites.site_rows} == {"a花园", "a二期", "a水塔苑", second}
    with pytest.raises(Http404):
        rollups.company_rollup(scope, day=DAY, company_id=world.b.company.pk)
    with pytest.raises(Http404):  # a company admin holds no division
        rollups.division_rollup(scope, code="420103", day=DAY)


def test_a_site_manager_sees_only_its_site(world, land):
    scope = scope_of(world.a.users["site_manager"])
    rollup = rollups.company_rollup(scope, day=DAY, company_id=world.a.company.pk, now=AFTER)
    assert [row.name for row in rollup.site_rows] == ["a花园"]
    assert rollup.total.figures == expected([land["a1"]])


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_pages_answer_404_outside_and_403_without_the_permission(client, world, land):
    login(client, world.users["authority_viewer"])
    url = reverse("reports:rollup")
    assert client.get(url, {"division": "420106", "day": DAY}).status_code == 404
    assert client.get(url, {"division": "420103", "day": DAY}).status_code == 200
    assert client.get(url, {"company": world.b.company.pk, "day": DAY}).status_code == 404
    assert client.get(url, {"day": "2020-02-31"}).status_code == 400
    client.logout()
    login(client, world.a.users["guard"])
    assert client.get(url).status_code == 403


# --- the pages ---------------------------------------------------------------------------------


def test_the_authority_page_drills_down_to_the_sites(client, world, land):
    login(client, world.users["authority_viewer"])
    url = reverse("reports:rollup")
    page = client.get(url, {"day": DAY.isoformat()}).content.decode()  # its own district
    assert "江汉区" in page and "民族街道" in page and "花楼街道" in page
    assert "division=420103001" in page
    assert "a花园" not in page  # sites only at the bottom
    page = client.get(url, {"day": DAY.isoformat(), "division": "420103002001"}).content.decode()
    assert "a水塔苑" in page and "b花楼里" in page and "a花园" not in page
    assert reverse("reports:daily_detail", args=[land["a3"].pk]) in page
    assert "format=xlsx" in page


def test_the_api_returns_the_rows_of_the_page(client, world, land):
    login(client, world.users["authority_viewer"])
    body = client.get("/api/v1/reports/rollup", {"day": DAY.isoformat()}).json()
    assert body["division"] == "420103"
    assert {item["key"] for item in body["items"]} == {"420103001", "420103002"}
    street2 = next(item for item in body["items"] if item["key"] == "420103002")
    assert street2["figures"] == expected([land["a3"], land["b2"]])
    assert client.get("/api/v1/reports/rollup", {"division": "420106"}).status_code == 404
    bad = client.get("/api/v1/reports/rollup", {"division": "4201x"})
    assert (bad.status_code, [e["loc"] for e in bad.json()["detail"]]) == (
        422,
        [["query", "division"]],
    )
    sites = client.get(
        "/api/v1/reports/rollup", {"day": DAY.isoformat(), "division": "420103001001"}
    ).json()
    assert sites["kind"] == "sites"
    assert {item["name"] for item in sites["items"]} == {"a花园", "a二期"}
    client.logout()
    login(client, world.a.users["company_admin"])
    body = client.get("/api/v1/reports/rollup", {"day": DAY.isoformat()}).json()
    assert [item["company_id"] for item in body["items"]] == [world.a.company.pk]
    assert client.get("/api/v1/reports/rollup", {"company": world.b.company.pk}).status_code == 404


# --- series ------------------------------------------------------------------------------------


def test_punctuality_series_counts_per_day(world, land):
    scope = scope_of(world.a.users["company_admin"])
    series = rollups.punctuality_series(scope, start=DAY - timedelta(days=2), end=DAY)
    assert [s["submitted"] for s in series] == [0, 1, 3]
    assert series[-1]["late"] == 1 and series[-1]["on_time"] == 2
    assert series[-1]["fevers"] == sum(land[k].fevers for k in ("a1", "a2", "a3"))


# --- fixed number of queries -------------------------------------------------------------------


def grow(world, land, n: int, start: int = 0) -> None:
    """n more streets in 江汉区, each with a community and a site of each company, reported."""
    d = world.divisions
    for i in range(start, start + n):
        street = division(f"420103{100 + i:03d}", f"街道{i}", d["420103"])
        community = division(f"{street.code}001", f"社区{i}", street)
        for tenant in (world.a, world.b):
            add_report(add_site(tenant.company, community, f"{tenant.company.name[:1]}{i}苑"))


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("level", ["420103", "420103001001"])
def test_rollup_queries_do_not_grow_with_the_data(world, land, level):
    scope = scope_of(world.users["authority_viewer"])
    small = _count(lambda: rollups.division_rollup(scope, code=level, day=DAY))
    grow(world, land, 6)
    for i in range(8):
        add_report(add_site(world.a.company, world.divisions["420103001001"], f"多{i}"))
    large = _count(lambda: rollups.division_rollup(scope, code=level, day=DAY))
    assert small == large
    assert small <= 5


def test_the_rollup_page_runs_a_fixed_number_of_queries(
    client, world, land, django_assert_num_queries
):
    login(client, world.users["authority_viewer"])
    url = reverse("reports:rollup")
    client.get(url, {"day": DAY.isoformat()})  # warm the session
    grow(world, land, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"day": DAY.isoformat()}).status_code == 200
    grow(world, land, 7, start=10)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url, {"day": DAY.isoformat()}).status_code == 200


def test_the_site_level_page_runs_a_fixed_number_of_queries(
    client, world, land, django_assert_num_queries
):
    login(client, world.a.users["company_admin"])
    url = reverse("reports:rollup")
    query = {"day": DAY.isoformat(), "company": world.a.company.pk}
    client.get(url, query)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, query).status_code == 200
    for i in range(60):  # more than a page
        add_report(add_site(world.a.company, world.divisions["420103001001"], f"批{i:02d}"))
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, query)
    assert response.status_code == 200
    assert response.context["rollup"].total.sites == 64  # a's four and sixty more


pytestmark = pytest.mark.skipif(
    connection.vendor not in ("sqlite", "postgresql"), reason="needs Substr on a real database"
)
