"""Importing a published risk-area list (CSV or XLSX) as a new version of a named list.

Authorities publish tables of 区划代码 / 地区 / 风险等级 / 起始日期 / 截止日期 (English
headers division_code / name / level / valid_from / valid_until work too; column
order does not matter, extra columns are ignored). CSV may be UTF-8 (with or
without BOM) or GB18030, as Excel in China saves it. Every row is checked before
anything is written: one bad row rejects the file, with every problem named by row
and column. A clean file becomes version n+1 of the list, in force at once; the
previous version and its areas stay as history (current=False). The caller queues
the re-screening (tasks.rescreen_enqueue) after this commits.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from firstline.core.services import audit_record, stored_actor
from firstline.health.models import AuditAction, Level, RiskArea, RiskList

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
ERRORS_LISTED = 200

HEADERS = {
    "division_code": ("区划代码", "division_code", "code", "行政区划代码"),
    "name": ("地区", "name", "地区名称", "area"),
    "level": ("风险等级", "level", "等级"),
    "valid_from": ("起始日期", "valid_from", "开始日期", "from"),
    "valid_until": ("截止日期", "valid_until", "结束日期", "until"),
}
REQUIRED = ("name", "level", "valid_from")
HEADER_LABEL = {field: names[0] for field, names in HEADERS.items()}
LEVELS = {
    "高": Level.HIGH,
    "高风险": Level.HIGH,
    "high": Level.HIGH,
    "中": Level.MEDIUM,
    "中风险": Level.MEDIUM,
    "medium": Level.MEDIUM,
    "低": Level.LOW,
    "低风险": Level.LOW,
    "low": Level.LOW,
}
DIVISION_CODE = re.compile(r"\d{2,12}")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class AreaRow:
    division_code: str
    name: str
    level: str
    valid_from: date
    valid_until: date | None


# --- reading ---------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_key(value) -> str:
    """'区划代码', '区划代码 (division_code)' and 'Division_Code' name the same column."""
    text = _text(value).lower()
    head = re.split(r"[\s(（/]", text, maxsplit=1)[0] if text else ""
    for field, names in HEADERS.items():
        if text in names or head in names:
            return field
    return ""


def _read_bytes(file) -> bytes:
    if isinstance(file, (bytes, bytearray)):
        return bytes(file)
    if isinstance(file, str) or hasattr(file, "__fspath__"):
        with open(file, "rb") as fh:
            return fh.read(MAX_BYTES + 1)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(MAX_BYTES + 1)


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        return list(csv.reader(io.StringIO(text), dialect))
    raise ValidationError({"file": [_("无法识别文件编码，请保存为 UTF-8 或 GB18030 编码的 CSV。")]})


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook  # reads through defusedxml when it is installed

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row[:64]))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def read_table(file, file_name: str = "") -> list[list]:
    """The file's rows (header first) as lists of raw cells."""
    data = _read_bytes(file)
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [_("文件过大（最大 10 MB）。")]})
    is_xlsx = data[:2] == b"PK" or file_name.lower().endswith((".xlsx", ".xlsm"))
    try:
        return _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    except ValidationError:
        raise
    except Exception as exc:  # zip, XML and CSV layout errors all mean the same to staff
        raise ValidationError(
            {"file": [_("无法读取该文件，请上传 CSV 或 .xlsx 格式的风险地区名单。")]}
        ) from exc


# --- checking --------------------------------------------------------------------------------


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def check_rows(rows: list[list]) -> list[AreaRow]:
    """Valid areas, or ValidationError({"rows": [...]}) naming every bad row and column."""
    if not rows:
        raise ValidationError({"file": [_("文件是空的。")]})
    columns: dict[str, int] = {}
    for index, cell in enumerate(rows[0]):
        key = _header_key(cell)
        if key and key not in columns:
            columns[key] = index
    missing = [HEADER_LABEL[f] for f in REQUIRED if f not in columns]
    if missing:
        raise ValidationError({"file": [_("表头缺少列：%(cols)s") % {"cols": "、".join(missing)}]})
    errors: list[str] = []
    areas: list[AreaRow] = []
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise ValidationError({"file": [_("一次最多导入 %(n)d 行。") % {"n": MAX_ROWS}]})
    for number, row in enumerate(body, start=2):

        def cell(field: str, row=row):
            index = columns.get(field)
            return row[index] if index is not None and index < len(row) else None

        if not any(_text(v) for v in row):
            continue
        before = len(errors)

        def error(field: str, message: str, number=number) -> None:
            errors.append(
                _("第 %(row)d 行【%(col)s】：%(msg)s")
                % {"row": number, "col": HEADER_LABEL[field], "msg": message}
            )

        code = re.sub(r"\s", "", _text(cell("division_code")))
        if code and not DIVISION_CODE.fullmatch(code):
            error("division_code", _("应为 2 到 12 位数字，而不是“%(v)s”") % {"v": code})
        name = _text(cell("name"))
        if not name:
            error("name", _("不能为空"))
        elif len(name) > 100:
            error("name", _("不能超过 100 个字"))
        raw_level = _text(cell("level"))
        level = LEVELS.get(raw_level.lower())
        if level is None:
            error("level", _("应为 高、中 或 低，而不是“%(v)s”") % {"v": raw_level})
        valid_from = _date(cell("valid_from"))
        if valid_from is None:
            error("valid_from", _("请填写日期，如 2020-01-23"))
        until_raw = cell("valid_until")
        valid_until = _date(until_raw) if _text(until_raw) else None
        if _text(until_raw) and valid_until is None:
            error("valid_until", _("日期格式不对，如 2020-02-23；长期有效请留空"))
        elif valid_until and valid_from and valid_until < valid_from:
            error("valid_until", _("不能早于起始日期"))
        if len(errors) == before:
            areas.append(AreaRow(code, name, level, valid_from, valid_until))
    if errors:
        shown = errors[:ERRORS_LISTED]
        if len(errors) > ERRORS_LISTED:
            shown.append(_("……共 %(n)d 处错误") % {"n": len(errors)})
        raise ValidationError({"rows": shown})
    if not areas:
        raise ValidationError({"file": [_("文件中没有风险地区。")]})
    return areas


# --- writing ---------------------------------------------------------------------------------


def risklist_import(
    *, actor, name: str, source: str, published_at, file, file_name: str
) -> RiskList:
    """Version n+1 of the named list from the file, in force at once; all rows or none."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("请填写名单名称（不超过 100 个字）。")]})
    areas = check_rows(read_table(file, file_name))
    with transaction.atomic():
        # Two imports of the same list at once: the second waits and takes the next version.
        list(RiskList.objects.select_for_update().filter(name=name).values_list("pk", flat=True))
        last = RiskList.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0
        previous = RiskList.objects.filter(name=name, current=True)
        RiskArea.objects.filter(risk_list__in=previous).update(current=False)
        previous.update(current=False)
        risk_list = RiskList.objects.create(
            name=name,
            version=last + 1,
            source=(source or "").strip()[:100],
            published_at=published_at,
            imported_by=stored_actor(actor),
            file_name=(file_name or "")[:200],
            area_count=len(areas),
            current=True,
        )
        RiskArea.objects.bulk_create(
            (
                RiskArea(
                    risk_list=risk_list,
                    current=True,
                    division_code=a.division_code,
                    name=a.name,
                    level=a.level,
                    valid_from=a.valid_from,
                    valid_until=a.valid_until,
                )
                for a in areas
            ),
            batch_size=2_000,
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.RISK_LIST_IMPORT,
            obj=risk_list,
            changes={"version": risk_list.version, "areas": len(areas), "file": file_name},
        )
    return risk_list
