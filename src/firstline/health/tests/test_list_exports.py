"""The lists a manager takes to a meeting go to Excel: the worklist, declarations,
isolation cases and support requests, each with the page's own filters, masked,
only the caller's rows, and audited."""

from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import AuditAction, AuditEvent
from firstline.health.models import IsolationCase, SupportRequest
from firstline.health.services.isolation import isolation_open
from firstline.health.services.support import request_create
from firstline.health.tests.helpers import login, staff_declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    """A red declaration (so a work item), a home isolation case and a support
    request at each of company a's first site and company b's."""
    for tenant in (world.a, world.b):
        resident = tenant.residents[0]
        staff_declare(resident, contact_confirmed=True)
        isolation_open(
            actor=tenant.users["company_admin"],
            resident=resident,
            kind=IsolationCase.Kind.HOME,
            reason="密接",
            start_date=timezone.localdate(),
        )
        request_create(
            actor=tenant.users["company_admin"],
            household=tenant.household,
            resident=resident,
            kind=SupportRequest.Kind.GROCERIES,
            details="买菜",
        )
    return world


def workbook(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


LISTS = [
    "health:workitem_list",
    "health:declaration_list",
    "health:isolation_list",
    "health:support_list",
]


@pytest.mark.parametrize("url_name", LISTS)
def test_each_list_exports_its_own_rows_masked_and_audited(client, world, url_name):
    login(client, world.a.users["company_admin"])
    page = client.get(reverse(url_name))
    assert 'data-testid="list-export"' in page.content.decode()
    rows = workbook(client.get(reverse(url_name), {"export": "xlsx"}))
    text = str(rows)
    assert world.a.residents[0].name in text
    assert world.b.residents[0].name not in text  # another company's rows never
    assert world.b.site.name not in text
    phone = world.a.residents[0].phone_masked
    full = "13800000101"
    assert full not in text
    if "手机号" in rows[0]:
        assert phone in text
    audit = AuditEvent.objects.get(action=AuditAction.LIST_EXPORT)
    assert audit.company_id == world.a.company.pk
    assert audit.changes["rows"] == len(rows) - 1


def test_the_export_keeps_the_lists_filters_and_search(client, world):
    login(client, world.a.users["company_admin"])
    url = reverse("health:isolation_list")
    everyone = workbook(client.get(url, {"export": "xlsx"}))
    assert len(everyone) == 2
    nobody = workbook(client.get(url, {"export": "xlsx", "q": "没有这个人"}))
    assert len(nobody) == 1  # the header alone
    by_room = workbook(client.get(url, {"export": "xlsx", "q": "1栋1单元301"}))
    assert len(by_room) == 2
    assert AuditEvent.objects.filter(action=AuditAction.LIST_EXPORT).count() == 3


def test_an_unknown_format_is_404_and_writes_nothing(client, world):
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("health:support_list"), {"export": "pdf"}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.LIST_EXPORT).exists()
    csv = client.get(reverse("health:support_list"), {"export": "csv"})
    assert csv.status_code == 200
    assert "买菜" in b"".join(csv.streaming_content).decode("utf-8-sig")
