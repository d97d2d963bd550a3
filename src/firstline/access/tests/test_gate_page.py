"""The guard's gate page: who may open it, for which site."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.access.models import Checkpoint
from firstline.access.urls import gate
from firstline.estates.models import Site
from firstline.estates.services.records import name_initials
from firstline.orgs.models import RoleAssignment
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD


class TestGateTenancy(TenancyCases):
    """The shared four checks: anonymous → login, guard → 200, company b's site → 404."""

    routes = [
        Page("access:gate", viewer="guard"),
        Page("access:gate", obj=lambda t: t.site, viewer="guard"),
        Page("access:gate", obj=lambda t: t.site, viewer="company_admin"),
    ]


def test_every_gate_route_is_covered():
    declared = {f"access:{pattern.name}" for pattern in gate.urlpatterns}
    assert declared == {page.name for page in TestGateTenancy.routes}
    assert len(gate.urlpatterns) == 2  # with and without a site: both declared above


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def gate_root(response) -> dict:
    """The data attributes the script reads, from the page's #gate element."""
    html = response.content.decode()
    start = html.index('id="gate"')
    tag = html[start : html.index(">", start)]
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', tag))


def test_guard_of_one_site_goes_straight_to_it(client, world):
    login(client, world.a.users["guard"])

    response = client.get(reverse("access:gate"))

    assert response.status_code == 200
    assert response.context["site"] == world.a.site
    root = gate_root(response)
    assert root["data-site-id"] == str(world.a.site.pk)
    assert root["data-api-root"] == "/api/v1/"
    assert root["data-qr-script"].endswith("vendor/html5-qrcode/html5-qrcode.min.js")
    assert 'data-testid="gate-result"' in response.content.decode()


def test_guard_opens_own_site_by_id(client, world):
    login(client, world.a.users["guard"])

    response = client.get(reverse("access:gate", args=[world.a.site.pk]))

    assert response.status_code == 200
    assert gate_root(response)["data-site-id"] == str(world.a.site.pk)
    assert world.a.site.name in response.content.decode()
    html = response.content.decode()
    start = html.index(">", html.index('id="gate-strings"')) + 1
    strings = json.loads(html[start : html.index("</script>", start)])
    assert (strings["admit"], strings["deny"], strings["refer"]) == ("放行", "拒绝", "转交处理")
    assert strings["queued"] == "未联网，已暂存，请人工核验"


def test_other_company_site_is_404(client, world):
    login(client, world.a.users["guard"])

    assert client.get(reverse("access:gate", args=[world.b.site.pk])).status_code == 404


def test_missing_site_is_404(client, world):
    login(client, world.a.users["guard"])
    missing = max(world.a.site.pk, world.b.site.pk) + 1000

    assert client.get(reverse("access:gate", args=[missing])).status_code == 404


def test_own_company_site_outside_the_guards_sites_is_404(client, world):
    """A guard holds one site; a second site of the same company is not theirs."""
    other = Site.all_tenants.create(
        company=world.a.company,
        name="a第二花园",
        name_initials=name_initials("a第二花园"),
        community=world.a.site.community,
    )
    login(client, world.a.users["guard"])

    assert client.get(reverse("access:gate", args=[other.pk])).status_code == 404
    assert client.get(reverse("access:gate")).context["site"] == world.a.site


@pytest.mark.parametrize("role", ["cleaner", "resident"])
def test_role_without_check_in_is_403(client, world, role):
    login(client, world.a.users[role])

    assert client.get(reverse("access:gate")).status_code == 403
    assert client.get(reverse("access:gate", args=[world.a.site.pk])).status_code == 403


def test_user_without_roles_is_403(client, world):
    login(client, world.users["no_role"])

    assert client.get(reverse("access:gate")).status_code == 403


@pytest.mark.parametrize("args", [[], ["site"]])
def test_anonymous_goes_to_login(client, world, args):
    url = reverse("access:gate", args=[world.a.site.pk] if args else [])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_company_admin_with_two_sites_chooses_one(client, world):
    second = world.a.sibling.site
    login(client, world.a.users["company_admin"])

    chooser = client.get(reverse("access:gate"))
    page = client.get(reverse("access:gate", args=[second.pk]))

    assert chooser.status_code == 200
    assert chooser.context["site"] is None
    assert {s.pk for s in chooser.context["sites"]} == {world.a.site.pk, second.pk}
    assert reverse("access:gate", args=[second.pk]) in chooser.content.decode()
    assert world.b.site.name not in chooser.content.decode()
    assert page.status_code == 200
    assert gate_root(page)["data-site-id"] == str(second.pk)
    assert reverse("access:gate") in page.content.decode()  # the "switch site" link


def test_site_manager_of_two_sites_sees_only_those(client, world):
    second = Site.all_tenants.create(
        company=world.a.company,
        name="a第二花园",
        name_initials=name_initials("a第二花园"),
        community=world.a.site.community,
    )
    Site.all_tenants.create(
        company=world.a.company,
        name="a第三花园",
        name_initials=name_initials("a第三花园"),
        community=world.a.site.community,
    )
    manager = world.a.users["site_manager"]
    RoleAssignment.objects.create(
        user=manager, role="site_manager", company=world.a.company, site=second
    )
    login(client, manager)

    chooser = client.get(reverse("access:gate"))

    assert {s.name for s in chooser.context["sites"]} == {world.a.site.name, "a第二花园"}


def test_query_count_is_pinned_and_does_not_grow_with_checkpoints(client, world):
    """session, user, role assignments (the scope), the site, "other sites?", checkpoints."""
    login(client, world.a.users["guard"])
    url = reverse("access:gate", args=[world.a.site.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        Checkpoint.all_tenants.create(company=world.a.company, site=world.a.site, name=f"{i}号门")
    response = client.get(url)

    assert before == count() == 6
    assert [c.name for c in response.context["checkpoints"]] == [f"{i}号门" for i in range(5)]
    assert response.content.decode().count("号门</option>") == 5
