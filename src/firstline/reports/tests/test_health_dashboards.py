"""Health figures on the dashboards (issue #4): per role, scoped, other tenants'
rows never counted, each figure linked to its list, and a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from firstline.estates.models import Household, Resident, Site
from firstline.health.models import (
    Consent,
    Declaration,
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    SupportRequest,
    VulnerableCheck,
    WorkItem,
)
from firstline.orgs.models import Association
from firstline.reports.tests.test_dashboards import (
    division_tree,
    make_company,
    make_site,
    make_user,
)

pytestmark = pytest.mark.django_db

# Queries per dashboard request: 3 before the dashboard (session, user, scope), the
# dashboard's own (test_dashboards.QUERIES), then the health figures.
HEALTH = 6  # declarations, worklist, isolation, alerts, support, vulnerable due
SANITATION = 2  # today's disinfection compliance, overdue tasks (issue #5)
# Issue #6: the 30-day charts (reports by day, sites in scope) and the command
# centre's open alerts, for the roles with reports.view_dailyreport / view_command.
CHARTS = 2
COMMAND = 1
QUERIES = {
    "company_admin": 3 + 7 + HEALTH + SANITATION + CHARTS + COMMAND,
    "site_manager": 3 + 4 + HEALTH + SANITATION + CHARTS + COMMAND + 2,  # + the morning duties
    "health_officer": 3 + 4 + HEALTH + COMMAND,
    "authority_viewer": 3 + 2 + 2 + CHARTS + COMMAND,  # + flagged declarations, open isolation
    "resident": 3 + 2 + 1 + 2,  # + open isolation cases with today's checks, + notices (2)
}


def link(name: str, *args) -> str | None:
    """The page's URL, or None while that page is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def health_rows(site: Site, *, reds: int, yellows: int) -> dict:
    """For the residents of `site`, in order: `reds` red then `yellows` yellow current
    declarations (the rest green), an open work item each, a superseded declaration
    for the first; the first red in isolation with this morning's check, a missed
    check today and an older one acknowledged; an escalated and a released case;
    support requests open (urgent), assigned and done; a check call to the first
    vulnerable resident yesterday."""
    now = timezone.now()
    today = timezone.localdate()
    residents = list(Resident.all_tenants.filter(site=site).order_by("id"))
    at = {"company_id": site.company_id, "site_id": site.pk}
    statuses = ["red"] * reds + ["yellow"] * yellows
    for n, r in enumerate(residents):
        consent = Consent.all_tenants.create(
            **at, resident=r, text_version="1", channel="self", given_at=now
        )
        status = statuses[n] if n < len(statuses) else "green"
        if n == 0:
            Declaration.all_tenants.create(
                **at,
                resident=r,
                household_id=r.household_id,
                current=False,
                channel="self",
                consent=consent,
                submitted_at=now - timedelta(days=3),
                status="red",
            )
        declaration = Declaration.all_tenants.create(
            **at,
            resident=r,
            household_id=r.household_id,
            channel="self",
            consent=consent,
            submitted_at=now - timedelta(hours=n + 1),
            status=status,
        )
        if status != "green":
            WorkItem.all_tenants.create(
                **at,
                resident=r,
                household_id=r.household_id,
                declaration=declaration,
                level=status,
                state="open" if n % 2 == 0 else "following",
            )
    first = residents[0]
    case = IsolationCase.all_tenants.create(
        **at,
        resident=first,
        household_id=first.household_id,
        reason="自高风险地区返回",
        start_date=today - timedelta(days=3),
        planned_end=today + timedelta(days=11),
    )
    IsolationCheck.all_tenants.create(
        **at,
        case=case,
        day=today,
        slot="am",
        taken_at=now,
        temperature=Decimal("36.5"),
        by="self",
    )
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    HealthAlert.all_tenants.create(
        **at,
        kind="missed_check",
        key=f"{case.pk}:{today}:am",
        case=case,
        resident=first,
        message="漏报",
        due_at=start_of_today + timedelta(hours=12),
    )
    HealthAlert.all_tenants.create(
        **at,
        kind="missed_check",
        key=f"{case.pk}:{today - timedelta(days=1)}:pm",
        case=case,
        resident=first,
        message="漏报",
        due_at=start_of_today - timedelta(hours=4),
        acknowledged_at=now,
    )
    if len(residents) > 1:
        second = residents[1]
        IsolationCase.all_tenants.create(
            **at,
            resident=second,
            household_id=second.household_id,
            reason="密切接触者",
            start_date=today - timedelta(days=5),
            planned_end=today + timedelta(days=9),
            state="escalated",
        )
    if len(residents) > 2:
        third = residents[2]
        IsolationCase.all_tenants.create(
            **at,
            resident=third,
            household_id=third.household_id,
            reason="密切接触者",
            start_date=today - timedelta(days=20),
            planned_end=today - timedelta(days=6),
            state="released",
            released_at=now - timedelta(days=6),
        )
    for state, urgency in (("open", "urgent"), ("assigned", "normal"), ("done", "urgent")):
        SupportRequest.all_tenants.create(
            **at,
            household_id=first.household_id,
            resident=first,
            kind="groceries",
            urgency=urgency,
            details="蔬菜",
            state=state,
            requested_at=now,
        )
    vulnerable = [r for r in residents if r.chronic_illness]
    if vulnerable:
        VulnerableCheck.all_tenants.create(
            **at, resident=vulnerable[0], called_at=now - timedelta(days=1), outcome="well"
        )
    return {"case": case, "first": first}


@pytest.fixture
def divs():
    return division_tree()


@pytest.fixture
def association():
    return Association.objects.create(name="中国物业管理协会", short_name="中物协")


@pytest.fixture
def company(divs, association):
    return make_company(1, divs["420103"], association)


@pytest.fixture
def site(company, divs):
    """Four residents, three of them vulnerable; two reds and one yellow."""
    site = make_site(company, "友谊花园", divs["420103001001"], residents=4, vulnerable=3)
    health_rows(site, reds=2, yellows=1)
    return site


@pytest.fixture
def other_site(divs, association):
    """Another company's site in another district, with more of everything."""
    other = make_company(2, divs["420106"], association)
    site = make_site(other, "他司花园", divs["420106001001"], residents=6, vulnerable=5)
    health_rows(site, reds=3, yellows=2)
    return site


@pytest.fixture
def second_site(company, divs):
    """The same company's second site in 江汉区: the company sees it, the site roles
    of the first site do not."""
    site = make_site(company, "江汉小区", divs["420103001001"], residents=3, vulnerable=0)
    health_rows(site, reds=1, yellows=1)
    return site


def dashboard(client, user, queries=None, assert_num_queries=None):
    client.force_login(user)
    if assert_num_queries is None:
        response = client.get(reverse("dashboard"))
    else:
        with assert_num_queries(queries):
            response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response


# Site 友谊花园: reds 2, yellows 1, open items 3 (2 not yet called), open cases 2 (one
# escalated), 1 missed check today, 1 open alert, open support 2 (1 urgent),
# vulnerable 3 of whom 1 called yesterday: 2 due.
SITE_FIGURES = {
    "red": 2,
    "yellow": 1,
    "work_open": 3,
    "work_new": 2,
    "isolation_active": 2,
    "isolation_escalated": 1,
    "missed_today": 1,
    "alerts_open": 1,
    "support_open": 2,
    "support_urgent": 1,
    "vulnerable_due": 2,
    "due_after_days": 7,
}


@pytest.mark.parametrize("role", ["site_manager", "health_officer"])
def test_site_roles_see_their_sites_health_figures(
    client, role, company, site, second_site, other_site, django_assert_num_queries
):
    user = make_user(role, role, company=company, site=site)

    response = dashboard(client, user, QUERIES[role], django_assert_num_queries)

    assert response.context["health"] == SITE_FIGURES
    html = response.content.decode()
    assert 'data-testid="health-figures"' in html
    assert "防疫工作" in html
    for name, testid in [
        ("health:declaration_list", "health-red"),
        ("health:workitem_list", "health-worklist"),
        ("health:isolation_list", "health-isolation"),
        ("health:support_list", "health-support"),
        ("health:vulnerable_list", "health-vulnerable"),
    ]:
        url = link(name)
        if url:
            assert f'href="{url}" data-testid="{testid}"' in html
    if link("health:alert_list"):
        assert f'href="{link("health:alert_list")}"' in html


def test_health_officer_over_a_company_sees_all_its_sites(
    client, company, site, second_site, other_site
):
    user = make_user("health_co", "health_officer", company=company)

    response = dashboard(client, user)

    figures = response.context["health"]
    assert (figures["red"], figures["yellow"]) == (3, 2)
    assert figures["isolation_active"] == 4
    assert figures["support_urgent"] == 2


def test_company_admin_sees_the_whole_company_but_no_other(
    client, company, site, second_site, other_site, django_assert_num_queries
):
    user = make_user("admin", "company_admin", company=company)

    response = dashboard(client, user, QUERIES["company_admin"], django_assert_num_queries)

    figures = response.context["health"]
    # 友谊花园 (2 red, 1 yellow) + 江汉小区 (1 red, 1 yellow); 他司花园 not counted.
    assert (figures["red"], figures["yellow"], figures["work_open"]) == (3, 2, 5)
    assert (figures["isolation_active"], figures["missed_today"]) == (4, 2)
    assert (figures["support_open"], figures["support_urgent"]) == (4, 2)
    assert figures["vulnerable_due"] == 2  # 江汉小区 has no vulnerable residents
    assert 'data-testid="health-figures"' in response.content.decode()


def test_roles_without_health_permissions_see_no_health_figures(client, company, site):
    guard = make_user("guard", "guard", company=company, site=site)

    response = dashboard(client, guard)

    assert "health" not in response.context or response.context.get("health") is None
    assert 'data-testid="health-figures"' not in response.content.decode()


def test_authority_sees_counts_of_flagged_cases_in_its_division_only(
    client, divs, site, second_site, other_site, django_assert_num_queries
):
    user = make_user("authority", "authority_viewer", division=divs["420103"])

    response = dashboard(client, user, QUERIES["authority_viewer"], django_assert_num_queries)

    # 江汉区: 友谊花园 and 江汉小区 of company 1; 他司花园 lies in 武昌区.
    assert response.context["flagged"] == {"red": 3, "yellow": 2, "isolation": 4}
    html = response.content.decode()
    assert 'data-testid="flagged-figures"' in html
    assert "辖区重点人员" in html
    if link("health:flagged_list"):
        assert f'href="{link("health:flagged_list")}" data-testid="flagged-red"' in html
    # Counts, never people.
    for name in Resident.all_tenants.values_list("name", flat=True):
        assert name not in html


def test_authority_of_another_division_sees_its_own_counts(client, divs, site, other_site):
    user = make_user("authority", "authority_viewer", division=divs["420106"])

    response = dashboard(client, user)

    assert response.context["flagged"] == {"red": 3, "yellow": 2, "isolation": 2}


def test_resident_sees_the_households_declarations_and_todays_check(
    client, company, site, other_site, django_assert_num_queries
):
    household = Household.all_tenants.get(site=site)
    user = make_user("resident", "resident", company=company, household=household)

    response = dashboard(client, user, QUERIES["resident"], django_assert_num_queries)

    [item] = response.context["households"]
    assert [(m["name"], m["declaration_status"]) for m in item["members"]] == [
        ("友谊花园居民0", "red"),
        ("友谊花园居民1", "red"),
        ("友谊花园居民2", "yellow"),
        ("友谊花园居民3", "green"),
    ]
    # Two open cases in the household (active, escalated); the released one is gone.
    cases = item["cases"]
    assert [c["resident__name"] for c in cases] == ["友谊花园居民0", "友谊花园居民1"]
    assert (cases[0]["am_done"], cases[0]["pm_done"], cases[0]["to_do"]) == (True, False, True)
    assert cases[0]["days_left"] == 11
    html = response.content.decode()
    assert html.count('data-testid="isolation-case"') == 2
    assert "红码" in html and "黄码" in html and "绿码" in html
    assert "他司花园" not in html
    check_url = link("health:isolation_my_check", cases[0]["id"])
    if check_url:
        assert f'href="{check_url}"' in html


def test_resident_without_a_declaration_is_told_so(client, company, divs):
    site = make_site(company, "新小区", divs["420103001001"], residents=1, vulnerable=0)
    household = Household.all_tenants.get(site=site)
    user = make_user("resident", "resident", company=company, household=household)

    response = dashboard(client, user)

    [item] = response.context["households"]
    assert item["members"][0]["declaration_status"] is None
    assert item["cases"] == []
    assert "未申报" in response.content.decode()
