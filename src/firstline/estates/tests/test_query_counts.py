"""List pages and API lists run a fixed number of queries whatever the data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.estates.models import Building, Household, Staff
from firstline.testing.world import PASSWORD, make_id_number, make_resident

# session, user, role assignments (the scope), COUNT, the page; the resident list adds its
# site filter and the count of its review notice (residents sharing an ID number).
EXPECTED = {
    "estates:site_list": 5,
    "estates:building_list": 5,
    "estates:household_list": 5,
    "estates:resident_list": 7,
    "estates:staff_list": 5,
    "access_log": 4,  # no rows: the page query is skipped after COUNT = 0
    "/api/v1/sites": 5,
    "/api/v1/buildings": 5,
    "/api/v1/households": 5,
    "/api/v1/residents": 5,
}


def grow(tenant, n: int) -> None:
    """Add n buildings, households, residents and staff to the tenant's site."""
    for i in range(n):
        building = Building.all_tenants.create(
            company=tenant.company, site=tenant.site, name=f"{i + 2}栋"
        )
        household = Household.all_tenants.create(
            company=tenant.company, site=tenant.site, building=building, room=f"{i}01"
        )
        make_resident(
            household=household,
            name=f"住户{i}",
            phone=f"1370000{i:04d}",
            id_number=make_id_number(500 + i),
        )
        Staff.all_tenants.create(
            company=tenant.company, site=tenant.site, name=f"员工{i}", position="cleaner"
        )


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", list(EXPECTED))
def test_query_count_is_pinned_and_does_not_grow_with_rows(client, world, url):
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    target = url if url.startswith("/") else reverse(url)
    assert count(client, target) == EXPECTED[url]
    grow(world.a, 12)
    assert count(client, target) == EXPECTED[url]
