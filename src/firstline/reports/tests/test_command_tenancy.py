"""Every command-centre route and endpoint through the shared tenancy checks."""

from __future__ import annotations

import pytest

from firstline.access.models import Alert
from firstline.health.models import HealthAlert
from firstline.reports.tests.alerts import one_of_each
from firstline.reports.urls import command
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World


@pytest.fixture
def world(world: World) -> World:
    for tenant in (*world.a.corners, world.b):
        one_of_each(tenant)
    return world


def health_of(t):
    return HealthAlert.all_tenants.get(site=t.site)


def gate_of(t):
    return Alert.all_tenants.get(site=t.site)


class TestCommandTenancy(TenancyCases):
    routes = [
        Page("reports:command", viewer="site_manager", rows="rows"),
        Page("reports:command_feed", viewer="health_officer", rows="rows"),
        Page(
            "reports:command_ack",
            obj=health_of,
            viewer="site_manager",
            method="post",
            write={"source": "health"},
        ),
        Page(
            "reports:command_assign",
            obj=gate_of,
            viewer="company_admin",
            method="post",
            # no assignee: a's admin gets the form's error (200); b's alert → 404
            write={"source": "access", "assignee": ""},
        ),
    ]
    api = [
        Api("/api/v1/reports/alerts", viewer="site_manager"),
        Api("/api/v1/reports/alerts/health/{id}/ack", obj=health_of, method="post"),
        Api(
            "/api/v1/reports/alerts/access/{id}/ack",
            obj=gate_of,
            viewer="health_officer",
            method="post",
        ),
        Api(
            "/api/v1/reports/alerts/health/{id}/assign",
            obj=health_of,
            method="post",
            body=lambda t: {"assignee_id": t.users["guard"].pk},
        ),
    ]


def test_every_command_route_is_covered():
    declared = {f"reports:{pattern.name}" for pattern in command.urlpatterns}
    assert declared == {page.name for page in TestCommandTenancy.routes}


@pytest.mark.django_db
def test_assign_endpoint_on_another_companys_alert_is_404_and_unchanged(client, world):
    theirs = health_of(world.b)
    client.force_login(world.a.users["company_admin"])
    response = client.post(
        f"/api/v1/reports/alerts/health/{theirs.pk}/assign",
        {"assignee_id": world.a.users["guard"].pk},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert HealthAlert.all_tenants.get(pk=theirs.pk).assigned_to_id is None
