"""The screening API: tenancy through the shared checks, submission with field errors,
status, risk lists and a fixed query count for the list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from firstline.health.models import Declaration, IsolationCase, RiskArea, RiskList
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_submit,
)
from firstline.testing.tenancy import Api, TenancyCases, _login


def _declaration(tenant) -> Declaration:
    return Declaration.all_tenants.get(site=tenant.site, current=True)


@pytest.fixture
def world(world):
    """The shared world with a risk list and a red declaration at each of company a's
    sites and b's first."""
    now = timezone.now()
    lst = RiskList.objects.create(name="湖北省", version=1, published_at=now, area_count=1)
    RiskArea.objects.create(
        risk_list=lst,
        division_code="420103",
        name="武汉市江汉区",
        level="high",
        valid_from=date(2020, 1, 1),
    )
    for tenant in (*world.a.corners, world.b):
        resident = tenant.residents[0]
        declaration_submit(
            resident=resident,
            data=DeclarationInput(
                places=(
                    PlaceInput("武汉市江汉区", timezone.localdate() - timedelta(days=2), "420103"),
                )
            ),
            channel="staff",
            consent=consent_record(resident=resident, channel="staff"),
        )
    return world


def _submit_body(tenant) -> dict:
    return {"resident_id": tenant.residents[1].pk, "consent": True, "symptoms": ["cough"]}


class TestScreeningApiTenancy(TenancyCases):
    api = [
        Api("/api/v1/health/declarations", viewer="health_officer"),
        Api("/api/v1/health/declarations/{id}", obj=_declaration, viewer="health_officer"),
        Api("/api/v1/health/declarations/{id}", obj=_declaration, viewer="site_manager"),
        Api(
            "/api/v1/health/residents/{id}/status",
            obj=lambda t: t.residents[0],
            viewer="health_officer",
        ),
        Api(
            "/api/v1/health/declarations",
            viewer="health_officer",
            method="post",
            body=_submit_body,
        ),
        Api("/api/v1/health/risk-lists", shared="risk lists are shared reference data"),
    ]


def test_submit_for_another_company_resident_is_404_and_stores_nothing(client, world):
    _login(client, world.a.users["health_officer"])
    before = Declaration.all_tenants.count()
    response = client.post(
        "/api/v1/health/declarations", _submit_body(world.b), content_type="application/json"
    )
    assert response.status_code == 404
    assert Declaration.all_tenants.count() == before


def test_submit_screens_and_returns_reasons(client, world):
    _login(client, world.a.users["health_officer"])
    response = client.post(
        "/api/v1/health/declarations", _submit_body(world.a), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "yellow" and body["reasons"] == ["有症状：干咳"]
    assert body["phone_masked"].count("*") >= 4 and body["channel"] == "staff"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"consent": False}, "consent"),
        ({"temperature": "45.0"}, "temperature"),
        ({"places": [{"place_name": "武汉", "visited_on": "2099-01-01"}]}, "places"),
        ({"symptoms": ["headache"]}, "symptoms"),
    ],
)
def test_submit_bad_input_names_the_field(client, world, change, field):
    _login(client, world.a.users["health_officer"])
    before = Declaration.all_tenants.count()
    response = client.post(
        "/api/v1/health/declarations",
        {**_submit_body(world.a), **change},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert field in str(response.json()["detail"])
    assert Declaration.all_tenants.count() == before


def test_guard_cannot_read_or_submit(client, world):
    _login(client, world.a.users["guard"])
    assert client.get("/api/v1/health/declarations").status_code == 403
    response = client.post(
        "/api/v1/health/declarations", _submit_body(world.a), content_type="application/json"
    )
    assert response.status_code in (403, 404)


def test_status_shows_red_with_reason_and_isolation(client, world):
    resident = world.a.residents[0]
    IsolationCase.all_tenants.create(
        company=world.a.company,
        site=world.a.site,
        resident=resident,
        household=world.a.household,
        reason="红码",
        start_date=timezone.localdate(),
        planned_end=timezone.localdate() + timedelta(days=14),
    )
    _login(client, world.a.users["health_officer"])
    body = client.get(f"/api/v1/health/residents/{resident.pk}/status").json()
    assert body["status"] == "red" and body["isolated"] is True
    assert body["reasons"][0].startswith("到访 武汉市江汉区（高风险）")
    other = world.a.residents[1]
    body = client.get(f"/api/v1/health/residents/{other.pk}/status").json()
    assert body == {
        "resident_id": other.pk,
        "company_id": world.a.company.pk,
        "declaration_id": None,
        "status": "green",
        "isolated": False,
        "reasons": [],
    }


def test_list_filters_by_status(client, world):
    _login(client, world.a.users["company_admin"])
    items = client.get("/api/v1/health/declarations?status=red").json()["items"]
    assert [i["status"] for i in items] == ["red", "red"]  # one at each of a's sites
    assert client.get("/api/v1/health/declarations?status=green").json()["items"] == []


def test_risk_lists_readable_by_any_signed_in_user(client, world):
    assert client.get("/api/v1/health/risk-lists").status_code == 401
    _login(client, world.users["no_role"])
    body = client.get("/api/v1/health/risk-lists").json()
    assert [(i["name"], i["area_count"]) for i in body["items"]] == [("湖北省", 1)]


def test_list_query_count_is_fixed(client, world, django_assert_max_num_queries):
    _login(client, world.a.users["company_admin"])
    client.get("/api/v1/health/declarations")  # warm the session and scope caches

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/health/declarations?current=false").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        resident = world.a.residents[n % 2]
        declaration_submit(
            resident=resident,
            data=DeclarationInput(symptoms=("cough",) if n % 2 else ()),
            channel="staff",
            consent=consent_record(resident=resident, channel="staff"),
        )
    assert count() == few
