"""Bulk import of declarations by staff from an Excel workbook, into one site.

One row per declaration. The resident is found by 楼栋/单元/房号 + 姓名, or by 姓名 +
手机后四位 (when the room is not given). Places are written "地点@日期" separated
by ";" — optionally with the division code first: "420103 武汉市江汉区@2020-01-20".
The 已同意 column records that the resident gave the separate health-data consent
(on paper, to the staff member importing); a row without it is refused.

Every row is checked first (the same validation as a single declaration); one bad
row rejects the file, with every problem named by row and column. A clean file is
written in one transaction through declaration_submit, so each row is screened and
put on the worklist exactly as if staff had typed it in.
"""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from io import BytesIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.styles import PatternFill

from firstline.core import exporting
from firstline.core.importing import cell_text, xlsx_rows
from firstline.core.personal.normalise import normalise_phone
from firstline.core.services import audit_record
from firstline.estates.models import Resident
from firstline.estates.services.rooms import canon_building, canon_room, canon_unit
from firstline.health.models import AuditAction, Consent, Declaration, Status, Symptom
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_clean,
    declaration_submit,
)

MAX_ROWS = 5_000
MAX_BYTES = 10 * 1024 * 1024
ERRORS_LISTED = 200
SHEET_NAME = "行程申报"

COLUMNS = (
    ("building", "楼栋", "1栋"),
    ("unit", "单元", "1"),
    ("room", "房号", "301"),
    ("name", "姓名", "张伟"),
    ("phone_last4", "手机后四位", "5678"),
    ("places", "到访地点", "420103 武汉市江汉区@2020-01-20;汉口火车站@2020-01-21"),
    ("return_date", "返回日期", "2020-01-22"),
    ("transport", "交通方式", "G1234"),
    ("contact_confirmed", "接触确诊", "否"),
    ("contact_suspected", "接触疑似", "否"),
    ("symptoms", "症状", "发热、干咳"),
    ("temperature", "体温", "36.5"),
    ("consent", "已同意", "是"),
)
HEADER = {field: header for field, header, _example in COLUMNS}
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
NO = frozenset({"否", "", "n", "no", "false", "0", "×"})


@cache
def symptom_names() -> dict[str, str]:
    """Symptom names accepted in a file: codes, and the labels in either language (the
    help sheet lists them in the language of whoever downloaded the template)."""
    names = {s.value: s.value for s in Symptom} | {"咳嗽": Symptom.COUGH.value}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names |= {str(s.label): s.value for s in Symptom}
            names |= {str(s.label).lower(): s.value for s in Symptom}
    return names


PLACE = re.compile(r"^(?:(\d{2,12})[\s:：]+)?(.+?)@(.+)$")


@dataclass(frozen=True)
class ImportResult:
    imported: int
    red: int = 0
    yellow: int = 0


def declarations_template() -> bytes:
    """The workbook to fill in: the headers, one example row, a help sheet."""
    wb = exporting.workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in exporting.xlsx_append(ws, [header for _f, header, _e in COLUMNS], bold=True):
        cell.fill = fill
    for index, (_f, header, _e) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = max(
            10, len(header) * 3
        )
    ws.column_dimensions["F"].width = 50
    help_ws = wb.create_sheet(_("填写说明"))
    exporting.xlsx_append(help_ws, [_("列"), _("示例"), _("说明")])
    notes = {
        "building": _("楼栋、单元、房号与姓名一起找到居民；不填房号时按姓名+手机后四位查找"),
        "places": _("最近 14 天到访的地点，“地点@日期”，多个用分号隔开；可在地点前加区划代码"),
        "symptoms": _("可填：%(list)s，用顿号或逗号隔开；无症状留空")
        % {"list": "、".join(str(s.label) for s in Symptom)},
        "consent": _("居民已书面同意处理其健康信息时填“是”；否则该行不能导入"),
    }
    for field, header, example in COLUMNS:
        exporting.xlsx_append(help_ws, [header, example, notes.get(field, "")])
    exporting.xlsx_append(help_ws, [])
    exporting.xlsx_append(
        help_ws, [_("任何一行有误时整个文件都不会导入；请按错误清单修改后重新上传。")]
    )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------


def _save_upload(file) -> BytesIO:
    if hasattr(file, "chunks"):
        data = b"".join(file.chunks())
    elif isinstance(file, (bytes, bytearray)):
        data = bytes(file)
    elif isinstance(file, str) or hasattr(file, "__fspath__"):
        with open(file, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    else:
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [_("文件过大（最大 10 MB）。")]})
    return BytesIO(data)


def _read(file) -> list[tuple[int, dict[str, object]]]:
    rows: list[tuple[int, dict[str, object]]] = []
    columns: dict[str, int] | None = None
    try:
        with closing(xlsx_rows(_save_upload(file), SHEET_NAME)) as sheet:
            for number, values in sheet:
                if columns is None:
                    columns = _columns(values)
                    continue
                if not any(cell_text(v) for v in values.values()):
                    continue
                if len(rows) == MAX_ROWS:
                    raise ValidationError(
                        {"file": [_("一次最多导入 %(n)d 行，请拆分文件。") % {"n": MAX_ROWS}]}
                    )
                rows.append((number, {f: values.get(i) for f, i in columns.items()}))
    except ValidationError:
        raise
    except Exception as exc:  # zip, XML and layout errors all mean the same to staff
        raise ValidationError(
            {"file": [_("无法读取该文件，请确认是 .xlsx 格式的 Excel 文件。")]}
        ) from exc
    if columns is None or not rows:
        raise ValidationError({"file": [_("文件中没有申报数据。")]})
    return rows


def _columns(header: dict[int, object]) -> dict[str, int]:
    by_name: dict[str, int] = {}
    for index in sorted(header):
        name = re.split(r"[\s(（/]", cell_text(header[index]), maxsplit=1)[0]
        by_name.setdefault(name, index)
    required = ("name", "places", "consent")
    missing = [HEADER[f] for f in required if HEADER[f] not in by_name]
    if missing:
        raise ValidationError(
            {"file": [_("表头不符合导入模板，缺少列：%(cols)s") % {"cols": "、".join(missing)}]}
        )
    return {field: by_name[h] for field, h in HEADER.items() if h in by_name}


# --- checking --------------------------------------------------------------------------------


class _People:
    """The site's residents, loaded once, for finding each row's resident."""

    def __init__(self, site):
        self.by_room: dict[tuple[str, str, str, str], list[Resident]] = defaultdict(list)
        self.by_name: dict[str, list[Resident]] = defaultdict(list)
        rows = (
            Resident.all_tenants.filter(company_id=site.company_id, site_id=site.pk)
            .select_related("household__building")
            .only(
                "pk",
                "company_id",
                "site_id",
                "household_id",
                "name",
                "phone_last4",
                "household__unit",
                "household__room",
                "household__building__name",
            )
        )
        for r in rows:
            h = r.household
            key = (
                canon_building(h.building.name),
                canon_unit(h.unit),
                canon_room(h.room),
                r.name,
            )
            self.by_room[key].append(r)
            self.by_name[r.name].append(r)

    def find(self, text: dict[str, str]) -> tuple[Resident | None, str, str]:
        """(resident, column, problem)."""
        name = text.get("name", "")
        if not name:
            return None, "name", _("姓名不能为空")
        if text.get("room"):
            key = (
                canon_building(text.get("building", "")),
                canon_unit(text.get("unit", "")),
                canon_room(text["room"]),
                name,
            )
            found = self.by_room.get(key, [])
            column = "room"
        else:
            # Full-width digits, spaces, or the whole number: its last four.
            last4 = normalise_phone(text.get("phone_last4", ""))[-4:]
            if not last4:
                return None, "room", _("请填写楼栋、房号，或手机后四位")
            found = [r for r in self.by_name.get(name, []) if r.phone_last4 == last4]
            column = "phone_last4"
        if not found:
            return None, column, _("本项目没有找到该居民（%(name)s）") % {"name": name}
        if len(found) > 1:
            return None, column, _("本项目有多位同名居民，请填写房号或手机后四位")
        return found[0], "", ""


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _row_input(cells: dict[str, object], error) -> DeclarationInput:
    text = {k: cell_text(v) for k, v in cells.items()}
    places = []
    for part in re.split(r"[;；\n]", text.get("places", "")):
        part = part.strip()
        if not part:
            continue
        match = PLACE.match(part)
        visited = _date(match[3].strip()) if match else None
        if visited is None:
            error("places", _("“%(v)s”应写成 地点@日期，如 武汉市江汉区@2020-01-20") % {"v": part})
            continue
        places.append(
            PlaceInput(
                place_name=match[2].strip(), visited_on=visited, division_code=match[1] or ""
            )
        )
    flags = {}
    for field in ("contact_confirmed", "contact_suspected", "consent"):
        value = text.get(field, "").lower()
        if value not in YES and value not in NO:
            error(field, _("应填“是”或“否”，而不是“%(v)s”") % {"v": text.get(field, "")})
        flags[field] = value in YES
    if not flags["consent"]:
        error("consent", _("居民未同意处理健康信息，不能导入"))
    symptoms = []
    for label in re.split(r"[、,，;；\s]+", text.get("symptoms", "")):
        if not label or label in ("无", "否"):
            continue
        value = symptom_names().get(label) or symptom_names().get(label.lower())
        if value is None:
            error("symptoms", _("未知的症状：%(v)s") % {"v": label})
        else:
            symptoms.append(value)
    temperature = None
    if text.get("temperature"):
        try:
            temperature = Decimal(text["temperature"].rstrip("℃度 "))
        except InvalidOperation:
            error("temperature", _("体温应为数字，如 36.5"))
    return_date = None
    if text.get("return_date"):
        return_date = _date(cells.get("return_date"))
        if return_date is None:
            error("return_date", _("日期格式不对，如 2020-01-22"))
    return DeclarationInput(
        return_date=return_date,
        transport=text.get("transport", ""),
        contact_confirmed=flags["contact_confirmed"],
        contact_suspected=flags["contact_suspected"],
        symptoms=tuple(symptoms),
        temperature=temperature,
        places=tuple(places),
    )


# --- the import --------------------------------------------------------------------------------


def declarations_import(*, actor, site, file) -> ImportResult:
    """Import the workbook into `site`: all rows or none (ValidationError({"rows": …}))."""
    rows = _read(file)
    people = _People(site)
    now = timezone.now()
    today = timezone.localdate(now)
    errors: list[str] = []
    valid: list[tuple[Resident, DeclarationInput]] = []
    first_row: dict[int, int] = {}
    for number, cells in rows:
        before = len(errors)

        def error(field: str, message: str, number=number) -> None:
            errors.append(
                _("第 %(row)d 行【%(col)s】：%(msg)s")
                % {"row": number, "col": HEADER[field], "msg": message}
            )

        resident, column, problem = people.find({k: cell_text(v) for k, v in cells.items()})
        if resident is None:
            error(column, problem)
        data = _row_input(cells, error)
        if resident is not None:
            seen = first_row.setdefault(resident.pk, number)
            if seen != number:
                error("name", _("与第 %(n)d 行是同一居民") % {"n": seen})
            probe = Consent(resident_id=resident.pk, company_id=resident.company_id)
            try:
                data = declaration_clean(
                    resident=resident,
                    data=data,
                    channel=Declaration.Channel.IMPORT,
                    consent=probe,
                    today=today,
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        error(field if field in HEADER else "name", message)
        if len(errors) == before and resident is not None:
            valid.append((resident, data))
    if errors:
        shown = errors[:ERRORS_LISTED]
        if len(errors) > ERRORS_LISTED:
            shown.append(_("……共 %(n)d 处错误") % {"n": len(errors)})
        raise ValidationError({"rows": shown})

    statuses: list[str] = []
    with transaction.atomic():
        for resident, data in valid:
            consent = consent_record(
                resident=resident, channel=Declaration.Channel.IMPORT, actor=actor, now=now
            )
            declaration = declaration_submit(
                resident=resident,
                data=data,
                channel=Declaration.Channel.IMPORT,
                consent=consent,
                actor=actor,
                now=now,
            )
            statuses.append(declaration.status)
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.DECLARATIONS_IMPORT,
            obj=site,
            changes={"rows": len(valid)},
        )
    return ImportResult(
        imported=len(valid),
        red=statuses.count(Status.RED),
        yellow=statuses.count(Status.YELLOW),
    )
