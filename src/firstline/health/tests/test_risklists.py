"""Importing risk lists: CSV in both encodings and XLSX, versions, all-or-nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from firstline.core.models import AuditEvent
from firstline.health.models import AuditAction, RiskArea, RiskList
from firstline.health.services.risklists import risklist_import

CSV = (
    "区划代码,地区,风险等级,起始日期,截止日期\n"
    "420103,武汉市江汉区,高,2020-01-23,\n"
    "420106,武汉市武昌区,中风险,2020/01/25,2020-02-20\n"
    ",华南海鲜市场,high,2020年1月1日,\n"
)


def load(data, file_name="list.csv", name="湖北省中高风险地区"):
    return risklist_import(
        actor=None,
        name=name,
        source="湖北省卫健委",
        published_at=timezone.now(),
        file=io.BytesIO(data),
        file_name=file_name,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding(db, encoding):
    lst = load(CSV.encode(encoding))
    areas = list(RiskArea.objects.filter(risk_list=lst).order_by("name"))
    assert lst.area_count == 3 and lst.version == 1 and lst.current
    got = {(a.division_code, a.name, a.level, a.valid_from, a.valid_until) for a in areas}
    assert got == {
        ("420103", "武汉市江汉区", "high", date(2020, 1, 23), None),
        ("420106", "武汉市武昌区", "medium", date(2020, 1, 25), date(2020, 2, 20)),
        ("", "华南海鲜市场", "high", date(2020, 1, 1), None),
    }
    assert AuditEvent.objects.filter(
        action=AuditAction.RISK_LIST_IMPORT, object_id=str(lst.pk)
    ).exists()


def test_xlsx_with_english_headers_and_a_new_version(db):
    first = load(CSV.encode())
    wb = Workbook()
    ws = wb.active
    ws.append(["level", "name", "division_code", "valid_from", "valid_until", "备注"])
    ws.append(["low", "武汉市江汉区", 420103, date(2020, 2, 1), None, "降级"])
    out = io.BytesIO()
    wb.save(out)
    second = load(out.getvalue(), file_name="list.xlsx")
    first.refresh_from_db()
    assert (second.version, second.current, first.current) == (2, True, False)
    assert list(RiskArea.objects.filter(current=True).values_list("risk_list", "level")) == [
        (second.pk, "low")
    ]
    assert RiskArea.objects.filter(risk_list=first, current=False).count() == 3  # history kept
    other = load(CSV.encode(), name="北京市")  # another list is independent
    assert other.version == 1 and RiskList.objects.filter(current=True).count() == 2


def test_bad_rows_named_and_nothing_written(db):
    bad = (
        "区划代码,地区,风险等级,起始日期,截止日期\n"
        "42AB,武汉,高,2020-01-23,\n"
        "420103,,极高,,\n"
        "420106,武昌,低,2020-02-01,2020-01-01\n"
    )
    with pytest.raises(ValidationError) as exc:
        load(bad.encode())
    rows = exc.value.message_dict["rows"]
    assert any(m.startswith("第 2 行【区划代码】") for m in rows)
    assert any(m.startswith("第 3 行【地区】") for m in rows)
    assert any(m.startswith("第 3 行【风险等级】") for m in rows)
    assert any(m.startswith("第 3 行【起始日期】") for m in rows)
    assert any(m.startswith("第 4 行【截止日期】") for m in rows)
    assert not RiskList.objects.exists() and not RiskArea.objects.exists()


@pytest.mark.parametrize(
    "data, key",
    [
        (b"", "file"),
        ("地区,风险等级\n武汉,高\n".encode(), "file"),  # no 起始日期 column
        (b"PK\x03\x04 not really a zip", "file"),
        ("区划代码,地区,风险等级,起始日期\n".encode(), "file"),  # no rows
    ],
)
def test_unreadable_files_rejected(db, data, key):
    with pytest.raises(ValidationError) as exc:
        load(data)
    assert key in exc.value.message_dict
