"""Every compliance route through the shared tenancy checks."""

from __future__ import annotations

import pytest

from firstline.sanitation.models import OverdueAlert
from firstline.sanitation.tests.test_compliance import furnish
from firstline.sanitation.urls import compliance
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import World


@pytest.fixture
def world(world: World) -> World:
    for tenant in (*world.a.corners, world.b):
        furnish(tenant)
    return world


def alert_of(t):
    return OverdueAlert.all_tenants.get(site=t.site)


class TestComplianceTenancy(TenancyCases):
    routes = [
        Page("sanitation:compliance", viewer="site_manager", site_field="pk"),
        Page("sanitation:compliance_site", obj=lambda t: t.site),
        Page("sanitation:compliance_export", viewer="site_manager"),
        Page("sanitation:overdue", viewer="site_manager"),
        Page("sanitation:alert_list", viewer="site_manager"),
        Page(
            "sanitation:alert_ack",
            obj=alert_of,
            viewer="site_manager",
            method="post",
            write={},
            denied_writer="cleaner",
        ),
    ]


def test_every_compliance_route_is_covered():
    """A new compliance page must join the tenancy checks above."""
    declared = {f"sanitation:{pattern.name}" for pattern in compliance.urlpatterns}
    assert declared == {page.name for page in TestComplianceTenancy.routes}
