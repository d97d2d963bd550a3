"""What the health tests build again and again: the high-risk district their
declarations visit, a declaration recorded by staff, one more household with a
resident (to grow a list for the query-count tests), counting a page's queries,
and signing in."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from firstline.estates.models import Building, Household, Resident
from firstline.health.models import Declaration, RiskArea, RiskList
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_submit,
)
from firstline.testing.world import PASSWORD, make_id_number, make_resident

# The district every test declares a visit to: high risk since a month ago.
DISTRICT_CODE = "420103"
DISTRICT_NAME = "武汉市江汉区"


def high_risk_list(name: str = "湖北省中高风险地区", *, area_count: int = 1) -> RiskList:
    """A current risk list with 江汉区 high risk since a month ago."""
    lst = RiskList.objects.create(
        name=name, version=1, published_at=timezone.now(), area_count=area_count
    )
    RiskArea.objects.create(
        risk_list=lst,
        division_code=DISTRICT_CODE,
        name=DISTRICT_NAME,
        level="high",
        valid_from=timezone.localdate() - timedelta(days=30),
    )
    return lst


def high_risk_visit(days_ago: int = 2) -> PlaceInput:
    """A visit to the high-risk district: screened red under high_risk_list()."""
    return PlaceInput(DISTRICT_NAME, timezone.localdate() - timedelta(days=days_ago), DISTRICT_CODE)


def staff_declare(resident: Resident, **data) -> Declaration:
    """A declaration staff record for the resident, with the resident's consent."""
    consent = consent_record(resident=resident, channel="staff")
    return declaration_submit(
        resident=resident, data=DeclarationInput(**data), channel="staff", consent=consent
    )


def another_household_resident(tenant, i: int, *, id_seed: int, **extra) -> Resident:
    """The i-th extra household of the tenant's site (its own building) with one
    resident; `id_seed` keeps ID numbers apart between the tests that call this."""
    building = Building.all_tenants.create(
        company=tenant.company, site=tenant.site, name=f"{i + 2}栋"
    )
    household = Household.all_tenants.create(
        company=tenant.company, site=tenant.site, building=building, room=f"{i}01"
    )
    return make_resident(
        household=household,
        name=f"住户{i}",
        phone=f"1370000{i:04d}",
        id_number=make_id_number(id_seed + i),
        **extra,
    )


def count_queries(client, url: str) -> int:
    """How many queries a page takes to render (it must render)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)
