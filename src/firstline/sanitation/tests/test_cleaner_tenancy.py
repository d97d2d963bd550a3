"""The cleaner's pages through the shared tenancy checks: another company's area QR
code or task answers 404, a guard may not complete a task."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from firstline.sanitation.models import Area, DeviceRun, Task
from firstline.sanitation.tests.test_completion import furnish
from firstline.sanitation.urls import cleaner
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World


@pytest.fixture
def world(world: World) -> World:
    for tenant in (*world.a.corners, world.b):
        furnish(tenant)
    return world


def area_token(t):
    # The QR page is addressed by the area's token, not its id: Page.url reverses `.pk`.
    return SimpleNamespace(pk=Area.all_tenants.get(site=t.site).qr_token)


def first_task(t):
    return Task.all_tenants.filter(site=t.site).order_by("due_at").first()


class TestCleanerTenancy(TenancyCases):
    routes = [
        Page("sanitation:today", viewer="cleaner"),
        Page("sanitation:area_tasks", obj=area_token, viewer="cleaner"),
        Page(
            "sanitation:task_complete",
            obj=first_task,
            viewer="cleaner",
            method="post",
            write={"batch": "B1"},
        ),
    ]
    api = [
        Api("/api/v1/sanitation/tasks", viewer="cleaner", site_role="cleaner"),
        Api("/api/v1/sanitation/tasks", viewer="site_manager"),
        Api(
            "/api/v1/sanitation/tasks/{id}/complete",
            obj=first_task,
            viewer="cleaner",
            method="post",
            body={"batch": "B1"},
        ),
    ]
    explicit = {"POST /api/v1/sanitation/device-runs": "test_device_runs_take_a_device_token_only"}


def test_device_runs_take_a_device_token_only(client, world):
    """A UV lamp or drone reports with its own token (test_device_runs.py): its site is
    the device's. Anonymous or a user's session → 401, nothing recorded."""
    body = {"client_uuid": "6f1c3c52-5d0e-4a9f-9e55-3c1a2b9d8e01", "started_at": "2020-02-01T08:00"}
    path = "/api/v1/sanitation/device-runs"
    assert client.post(path, body, content_type="application/json").status_code == 401
    client.force_login(world.a.users["company_admin"])
    assert client.post(path, body, content_type="application/json").status_code == 401
    assert not DeviceRun.all_tenants.exists()


def test_every_cleaner_route_is_covered():
    """A new page of the cleaner's must join the tenancy checks above."""
    declared = {f"sanitation:{pattern.name}" for pattern in cleaner.urlpatterns}
    assert declared == {page.name for page in TestCleanerTenancy.routes}
