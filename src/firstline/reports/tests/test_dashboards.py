"""The landing dashboards: one per role, each with its key figures, scoped, and a
fixed number of queries whatever the number of sites."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.estates.models import Building, Household, Resident, Site, Staff
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership, RoleAssignment, User
from firstline.orgs.validators import credit_code_check_char
from firstline.reports.views.dashboards import SUPPRESSED, primary_role

pytestmark = pytest.mark.django_db

# Queries per dashboard request, pinned. Every request pays 3 before the dashboard:
# the session, the user and the user's role assignments (the scope).
QUERIES = {
    "association_admin": 3
    + 5  # associations, members, sites by type, sites by district, divisions
    + 2  # issue #6 charts: members' reports by day, members' sites
    + 4  # issue #20: volunteers approved, waiting, teams, hours served
    + 8,  # and today's duty figures (volunteers.selectors.figures)
    # + 6 health figures: statuses, work items, isolation, support, vulnerable, alerts
    # + 2 sanitation figures: today's compliance, overdue tasks (not the health officer's)
    # + 2 issue #6 charts (reports by day, sites in scope) + 1 open alerts of the command
    #   centre (the health officer: the command centre only)
    "company_admin": 3
    + 7  # companies, sites by type, buildings, households, residents, staff, site rows
    + 6
    + 2
    + 2
    + 1,
    "site_manager": 3 + 4 + 6 + 2 + 2 + 1 + 2,  # site rows, site count, households, residents
    # + 2 of the morning's duties: reports to submit, shipments to sign for (issue #17)
    "health_officer": 3 + 4 + 6 + 1,
    "guard": 3 + 1,  # site names
    "cleaner": 3 + 1 + 1,  # site names, today's tasks
    "authority_viewer": 3 + 2 + 2 + 2 + 1,  # division names, sites by district and type,
    # flagged, + issue #6 charts and command centre
    "resident": 3 + 2 + 1 + 2,  # household, members (with statuses), open isolation checks,
    # + issue #15: the unread and urgent notices, the unread count
    "donor": 3,
    "no_role": 3,
}


# --- a small world, built here ---------------------------------------------------------


def division_tree() -> dict[str, Division]:
    out: dict[str, Division] = {}
    for code, name, level, parent in [
        ("42", "湖北省", 1, None),
        ("4201", "武汉市", 2, "42"),
        ("420103", "江汉区", 3, "4201"),
        ("420103001", "民族街道", 4, "420103"),
        ("420103001001", "友谊社区", 5, "420103001"),
        ("420106", "武昌区", 3, "4201"),
        ("420106001", "积玉桥街道", 4, "420106"),
        ("420106001001", "临江社区", 5, "420106001"),
    ]:
        out[code] = Division.objects.create(
            code=code, name=name, level=level, parent=out.get(parent)
        )
    return out


def make_company(
    serial: int, division: Division, association: Association | None = None
) -> Company:
    first17 = f"91420100MA{serial:07d}"
    company = Company.objects.create(
        name=f"第{serial}物业公司",
        credit_code=first17 + credit_code_check_char(first17),
        division=division,
    )
    if association is not None:
        Membership.objects.create(company=company, association=association, joined_on="2019-01-01")
    return company


def make_site(
    company: Company,
    name: str,
    community: Division,
    *,
    residents: int = 2,
    vulnerable: int = 1,
    site_type: str = Site.Type.RESIDENTIAL,
) -> Site:
    """A site with one building, one household, `residents` residents (the first
    `vulnerable` of them vulnerable) and two staff, one of them on duty."""
    site = Site.all_tenants.create(
        company=company, name=name, site_type=site_type, community=community
    )
    building = Building.all_tenants.create(company=company, site=site, name="1栋", floors=6)
    household = Household.all_tenants.create(
        company=company, site=site, building=building, unit="1", room="301"
    )
    for i in range(residents):
        Resident.all_tenants.create(
            company=company,
            site=site,
            household=household,
            name=f"{name}居民{i}",
            phone_last4=f"{i:04d}",
            phone_masked=f"138****{i:04d}",
            chronic_illness=i < vulnerable,
        )
    Staff.all_tenants.create(
        company=company, site=site, name=f"{name}门岗", position=Staff.Position.GUARD
    )
    Staff.all_tenants.create(
        company=company,
        site=site,
        name=f"{name}保洁",
        position=Staff.Position.CLEANER,
        on_duty=False,
    )
    return site


def make_user(username: str, role: str | None = None, **target) -> User:
    user = User.objects.create_user(
        username=username, password="unused-in-tests", display_name=username
    )
    if role:
        RoleAssignment.objects.create(user=user, role=role, **target)
    return user


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
def other_company(divs, association):
    """A second tenant whose rows must never show up in the first one's figures."""
    company = make_company(2, divs["420106"], association)
    make_site(company, "他司花园", divs["420106001001"], residents=7, vulnerable=3)
    return company


@pytest.fixture
def site(company, divs):
    return make_site(company, "友谊花园", divs["420103001001"], residents=3, vulnerable=2)


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response


# --- picking the dashboard --------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/" in response["Location"]


def test_highest_role_wins():
    assert primary_role({"resident", "company_admin", "guard"}) == "company_admin"
    assert primary_role({"guard", "health_officer"}) == "health_officer"
    assert primary_role(frozenset()) is None


def test_user_with_two_roles_lands_on_the_higher_one(client, company, site):
    user = make_user(
        "two_roles", "resident", company=company, household=Household.all_tenants.get(site=site)
    )
    RoleAssignment.objects.create(user=user, role="company_admin", company=company)

    response = dashboard(client, user)

    assert response.templates[0].name == "reports/dashboard/company.html"


# --- association -------------------------------------------------------------------------


def test_association_sees_member_aggregates_with_small_cells_suppressed(client, divs, association):
    # Six member companies with a site each in 江汉区, none in 武昌区; one non-member.
    for serial in range(1, 7):
        member = make_company(serial, divs["420103"], association)
        make_site(member, f"会员花园{serial}", divs["420103001001"])
    outsider = make_company(99, divs["420106"])
    for i in range(6):
        make_site(outsider, f"非会员项目{i}", divs["420106001001"])
    user = make_user("assoc", "association_admin", association=association)

    response = dashboard(client, user)

    ctx = response.context
    assert ctx["company_count"] == 6
    assert ctx["site_total"] == 6
    assert ctx["city"] == "武汉市"
    assert ctx["districts"] == [
        {"name": "江汉区", "count": 6},
        {"name": "武昌区", "count": SUPPRESSED},
    ]
    assert [(str(r["label"]), r["count"]) for r in ctx["type_rows"]][:2] == [
        ("住宅小区", 6),
        ("写字楼", SUPPRESSED),
    ]
    html = response.content.decode()
    assert "会员企业" in html
    # No volunteer yet, and no point has reported infections: a dash, not a zero.
    assert ctx["volunteers"]["approved"] == 0 and ctx["volunteers"]["today"]["infections"] is None
    assert "志愿者与一线安全" in html
    assert 'data-chart="district-chart"' in html
    assert '<script id="district-chart" type="application/json">' in html
    # Aggregates only: no site of any member is named.
    assert "会员花园1" not in html
    assert "非会员项目0" not in html


def test_association_counts_under_five_are_suppressed(client, divs, association, company, site):
    user = make_user("assoc", "association_admin", association=association)

    response = dashboard(client, user)

    assert response.context["company_count"] == SUPPRESSED
    assert response.context["site_total"] == SUPPRESSED
    assert "&lt;5" in response.content.decode()


# --- company admin -------------------------------------------------------------------


def test_company_admin_sees_its_own_figures_only(client, company, site, other_company, divs):
    make_site(
        company,
        "东湖写字楼",
        divs["420103001001"],
        residents=1,
        vulnerable=0,
        site_type=Site.Type.OFFICE,
    )
    user = make_user("admin", "company_admin", company=company)

    response = dashboard(client, user)

    ctx = response.context
    assert ctx["company_names"] == ["第1物业公司"]
    assert ctx["site_total"] == 2
    assert ctx["building_count"] == 2
    assert ctx["household_count"] == 2
    assert ctx["resident_count"] == 4
    assert ctx["vulnerable_count"] == 2
    assert (ctx["staff_on_duty"], ctx["staff_total"]) == (2, 4)
    assert [
        (r["name"], r["household_count"], r["resident_count"], r["vulnerable_count"])
        for r in ctx["site_rows"]
    ] == [
        ("东湖写字楼", 1, 1, 0),
        ("友谊花园", 1, 3, 2),
    ]
    html = response.content.decode()
    assert "他司花园" not in html
    assert 'data-chart="type-chart"' in html
    assert "重点关注人群" in html


@pytest.mark.parametrize("site_count", [1, 10])
def test_company_dashboard_query_count_does_not_grow_with_sites(
    client, company, divs, site_count, django_assert_num_queries
):
    for i in range(site_count):
        make_site(company, f"花园{i:02d}", divs["420103001001"])
    user = make_user("admin", "company_admin", company=company)
    client.force_login(user)

    with django_assert_num_queries(QUERIES["company_admin"]):
        response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert response.context["site_total"] == site_count
    assert len(response.context["site_rows"]) == site_count


# --- site manager, health officer -------------------------------------------------------


@pytest.mark.parametrize("role", ["site_manager", "health_officer"])
def test_site_roles_see_their_sites_with_people_counts(client, company, site, divs, role):
    make_site(company, "别的项目", divs["420103001001"], residents=5)
    user = make_user(role, role, company=company, site=site)

    response = dashboard(client, user)

    ctx = response.context
    assert [
        (r["name"], r["household_count"], r["resident_count"], r["vulnerable_count"])
        for r in ctx["site_rows"]
    ] == [("友谊花园", 1, 3, 2)]
    assert (
        ctx["site_total"],
        ctx["household_count"],
        ctx["resident_count"],
        ctx["vulnerable_count"],
    ) == (1, 1, 3, 2)
    html = response.content.decode()
    assert "友谊花园" in html
    assert "别的项目" not in html
    assert reverse("estates:resident_list") + "?vulnerable=1" in html


# --- front line --------------------------------------------------------------------------


def test_guard_gets_a_resident_search(client, company, site):
    user = make_user("guard", "guard", company=company, site=site)

    response = dashboard(client, user)

    html = response.content.decode()
    assert f'action="{reverse("estates:resident_list")}"' in html
    assert 'name="q"' in html
    assert "查找居民" in html
    assert response.context["sites"] == [{"id": site.pk, "name": "友谊花园"}]


def test_cleaner_without_tasks_today_is_told_so(client, company, site):
    user = make_user("cleaner", "cleaner", company=company, site=site)

    response = dashboard(client, user)

    assert "今日没有消杀任务" in response.content.decode()
    assert response.context["tasks"] == {"to_do": 0, "due_now": 0, "done": 0}
    assert response.context["sites"] == [{"id": site.pk, "name": "友谊花园"}]


# --- authority -------------------------------------------------------------------------


def test_authority_sees_counts_of_its_division_only(client, company, site, other_company, divs):
    make_site(company, "江汉写字楼", divs["420103001001"], site_type=Site.Type.OFFICE)
    user = make_user("authority", "authority_viewer", division=divs["420103"])

    response = dashboard(client, user)

    ctx = response.context
    assert ctx["division_names"] == ["江汉区"]
    assert ctx["site_total"] == 2
    assert ctx["residential_total"] == 1
    assert [(r["name"], r["total"]) for r in ctx["rows"]] == [("江汉区", 2)]
    html = response.content.decode()
    assert "友谊花园" not in html  # counts, never names
    assert "武昌区" not in html


# --- resident, donor, nobody --------------------------------------------------------------


def test_resident_sees_own_household_with_masked_phones(client, company, site, divs):
    household = Household.all_tenants.get(site=site)
    make_site(company, "隔壁花园", divs["420103001001"], residents=1)
    user = make_user("resident", "resident", company=company, household=household)

    response = dashboard(client, user)

    [item] = response.context["households"]
    assert item["household"].pk == household.pk
    assert [(m["name"], m["phone_masked"]) for m in item["members"]] == [
        ("友谊花园居民0", "138****0000"),
        ("友谊花园居民1", "138****0001"),
        ("友谊花园居民2", "138****0002"),
    ]
    html = response.content.decode()
    assert "1栋1单元301" in html
    assert "138****0001" in html
    assert "隔壁花园" not in html


def test_donor_is_led_to_where_the_gifts_went(client, association):
    user = make_user("donor", "donor", association=association)

    content = dashboard(client, user).content.decode()

    assert reverse("supplies:donor_home") in content
    assert reverse("ledger:home") in content


def test_user_without_role_is_told_so(client):
    response = dashboard(client, make_user("nobody"))

    assert "您的账号还没有分配角色" in response.content.decode()


# --- fixed query counts for every dashboard ------------------------------------------------


@pytest.mark.parametrize("role", sorted(QUERIES))
def test_every_dashboard_runs_a_fixed_number_of_queries(
    client, role, company, site, association, divs, django_assert_num_queries
):
    targets = {
        "association_admin": {"association": association},
        "company_admin": {"company": company},
        "site_manager": {"company": company, "site": site},
        "health_officer": {"company": company, "site": site},
        "guard": {"company": company, "site": site},
        "cleaner": {"company": company, "site": site},
        "authority_viewer": {"division": divs["420103"]},
        "resident": {"company": company, "household": Household.all_tenants.get(site=site)},
        "donor": {"association": association},
        "no_role": None,
    }
    user = make_user(role, None if role == "no_role" else role, **(targets[role] or {}))
    client.force_login(user)

    with django_assert_num_queries(QUERIES[role]):
        response = client.get(reverse("dashboard"))

    assert response.status_code == 200


# --- the shell around every page ------------------------------------------------------------


NAV = {
    "estates:site_list": "项目",
    "estates:household_list": "住户",
    "estates:resident_list": "居民",
    "estates:staff_list": "员工",
    "estates:resident_import": "导入居民",
    "access_log": "个人信息查看记录",
}


def nav_links(html: str) -> set[str]:
    nav = html.split('<nav class="fl-nav-body"', 1)[1].split("</nav>", 1)[0]
    return {name for name in NAV if f'href="{reverse(name)}"' in nav}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("company_admin", set(NAV)),
        ("site_manager", set(NAV)),
        ("guard", {"estates:site_list", "estates:household_list", "estates:resident_list"}),
        ("cleaner", {"estates:site_list"}),
        ("association_admin", set()),
    ],
)
def test_navigation_shows_only_what_the_roles_permit(
    client, company, site, association, role, expected
):
    target = {
        "company_admin": {"company": company},
        "association_admin": {"association": association},
    }.get(role, {"company": company, "site": site})
    response = dashboard(client, make_user(role, role, **target))

    assert nav_links(response.content.decode()) == expected


def test_shell_has_account_menu_language_switch_and_csrf_header(client, company):
    response = dashboard(client, make_user("admin", "company_admin", company=company))

    html = response.content.decode()
    for name in ("password_change", "two_factor_setup", "api_tokens", "logout", "set_language"):
        assert f'"{reverse(name)}"' in html
    assert 'name="language" value="en"' in html
    assert '<input type="hidden" name="next" value="/">' in html
    assert f'hx-headers=\'{{"X-CSRFToken": "{response.context["csrf_token"]}"}}\'' in html
    assert "企业管理员" in html  # the role, under the user's name


def test_messages_are_dismissible_alerts(rf, company):
    from django.contrib.messages import SUCCESS, add_message
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from firstline.orgs.selectors import scope_for_user
    from firstline.reports.views.dashboards import dashboard as dashboard_view

    request = rf.get("/")
    request.user = make_user("admin", "company_admin", company=company)
    request.scope = scope_for_user(request.user)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    add_message(request, SUCCESS, "已保存。")

    html = dashboard_view(request).content.decode()

    assert "alert alert-success alert-dismissible" in html
    assert "已保存。" in html
    assert 'data-bs-dismiss="alert"' in html


def test_not_found_page_is_friendly_inside_and_outside_the_shell(client, company):
    anonymous = client.get("/no-such-page/")
    assert anonymous.status_code == 404
    assert "找不到您要的页面" in anonymous.content.decode()
    assert "fl-public" in anonymous.content.decode()

    client.force_login(make_user("admin", "company_admin", company=company))
    signed_in = client.get("/no-such-page/")
    assert signed_in.status_code == 404
    assert "找不到您要的页面" in signed_in.content.decode()
    assert 'class="fl-nav-body"' in signed_in.content.decode()


def test_server_error_page_needs_no_request_and_no_database(django_assert_num_queries):
    from django.template.loader import render_to_string

    with django_assert_num_queries(0):
        html = render_to_string("errors/500.html")

    assert "服务器出错了" in html
    assert "/static/firstline/app.css" in html


def test_the_managers_morning_leads_with_todays_duties(client, company, site):
    """Today's report to submit, yesterday's missed, and the one open-alert figure the
    command card shows too (issue #17: it showed 2, 4 and 6)."""
    from datetime import timedelta

    from django.utils import timezone

    from firstline.reports.models import DailyReport

    today = timezone.localdate()
    for day, due in (
        (today, timezone.now() + timedelta(hours=6)),
        (today - timedelta(days=1), timezone.now() - timedelta(hours=1)),
    ):
        DailyReport.all_tenants.create(
            company=company, site=site, day=day, division_code=site.community.code, due_at=due
        )
    user = make_user("morning", "site_manager", company=company, site=site)
    response = dashboard(client, user)
    duties = response.context["duties"]
    assert (duties["due_today"], duties["missed_yesterday"], duties["incoming"]) == (1, 1, 0)
    assert duties["open_alerts"] == response.context["command"]["total"]
    html = response.content.decode()
    assert html.index('data-testid="duties"') < html.index('data-testid="command-card"')
    assert 'data-testid="duty-missed"' in html
