"""The supplies lists a manager takes to a meeting go to Excel: the company's incoming
shipments and needs, the coordinator's shipments and open needs; each with the page's
own filters, only the caller's rows, and audited."""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse

from firstline.core.models import AuditAction, AuditEvent
from firstline.supplies.models import Shipment
from firstline.supplies.tests.test_shipments_tenancy import furnish
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    furnish(world)  # a shipment in transit and a READY one to a's two sites and b's
    return world


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def workbook(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def exports(action=AuditAction.LIST_EXPORT):
    return AuditEvent.objects.filter(action=action).order_by("id")


@pytest.mark.parametrize("url_name", ["supplies:incoming_list", "supplies:needs_list"])
def test_company_lists_export_their_own_rows_and_are_audited(client, world, url_name):
    login(client, world.a.users["company_admin"])
    page = client.get(reverse(url_name)).content.decode()
    assert 'data-testid="list-export"' in page
    rows = workbook(client.get(reverse(url_name), {"export": "xlsx"}))
    text = str(rows)
    assert world.a.site.name in text or world.a.moving.number in text
    assert world.b.site.name not in text  # another company's rows never
    assert world.b.moving.number not in text and world.b.ready.number not in text
    audit = exports().get()
    assert audit.company_id == world.a.company.pk
    assert audit.changes["rows"] == len(rows) - 1 > 0


def test_incoming_export_keeps_the_state_filter_and_search(client, world):
    login(client, world.a.users["company_admin"])
    url = reverse("supplies:incoming_list")
    everything = workbook(client.get(url, {"export": "xlsx"}))
    assert len(everything) == 1 + 4  # a's two sites, one in transit and one READY each
    moving = workbook(client.get(url, {"export": "xlsx", "state": Shipment.State.IN_TRANSIT}))
    assert sorted(row[0] for row in moving[1:]) == sorted(t.moving.number for t in world.a.corners)
    one = workbook(client.get(url, {"export": "xlsx", "q": world.a.moving.number}))
    assert [row[0] for row in one[1:]] == [world.a.moving.number]
    assert [e.changes["filters"] for e in exports()] == [
        {},
        {"state": "in_transit"},
        {"q": world.a.moving.number},
    ]


def test_a_site_manager_exports_its_own_site_only(client, world):
    login(client, world.a.users["site_manager"])
    rows = workbook(client.get(reverse("supplies:needs_list"), {"export": "xlsx"}))
    assert len(rows) == 2
    assert rows[1][1] == world.a.site.name
    assert world.a.sibling.site.name not in str(rows)


def test_needs_export_shows_the_lines_as_the_list_does(client, world):
    login(client, world.a.users["site_manager"])
    (header, row) = workbook(client.get(reverse("supplies:needs_list"), {"export": "xlsx"}))
    assert header[:3] == ["申请时间", "项目", "物资（已到/需求）"]
    assert row[2] == "N95口罩 0/500只"
    assert row[4] == "一线人员防护"


def test_coordinator_exports_its_members_shipments_and_open_needs(client, world):
    login(client, world.users["association_admin"])
    page = client.get(reverse("supplies:shipment_list")).content.decode()
    assert 'data-testid="list-export"' in page
    url = reverse("supplies:shipment_list")
    rows = workbook(client.get(url, {"export": "xlsx", "company": world.b.company.pk}))
    assert {row[1] for row in rows[1:]} == {world.b.company.name}
    assert len(rows) == 1 + 2
    # One audit row in each company whose rows left in the file.
    assert [(e.company_id, e.changes["rows"]) for e in exports()] == [(world.b.company.pk, 2)]
    needs = workbook(client.get(reverse("supplies:needs_open"), {"export": "xlsx"}))
    assert needs[0][:5] == ["物资", "企业", "项目", "需求", "尚缺"]
    assert {row[1] for row in needs[1:]} == {world.a.company.name, world.b.company.name}


def test_company_users_cannot_export_the_coordinators_lists(client, world):
    login(client, world.a.users["company_admin"])
    for name in ("supplies:shipment_list", "supplies:needs_open"):
        assert client.get(reverse(name), {"export": "xlsx"}).status_code == 403
    assert not exports().exists()
