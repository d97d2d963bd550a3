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
    for tenant in (*world.a.corners, world.b):
        planned(tenant, kinds=(AreaKind.LIFT,))
    for tenant in (world.a, world.b):  # overrides are the company's
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
    return Area.all_tenants.get(site=t.site)


def entry_of(t):
    return PlanEntry.all_tenants.get(site=t.site, code="lift-car")


OVERRIDES = "a company's overrides of the guides: its admin's, for all its sites"


def override_of(t):
    return ItemOverride.all_tenants.get(company=t.company)


class TestPlansTenancy(TenancyCases):
    routes = [
        Page("sanitation:guide_list"),
        Page("sanitation:override_list", company_level=OVERRIDES),
        Page("sanitation:override_create"),
        Page(
            "sanitation:override_edit",
            obj=override_of,
            write={"disabled": "on", "reason": "改由街道负责"},
            denied_writer="site_manager",
            company_level=OVERRIDES,
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
            "sanitation:plan_apply",
            obj=lambda t: t.site,
            viewer="site_manager",
            method="post",
            write={},
            denied_writer="cleaner",
            ok=302,  # back to the site's plan
        ),
        Page(
            "sanitation:plan_entry_edit",
            obj=entry_of,
            write={"method": "改", "times_per_day": "6", "active": "on"},
            denied_writer="cleaner",
        ),
    ]
    # Shared reference data (no company): checked in test_plans_pages.
    explicit = {
        "sanitation:guide_detail": "firstline.sanitation.tests.test_plans_pages"
        "::test_guide_pages_readable_by_planners_and_association",
        "sanitation:guide_revise": "firstline.sanitation.tests.test_plans_pages"
        "::test_guide_revise_by_association_publishes_next_version",
    }


def test_every_plans_route_is_covered():
    declared = {f"sanitation:{pattern.name}" for pattern in plans.urlpatterns}
    covered = {page.name for page in TestPlansTenancy.routes} | set(TestPlansTenancy.explicit)
    assert declared == covered
