"""The overdue disinfection tasks go to Excel as the list shows them: the page's site
filter and search kept, only the caller's rows, and audited."""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from firstline.core.models import AuditAction, AuditEvent
from firstline.sanitation.tests.test_compliance import NOW, furnish

pytestmark = pytest.mark.django_db


@pytest.fixture
def furnished(world):
    with time_machine.travel(NOW, tick=False):
        yield {"a": furnish(world.a), "b": furnish(world.b)}


def workbook(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_overdue_tasks_export_the_callers_rows_and_are_audited(client, world, furnished):
    client.force_login(world.a.users["company_admin"])
    url = reverse("sanitation:overdue")
    assert 'data-testid="list-export"' in client.get(url).content.decode()
    rows = workbook(client.get(url, {"export": "xlsx"}))
    assert rows[0] == ["应完成时间", "项目", "区域", "消杀项目", "消毒剂", "已超时（小时）"]
    # Today's 11:00 slot (an hour late at noon) and yesterday's 20:00 one, oldest first.
    assert [(row[0], row[5]) for row in rows[1:]] == [
        ("2020-02-09 20:00", 16.0),
        ("2020-02-10 11:00", 1.0),
    ]
    assert {row[1] for row in rows[1:]} == {world.a.site.name}
    assert rows[1][4] == "含氯消毒剂 500 mg/L"
    assert world.b.site.name not in str(rows)  # another company's rows never
    audit = AuditEvent.objects.get(action=AuditAction.LIST_EXPORT)
    assert audit.company_id == world.a.company.pk
    assert audit.changes["rows"] == 2


def test_overdue_export_keeps_the_site_filter_and_search(client, world, furnished):
    client.force_login(world.a.users["company_admin"])
    url = reverse("sanitation:overdue")
    sibling = workbook(client.get(url, {"export": "xlsx", "site": world.a.sibling.site.pk}))
    assert len(sibling) == 1  # the header alone: nothing overdue at a's second site
    lift = furnished["a"]["lift"].name
    found = workbook(client.get(url, {"export": "xlsx", "q": "大堂"}))
    assert len(found) == 1
    found = workbook(client.get(url, {"export": "xlsx", "q": lift}))
    assert len(found) == 3
    # Another company's site in the filter is a 404, as on the page; nothing is written.
    other = client.get(url, {"export": "xlsx", "site": world.b.site.pk})
    assert other.status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.LIST_EXPORT).count() == 3
