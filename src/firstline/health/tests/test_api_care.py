"""The care API: tenancy of every endpoint, checks by staff and by the resident's
app, 422 with the field on refused input, support assignment and delivery."""

from __future__ import annotations

import pytest

from firstline.health.models import HealthAlert, IsolationCase, IsolationCheck, SupportRequest
from firstline.health.tests.test_care_tenancy import case_of, furnished, request_of
from firstline.testing.tenancy import Api, TenancyCases, api_paths
from firstline.testing.world import PASSWORD


@pytest.fixture
def world(world, settings):
    return furnished(world, settings)


BASE = "/api/v1/health"


class TestCareApiTenancy(TenancyCases):
    api = [
        Api(f"{BASE}/isolation-cases", viewer="health_officer"),
        Api(f"{BASE}/isolation-cases/{{id}}", obj=case_of),
        Api(
            f"{BASE}/isolation-cases/{{id}}/checks",
            obj=case_of,
            viewer="health_officer",
            method="post",
            body={"temperature": "36.7", "slot": "pm"},
        ),
        Api(f"{BASE}/support-requests", viewer="site_manager"),
        Api(
            f"{BASE}/support-requests/{{id}}/complete",
            obj=request_of,
            method="post",
            body={"proof_note": "已送达门口"},
        ),
        # The target in the body: a resident without a case, a household, a staff member.
        Api(
            f"{BASE}/isolation-cases",
            viewer="health_officer",
            method="post",
            body=lambda t: {
                "resident_id": t.residents[1].pk,
                "reason": "密接",
                "start_date": "2020-02-01",
            },
        ),
        Api(
            f"{BASE}/support-requests",
            viewer="health_officer",
            method="post",
            body=lambda t: {"household_id": t.household.pk, "kind": "groceries", "details": "蔬菜"},
        ),
        Api(
            f"{BASE}/support-requests/{{id}}/assign",
            obj=request_of,
            method="post",
            body=lambda t: {"staff_id": t.staff.pk},
        ),
    ]


def test_every_care_api_path_is_covered():
    care = {"isolation-cases", "support-requests"}
    paths = {p for p in api_paths() if p.startswith(f"{BASE}/") and p.split("/")[4] in care}
    covered = {e.path.replace("{id}", "{pk}") for e in TestCareApiTenancy.api}
    assert paths - covered == set()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_open_case_scoped_and_422_with_field(client, world):
    login(client, world.a.users["health_officer"])
    other = world.b.residents[1]
    assert (
        post(
            client,
            f"{BASE}/isolation-cases",
            {"resident_id": other.pk, "reason": "x", "start_date": "2020-02-01"},
        ).status_code
        == 404
    )
    response = post(
        client,
        f"{BASE}/isolation-cases",
        {"resident_id": world.a.residents[0].pk, "reason": "再次", "start_date": "2020-02-01"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "resident_id"
    response = post(
        client,
        f"{BASE}/isolation-cases",
        {"resident_id": world.a.residents[1].pk, "reason": "密接", "start_date": "2020-02-01"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["planned_end"] == "2020-02-15"
    client.logout()
    login(client, world.a.users["guard"])
    assert (
        post(
            client,
            f"{BASE}/isolation-cases",
            {"resident_id": world.a.residents[1].pk, "reason": "x", "start_date": "2020-02-01"},
        ).status_code
        == 403
    )


def test_resident_app_reports_own_check_and_fever_escalates(client, world):
    case = case_of(world.a)
    login(client, world.a.users["resident"])
    response = post(
        client, f"{BASE}/isolation-cases/{case.pk}/checks", {"temperature": "38.2", "slot": "pm"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["escalated"] is True and response.json()["case_state"] == "escalated"
    assert IsolationCheck.all_tenants.get(case=case, slot="pm").by == "self"
    assert HealthAlert.all_tenants.filter(case=case, kind="fever").count() == 1
    again = post(
        client, f"{BASE}/isolation-cases/{case.pk}/checks", {"temperature": "36.5", "slot": "pm"}
    )
    assert again.status_code == 422
    assert again.json()["detail"][0] == {
        "type": "value_error",
        "loc": ["body", "payload", "slot"],
        "msg": "该时段已上报。",
    }
    assert (
        post(
            client, f"{BASE}/isolation-cases/{case_of(world.b).pk}/checks", {"temperature": "36.5"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("value", ["33.0", "45"])
def test_check_temperature_out_of_range_is_422(client, world, value):
    login(client, world.a.users["health_officer"])
    response = post(
        client,
        f"{BASE}/isolation-cases/{case_of(world.a).pk}/checks",
        {"temperature": value, "slot": "pm"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "temperature"


def test_support_create_by_resident_for_own_household_only(client, world):
    login(client, world.a.users["resident"])
    ok = post(
        client,
        f"{BASE}/support-requests",
        {"household_id": world.a.household.pk, "kind": "groceries", "details": "蔬菜"},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == "open"
    assert (
        post(
            client,
            f"{BASE}/support-requests",
            {"household_id": world.b.household.pk, "kind": "groceries", "details": "蔬菜"},
        ).status_code
        == 404
    )
    assert (
        post(
            client,
            f"{BASE}/support-requests",
            {"household_id": world.a.household.pk, "kind": "groceries", "details": " "},
        ).status_code
        == 422
    )


def test_assign_to_staff_of_the_site_only(client, world):
    req = request_of(world.a)
    login(client, world.a.users["site_manager"])
    path = f"{BASE}/support-requests/{req.pk}/assign"
    assert (
        post(client, path, {"staff_id": world.b.staff.pk}).json()["detail"][0]["loc"][-1]
        == "staff_id"
    )
    response = post(client, path, {"staff_id": world.a.staff.pk})
    assert response.status_code == 200 and response.json()["assigned_to_id"] == world.a.staff.pk
    assert (
        post(
            client,
            f"{BASE}/support-requests/{request_of(world.b).pk}/assign",
            {"staff_id": world.a.staff.pk},
        ).status_code
        == 404
    )
    assert SupportRequest.all_tenants.get(pk=request_of(world.b).pk).assigned_to_id is None


def test_list_filters(client, world):
    login(client, world.a.users["company_admin"])
    items = client.get(f"{BASE}/isolation-cases?state=active").json()["items"]
    assert [i["resident_name"] for i in items] == ["a2张伟", "a张伟"]  # a's two sites
    assert client.get(f"{BASE}/isolation-cases?state=released").json()["items"] == []
    detail = client.get(f"{BASE}/isolation-cases/{items[0]['id']}").json()
    assert [c["slot"] for c in detail["checks"]] == ["am"]
    assert IsolationCase.all_tenants.count() == 3
