"""Access checks outside the matrix: the tenant admin's writes reach its own unit
only, the suspension, the association's figures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.access.models import Pass
from firstline.access.services import gate as access_gate
from firstline.estates.models import Resident
from firstline.resumption.models import Application
from firstline.resumption.services import applications
from firstline.resumption.tests.furnish import furnish
from firstline.testing.world import PASSWORD, World, make_id_number


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_tenant_side_writes_reach_only_its_own_unit(client, world):
    a, b = world.a, world.b
    own, other = a.resumption_tenant, b.resumption_tenant
    login(client, a.users["tenant_admin"])
    # the entry page and the template
    assert client.get(reverse("resumption:mine"))["Location"] == reverse(
        "resumption:tenant_home", args=[own.pk]
    )
    assert client.get(reverse("resumption:staff_template")).status_code == 200
    base = "/api/v1/resumption/my/tenants"
    draft = {
        "planned_date": timezone.localdate().isoformat(),
        "headcount": 3,
        "origin_codes": ["420103"],
        "prevention_plan": "错峰",
        "person_in_charge": "王",
    }
    staff = {"name": "新员工", "phone": "13911112222", "id_number": make_id_number(777)}
    for path, body in [
        (f"{base}/{other.pk}/application", draft),
        (f"{base}/{other.pk}/submit", {}),
        (f"{base}/{other.pk}/staff", staff),
        (f"{base}/{other.pk}/passes", {}),
        (f"{base}/{a.sibling.resumption_tenant.pk}/staff", staff),
    ]:
        assert post(client, path, body).status_code == 404, path
    assert not Resident.all_tenants.filter(name="新员工").exists()
    # its own: the application is submitted, so a new draft is refused (422) …
    response = post(client, f"{base}/{own.pk}/application", draft)
    assert response.status_code == 422
    assert post(client, f"{base}/{own.pk}/submit").status_code == 422
    # … and passes wait for approval.
    assert post(client, f"{base}/{own.pk}/passes").status_code == 422
    assert post(client, f"{base}/{own.pk}/staff", staff).status_code == 200
    applications.application_approve(
        actor=None, application=a.application, approved_headcount=2, conditions=""
    )
    result = post(client, f"{base}/{own.pk}/passes").json()
    assert result == {"issued": 2, "already": 0, "over_cap": 1}
    # a's company admin is not a tenant admin: the tenant side is 403 for it
    client.logout()
    login(client, a.users["company_admin"])
    assert post(client, f"{base}/{own.pk}/staff", staff).status_code == 403
    # a guard has neither side
    client.logout()
    login(client, a.users["guard"])
    assert client.get(reverse("resumption:mine")).status_code == 403


def test_suspending_revokes_passes_and_only_in_scope(client, world):
    a = world.a
    applications.application_approve(
        actor=None, application=a.application, approved_headcount=2, conditions=""
    )
    now = timezone.now() - timedelta(minutes=1)
    for resident in a.residents:
        access_gate.pass_issue(actor=None, resident=resident, now=now)
    login(client, world.b.users["company_admin"])
    url = f"/api/v1/resumption/applications/{a.application.pk}/suspend"
    assert post(client, url, {"reason": "出现确诊"}).status_code == 404
    client.logout()
    login(client, a.sibling.users["site_manager"])
    assert post(client, url, {"reason": "出现确诊"}).status_code == 404
    assert Application.all_tenants.get(pk=a.application.pk).state == "approved"
    client.logout()
    login(client, a.users["site_manager"])
    assert post(client, url, {"reason": ""}).status_code == 422
    response = post(client, url, {"reason": "出现确诊"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "suspended"
    passes = Pass.all_tenants.filter(household=a.household)
    assert passes.count() == 2
    assert all(p.revoked_at and "出现确诊" in p.revoked_reason for p in passes)


def test_association_figures_are_counts_of_its_members(client, world):
    applications.application_approve(
        actor=None, application=world.a.application, approved_headcount=2, conditions=""
    )
    login(client, world.users["association_admin"])
    response = client.get(reverse("resumption:association_figures"))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["tenants"] == "<5"  # one tenant back: a small count is suppressed
    assert dict(figures["applications"])["待审批"] == "<5"
    client.logout()
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("resumption:association_figures")).status_code == 403


def test_a_manager_opens_a_login_for_the_tenant_s_admin(client, world):
    a = world.a
    own = a.resumption_tenant
    login(client, a.users["site_manager"])
    url = reverse("resumption:tenant_admin_create", args=[own.pk])
    response = client.post(url, {"username": "tower_tenant", "name": "李经理"}, follow=True)
    shown = [str(m) for m in response.context["messages"] if "tower_tenant" in str(m)]
    assert len(shown) == 1
    password = shown[0].split("初始密码 ")[1].split("（")[0]
    # the name is taken now, whoever asks: refused on the form, nothing else made
    again = client.post(url, {"username": "tower_tenant", "name": "别人"})
    assert again.status_code == 200 and "该登录名不可用" in again.content.decode()
    client.logout()
    # the new login is the tenant's own admin: its unit, not another tenant's
    assert client.login(username="tower_tenant", password=password)
    assert client.get(reverse("resumption:mine"))["Location"] == reverse(
        "resumption:tenant_home", args=[own.pk]
    )
    other = world.b.resumption_tenant
    assert client.get(reverse("resumption:tenant_home", args=[other.pk])).status_code == 404
    assert client.get(reverse("resumption:tenant_detail", args=[own.pk])).status_code == 403
