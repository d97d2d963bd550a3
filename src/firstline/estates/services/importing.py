"""Importing residents from an Excel workbook into one site: the template, reading,
row-by-row validation, and an all-or-nothing bulk insert.

Every row is checked before anything is written. One bad row rejects the whole
file, and the rejection names each problem as (Excel row, column header, message)
so staff can fix the sheet and upload it again. A clean file is sealed
(core.crypto) and inserted with `bulk_create` inside one transaction with its
audit row. The task in tasks.py drives this and reports progress.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from firstline.core import exporting
from firstline.core.personal.crypto import lookup_digest, seal
from firstline.core.personal.identity import validate_id_number, validate_phone
from firstline.core.personal.normalise import normalise_id_number, normalise_phone
from firstline.core.services import audit_record
from firstline.estates.models import AuditAction, Household, Resident, Site
from firstline.estates.services.records import name_initials
from firstline.orgs.models import Company

BATCH_SIZE = 2_000
MAX_ROWS = 50_000
ERRORS_LISTED = 200
SHEET_NAME = "居民"
HELP_SHEET_NAME = "填写说明"
FIRST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class Column:
    """One column of the template: its Chinese header, the field it fills, a hint."""

    header: str
    field: str
    hint: str
    width: int = 10
    text: bool = False  # formatted as text in the template so Excel keeps every digit


COLUMNS: tuple[Column, ...] = (
    Column("楼栋", "building", "必填 building, e.g. 1栋", 10),
    Column("单元", "unit", "可空 unit, e.g. 2", 8, text=True),
    Column("房号", "room", "必填 room, e.g. 301", 8, text=True),
    Column("姓名", "name", "必填 name", 12),
    Column("手机号", "phone", "可空 11-digit mobile phone", 16, text=True),
    Column("身份证号", "id_number", "可空 18-character national ID", 22, text=True),
    Column("出生年份", "birth_year", "可空 year of birth, e.g. 1956", 10),
    Column("关系", "relation", "业主 owner / 租户 tenant / 家属 family (空=业主)", 10),
    Column("独居老人", "lives_alone_elderly", "是/否 yes/no (空=否)", 10),
    Column("残障", "disabled", "是/否 yes/no (空=否)", 8),
    Column("慢性病", "chronic_illness", "是/否 yes/no (空=否)", 8),
    Column("孕妇", "pregnant", "是/否 yes/no (空=否)", 8),
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
COLUMN_ORDER = {c.header: i for i, c in enumerate(COLUMNS)}
FLAG_FIELDS = Resident.VULNERABILITY_FIELDS

RELATIONS = {
    "": Resident.Relation.OWNER,
    "业主": Resident.Relation.OWNER,
    "租户": Resident.Relation.TENANT,
    "家属": Resident.Relation.FAMILY,
    **{r.value: r for r in Resident.Relation},
}
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
NO = frozenset({"否", "", "n", "no", "false", "0", "×"})


# --- errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the row as Excel numbers it, the column header, what is wrong."""

    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class ImportRejected(Exception):
    """The file was not imported; `errors` say where and why (may be empty when the
    file as a whole could not be read)."""

    def __init__(self, message: str, errors: list[RowError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = sorted(errors or [], key=lambda e: (e.row, COLUMN_ORDER.get(e.field, 99)))

    def as_result(self) -> dict:
        """What the progress record keeps: the first errors and how many in all."""
        return {
            "message": self.message,
            "errors": [e.as_dict() for e in self.errors[:ERRORS_LISTED]],
            "error_count": len(self.errors),
        }


# --- the template -------------------------------------------------------------------


def template_workbook() -> bytes:
    """The .xlsx staff fill in: Chinese headers (English hints in comments), text
    format on the digit columns, drop-downs for 关系 and 是/否, and a help sheet."""
    wb = exporting.workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    fill = PatternFill("solid", fgColor="DDEBF7")
    header = exporting.xlsx_append(ws, [column.header for column in COLUMNS], bold=True)
    for cell, column in zip(header, COLUMNS, strict=True):
        cell.fill = fill
        cell.comment = Comment(column.hint, "Firstline")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = column.width + 4
        if column.text:
            ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"
    limit = MAX_ROWS + 1
    relation = DataValidation(type="list", formula1='"业主,租户,家属"', allow_blank=True)
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    relation.add(f"H2:H{limit}")
    yes_no.add(f"I2:L{limit}")
    ws.add_data_validation(relation)
    ws.add_data_validation(yes_no)

    help_ws = wb.create_sheet(HELP_SHEET_NAME)
    exporting.xlsx_append(help_ws, [_("列"), _("说明"), "English"], bold=True)
    notes = {
        "building": _("必填，与系统中的楼栋名称一致，如“1栋”"),
        "unit": _("没有单元可留空"),
        "room": _("必填，如 301；楼栋+单元+房号须已在本项目登记"),
        "name": _("必填"),
        "phone": _("11 位手机号，可留空"),
        "id_number": _("18 位身份证号，末位可为 X；请保持文本格式，可留空"),
        "birth_year": _("四位年份；填写身份证号时可留空，须与身份证一致"),
        "relation": _("业主、租户或家属，空为业主"),
    }
    for column in COLUMNS:
        exporting.xlsx_append(
            help_ws, [column.header, notes.get(column.field, _("是或否，空为否")), column.hint]
        )
    exporting.xlsx_append(help_ws, [])
    exporting.xlsx_append(
        help_ws,
        [_("同一文件中有任何一行有误时，整个文件都不会导入；请按错误清单修改后重新上传。")],
    )
    help_ws.column_dimensions["A"].width = 12
    help_ws.column_dimensions["B"].width = 60
    help_ws.column_dimensions["C"].width = 40
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading ------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as the text staff typed: 301.0 → "301", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


MAX_COLUMNS = 256


def xlsx_rows(path: Path | str, sheet_name: str) -> Iterator[tuple[int, dict[int, object]]]:
    """(row number, {0-based column: value}) for each row of the sheet called
    `sheet_name`, or of the first sheet: openpyxl's streaming read-only mode."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book[sheet_name] if sheet_name in book.sheetnames else book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, {i: v for i, v in enumerate(row[:MAX_COLUMNS]) if v is not None}
    finally:
        book.close()


def _header_name(value) -> str:
    """'身份证号', '身份证号 (ID number)' and '身份证号\nID' all name the same column."""
    return re.split(r"[\s(（/]", cell_text(value), maxsplit=1)[0]


Rows = list[tuple[int, dict[str, object]]]  # (row number as Excel shows it, raw cells by field)


def read_sheet(path: Path | str) -> Rows:
    """The data rows of the resident sheet; rejects an unreadable file, a wrong header
    or too many rows.

    Columns are found by header (order does not matter, extra columns such as the
    export's 项目 are ignored). Entirely empty rows are skipped.
    """
    rows: Rows = []
    wanted: list[tuple[str, int]] = []
    try:
        with closing(xlsx_rows(path, SHEET_NAME)) as sheet:
            for number, values in sheet:
                if not wanted:
                    wanted = _columns(number, values)
                    continue
                if not any(cell_text(v) for v in values.values()):
                    continue
                if len(rows) == MAX_ROWS:
                    raise ImportRejected(
                        _("一次最多导入 %(n)s 行，请拆分文件。") % {"n": f"{MAX_ROWS:,}"}
                    )
                rows.append((number, {f: values.get(i) for f, i in wanted}))
    except ImportRejected:
        raise
    except Exception as exc:  # zip, XML and layout errors all mean the same to staff
        raise ImportRejected(_("无法读取该文件，请确认是 .xlsx 格式的 Excel 文件。")) from exc
    if not wanted:
        _columns(1, {})  # not a single row: every column is missing
    if not rows:
        raise ImportRejected(
            _("文件中没有居民数据。"), [RowError(2, HEADER_OF["name"], _("没有数据行"))]
        )
    return rows


def _columns(number: int, header: dict[int, object]) -> list[tuple[str, int]]:
    """(field, column) for every template column, from the first row: the header."""
    if number != 1:
        header = {}
    positions: dict[str, int] = {}
    for index in sorted(header):
        positions.setdefault(_header_name(header[index]), index)
    missing = [c.header for c in COLUMNS if c.header not in positions]
    if missing:
        raise ImportRejected(
            _("表头不符合导入模板，缺少列：%(cols)s。") % {"cols": "、".join(missing)},
            [RowError(1, h, _("缺少此列，请使用导入模板")) for h in missing],
        )
    return [(c.field, positions[c.header]) for c in COLUMNS]


# --- validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentRow:
    """One valid row, normalised, ready to seal."""

    row: int
    household_id: int
    name: str
    phone: str
    id_number: str
    birth_year: int | None
    relation: str
    flags: tuple[bool, ...]


def _canon_building(name: str) -> str:
    return re.sub(r"(号楼|栋|幢|座|楼)$", "", name)


def _canon_unit(unit: str) -> str:
    return re.sub(r"单元$", "", unit)


def _canon_room(room: str) -> str:
    return re.sub(r"(室|号)$", "", room)


class RoomIndex:
    """The site's households, loaded once: (building, unit, room) → household id.

    Exact names match first; then a looser form, so "1" finds building "1栋" and
    "2单元" finds unit "2" — unless that looser form is ambiguous in this site."""

    def __init__(self, site: Site):
        self.exact: dict[tuple[str, str, str], int] = {}
        self.loose: dict[tuple[str, str, str], int | None] = {}
        rows = Household.all_tenants.filter(
            company_id=site.company_id, site_id=site.pk
        ).values_list("id", "building__name", "unit", "room")
        for pk, building, unit, room in rows:
            self.exact[(building, unit, room)] = pk
            key = (_canon_building(building), _canon_unit(unit), _canon_room(room))
            self.loose[key] = None if key in self.loose else pk

    def find(self, building: str, unit: str, room: str) -> int | None:
        pk = self.exact.get((building, unit, room))
        if pk is None:
            pk = self.loose.get((_canon_building(building), _canon_unit(unit), _canon_room(room)))
        return pk


class RowValidator:
    """Checks rows one at a time, collecting every problem; duplicate ID numbers are
    checked within the file as it goes and against the company by `check_company`."""

    def __init__(self, *, site: Site, today: date | None = None):
        self.site = site
        self.rooms = RoomIndex(site)
        self.today = today or timezone.localdate()
        self.errors: list[RowError] = []
        self.valid: list[ResidentRow] = []
        self.id_rows: dict[str, int] = {}  # HMAC digest → first row carrying it

    def error(self, row: int, name: str, message: str) -> None:
        self.errors.append(RowError(row, HEADER_OF[name], message))

    def check(self, row: int, cells: dict[str, object]) -> None:
        before = len(self.errors)
        text = {name: cell_text(value) for name, value in cells.items()}

        name = text["name"]
        if not name:
            self.error(row, "name", _("姓名不能为空"))
        elif len(name) > 64:
            self.error(row, "name", _("姓名不能超过 64 个字"))

        household_id = self._household(row, text)
        phone = self._phone(row, text["phone"])
        id_number = self._id_number(row, cells["id_number"], text["id_number"])
        birth_year = self._birth_year(row, text["birth_year"], id_number)

        relation = RELATIONS.get(text["relation"].lower())
        if relation is None:
            self.error(
                row,
                "relation",
                _("关系应为 业主、租户 或 家属，而不是“%(v)s”") % {"v": text["relation"]},
            )

        flags = []
        for flag in FLAG_FIELDS:
            value = text[flag].lower()
            if value not in YES and value not in NO:
                self.error(row, flag, _("应填“是”或“否”，而不是“%(v)s”") % {"v": text[flag]})
            flags.append(value in YES)

        if len(self.errors) == before:
            self.valid.append(
                ResidentRow(
                    row=row,
                    household_id=household_id,
                    name=name,
                    phone=phone,
                    id_number=id_number,
                    birth_year=birth_year,
                    relation=relation,
                    flags=tuple(flags),
                )
            )

    def _household(self, row: int, text: dict[str, str]) -> int | None:
        building, unit, room = text["building"], text["unit"], text["room"]
        if not building:
            self.error(row, "building", _("楼栋不能为空"))
        if not room:
            self.error(row, "room", _("房号不能为空"))
        if not building or not room:
            return None
        household_id = self.rooms.find(building, unit, room)
        if household_id is None:
            where = f"{building} {unit + '单元 ' if unit else ''}{room}"
            self.error(
                row,
                "room",
                _("本项目没有此房号：%(where)s（请先在系统中登记该住户）") % {"where": where},
            )
        return household_id

    def _phone(self, row: int, raw: str) -> str:
        if not raw:
            return ""
        phone = normalise_phone(raw)
        try:
            validate_phone(phone)
        except ValidationError as exc:
            self.error(row, "phone", _message(exc))
            return ""
        return phone

    def _id_number(self, row: int, raw, text: str) -> str:
        if not text:
            return ""
        if isinstance(raw, float):
            # Excel keeps 15 significant digits: the last digits of the ID are already lost.
            self.error(
                row,
                "id_number",
                _("身份证号被 Excel 存成了数字，末几位已丢失；请将该列设为文本后重新填写"),
            )
            return ""
        id_number = normalise_id_number(text)
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            self.error(row, "id_number", _message(exc))
            return ""
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        if born > self.today or born.year < FIRST_BIRTH_YEAR:
            self.error(row, "id_number", _("身份证号中的出生日期不合理"))
            return ""
        digest = lookup_digest("id_number", id_number)
        first = self.id_rows.setdefault(digest, row)
        if first != row:
            self.error(row, "id_number", _("与第 %(n)d 行的身份证号重复") % {"n": first})
            return ""
        return id_number

    def _birth_year(self, row: int, raw: str, id_number: str) -> int | None:
        from_id = int(id_number[6:10]) if id_number else None
        if not raw:
            return from_id
        match = re.fullmatch(r"(\d{4})(年)?", raw)
        year = int(match[1]) if match else None
        if year is None or not FIRST_BIRTH_YEAR <= year <= self.today.year:
            self.error(
                row,
                "birth_year",
                _("出生年份应为 %(a)d 到 %(b)d 之间的四位数字")
                % {"a": FIRST_BIRTH_YEAR, "b": self.today.year},
            )
            return None
        if from_id is not None and year != from_id:
            self.error(
                row,
                "birth_year",
                _("出生年份与身份证号不一致（身份证为 %(y)d 年）") % {"y": from_id},
            )
            return None
        return year

    def check_company(self) -> None:
        """ID numbers already registered in the company (any site): by HMAC, in chunks."""
        for digest in registered_digests(company_id=self.site.company_id, digests=self.id_rows):
            row = self.id_rows[digest]
            self.error(row, "id_number", _("该身份证号已登记在本企业的居民中"))


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def registered_digests(*, company_id: int, digests: Iterable[str]) -> set[str]:
    """Which of these ID-number digests the company's residents already carry.
    Chunked so a large file stays under every database's parameter limit."""
    digests = list(digests)
    found: set[str] = set()
    for start in range(0, len(digests), BATCH_SIZE):
        chunk = digests[start : start + BATCH_SIZE]
        found.update(
            Resident.all_tenants.filter(
                company_id=company_id, id_number_hmac__in=chunk
            ).values_list("id_number_hmac", flat=True)
        )
    return found


# --- writing ------------------------------------------------------------------------


def _sealed(kind: str, value: str) -> dict[str, object]:
    if not value:
        return {f"{kind}_enc": None, f"{kind}_hmac": "", f"{kind}_last4": "", f"{kind}_masked": ""}
    s = seal(kind, value)
    return {
        f"{kind}_enc": s.enc,
        f"{kind}_hmac": s.hmac,
        f"{kind}_last4": s.last4,
        f"{kind}_masked": s.masked,
    }


def resident_build(*, site: Site, row: ResidentRow) -> Resident:
    """An unsaved Resident with its personal values sealed."""
    return Resident(
        company_id=site.company_id,
        site_id=site.pk,
        household_id=row.household_id,
        name=row.name,
        name_initials=name_initials(row.name),
        birth_year=row.birth_year,
        relation=row.relation,
        **dict(zip(FLAG_FIELDS, row.flags, strict=True)),
        **_sealed("phone", row.phone),
        **_sealed("id_number", row.id_number),
    )


def residents_insert(*, actor, site: Site, residents: list[Resident], file_name: str) -> int:
    """All rows or none, with one audit row. The company row is locked (PostgreSQL)
    and the ID numbers checked again, so two imports at once cannot both add one."""
    digests = {r.id_number_hmac for r in residents if r.id_number_hmac}
    with transaction.atomic():
        list(
            Company.objects.select_for_update()
            .filter(pk=site.company_id)
            .values_list("pk", flat=True)
        )
        if registered_digests(company_id=site.company_id, digests=digests):
            raise ImportRejected(
                _("导入期间本企业登记了相同身份证号的居民，未导入任何数据，请重新上传。")
            )
        Resident.all_tenants.bulk_create(residents, batch_size=BATCH_SIZE)
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.RESIDENTS_IMPORT,
            obj=site,
            changes={"rows": len(residents), "file": file_name},
        )
    return len(residents)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def residents_import(
    *,
    actor,
    site: Site,
    path: Path | str,
    file_name: str = "",
    set_total: Callable[[int], None] = lambda n: None,
    advance: Callable[[int], None] = lambda n: None,
) -> int:
    """Import the workbook at `path` into `site`: the number of residents written,
    or ImportRejected with every problem found and nothing written.

    Progress counts two steps per row (checking, then sealing); the insert itself
    is one transaction, so the bar reaches its end when that commits.
    """
    rows = read_sheet(path)
    set_total(2 * len(rows))
    validator = RowValidator(site=site)
    for chunk in _chunks(rows, BATCH_SIZE):
        for number, cells in chunk:
            validator.check(number, cells)
        advance(len(chunk))
    validator.check_company()
    if validator.errors:
        raise ImportRejected(
            _("文件中有 %(n)d 处错误，未导入任何数据。请修改后重新上传。")
            % {"n": len(validator.errors)},
            validator.errors,
        )
    residents: list[Resident] = []
    for chunk in _chunks(validator.valid, BATCH_SIZE):
        residents.extend(resident_build(site=site, row=row) for row in chunk)
        advance(len(chunk))
    return residents_insert(actor=actor, site=site, residents=residents, file_name=file_name)
