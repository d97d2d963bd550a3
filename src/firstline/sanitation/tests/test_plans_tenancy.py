"""Every plan page through the shared tenancy checks. The guide pages show shared
reference data (no company), so they are checked explicitly in test_plans_pages."""

from __future__ import annotations

import pytest

from firstline.sanitation.models import Area, AreaKind, ItemOverride, PlanEntry
from firstline.sanitation.services.guides import override_set
from firstline.sanitation.tests.planning import planned
from firstline.sanitation.urls import plans
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import World


@pytest.fixture
def world(world: World) -> World:
    for tenant in (world.a, world.b):
        planned(tenant, kinds=(AreaKind.LIFT,))
        override_set(
            actor=None,
            company_id=tenant.company.pk,
            site_type="residential",
            code="lift-car",
            times_per_day=3,
            reason="客流大",
        )
    return world


def area_of(t):
    return Area.all_tenants.get(company=t.company)


def entry_of(t):
    return PlanEntry.all_tenants.get(company=t.company, code="lift-car")


def override_of(t):
    return ItemOverride.all_tenants.get(company=t.company)


class TestPlansTenancy(TenancyCases):
    routes = [
        Page("sanitation:guide_list"),
        Page("sanitation:override_list"),
        Page("sanitation:override_create"),
        Page(
            "sanitation:override_edit",
            obj=override_of,
            write={"disabled": "on", "reason": "改由街道负责"},
            denied_writer="site_manager",
        ),
        Page("sanitation:area_list", viewer="site_manager"),
        Page("sanitation:area_create", viewer="site_manager"),
        Page("sanitation:area_qr", viewer="site_manager"),
        Page("sanitation:area_detail", obj=area_of, viewer="site_manager"),
        Page(
            "sanitation:area_edit",
            obj=area_of,
            write={"name": "改名电梯", "kind": "lift", "active": "on"},
            denied_writer="cleaner",
        ),
        Page("sanitation:plan_site", obj=lambda t: t.site, viewer="site_manager"),
        Page(
            "sanitation:plan_entry_edit",
            obj=entry_of,
            write={"method": "改", "times_per_day": "6", "active": "on"},
            denied_writer="cleaner",
        ),
    ]


EXPLICIT = {
    "sanitation:guide_detail",  # shared reference data: test_guide_* in test_plans_pages
    "sanitation:guide_revise",
    "sanitation:plan_apply",  # POST-only action: test_plan_apply_* in test_plans_pages
}


def test_every_plans_route_is_covered():
    declared = {f"sanitation:{pattern.name}" for pattern in plans.urlpatterns}
    assert declared == {page.name for page in TestPlansTenancy.routes} | EXPLICIT
