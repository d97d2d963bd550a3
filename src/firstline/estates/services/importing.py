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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.importing import (
    Column,
    ImportRejected,
    RowError,
    Rows,
    SheetSpec,
    cell_text,
    chunks,
    rejected,
    yes_no,
)
from firstline.core.importing import (
    read_sheet as read_rows,
)
from firstline.core.importing import (
    template_workbook as spec_workbook,
)
from firstline.core.personal.crypto import lookup_digest, seal
from firstline.core.personal.identity import validate_id_number, validate_phone
from firstline.core.personal.normalise import normalise_id_number, normalise_phone
from firstline.core.services import audit_record
from firstline.estates.models import AuditAction, Resident, Site
from firstline.estates.services.records import name_initials
from firstline.estates.services.rooms import RoomIndex, households_add, room_key
from firstline.orgs.models import Company

BATCH_SIZE = 2_000
MAX_ROWS = 50_000
SHEET_NAME = "居民"
FIRST_BIRTH_YEAR = 1900

COLUMNS: tuple[Column, ...] = (
    Column("楼栋", "building", "必填 building, e.g. 1栋", 10),
    Column("单元", "unit", "可空 unit, e.g. 2", 8, text=True),
    Column("房号", "room", "必填 room, e.g. 301", 8, text=True),
    Column("姓名", "name", "必填 name", 12),
    Column("手机号", "phone", "可空 11-digit mobile phone", 16, text=True),
    Column("身份证号", "id_number", "可空 18-character national ID", 22, text=True),
    Column("出生年份", "birth_year", "可空 year of birth, e.g. 1956", 10),
    Column(
        "关系",
        "relation",
        "业主 owner / 租户 tenant / 家属 family (空=业主)",
        10,
        choices=("业主", "租户", "家属"),
    ),
    Column("独居老人", "lives_alone_elderly", "是/否 yes/no (空=否)", 10, choices=("是", "否")),
    Column("残障", "disabled", "是/否 yes/no (空=否)", 8, choices=("是", "否")),
    Column("慢性病", "chronic_illness", "是/否 yes/no (空=否)", 8, choices=("是", "否")),
    Column("孕妇", "pregnant", "是/否 yes/no (空=否)", 8, choices=("是", "否")),
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
FLAG_FIELDS = Resident.VULNERABILITY_FIELDS


def _spec() -> SheetSpec:
    flag = _("是或否，空为否")
    notes = {
        "building": _("必填，与系统中的楼栋名称一致，如“1栋”"),
        "unit": _("没有单元可留空"),
        "room": _("必填，如 301；楼栋+单元+房号须已在本项目登记（或选择登记缺少的房号）"),
        "name": _("必填"),
        "phone": _("11 位手机号，可留空"),
        "id_number": _("18 位身份证号，末位可为 X；请保持文本格式，可留空"),
        "birth_year": _("四位年份；填写身份证号时可留空，须与身份证一致"),
        "relation": _("业主、租户或家属，空为业主"),
        **{field: flag for field in FLAG_FIELDS},
    }
    return SheetSpec(SHEET_NAME, COLUMNS, notes)


RELATIONS = {
    "": Resident.Relation.OWNER,
    "业主": Resident.Relation.OWNER,
    "租户": Resident.Relation.TENANT,
    "家属": Resident.Relation.FAMILY,
    **{r.value: r for r in Resident.Relation},
}


def template_workbook() -> bytes:
    """The .xlsx staff fill in (core.importing lays it out)."""
    return spec_workbook([_spec()], max_rows=MAX_ROWS)


def read_sheet(path: Path | str) -> Rows:
    """The data rows of the resident sheet; rejects an unreadable file, a wrong header,
    too many rows or none."""
    rows = read_rows(path, _spec(), max_rows=MAX_ROWS)
    if not rows:
        raise ImportRejected(
            _("文件中没有居民数据。"), [RowError(2, HEADER_OF["name"], _("没有数据行"))]
        )
    return rows


# --- validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentRow:
    """One valid row, normalised, ready to seal. A room the site does not have yet
    (when the import may add rooms) has no household id but its `new_room`."""

    row: int
    household_id: int | None
    name: str
    phone: str
    id_number: str
    birth_year: int | None
    relation: str
    flags: tuple[bool, ...]
    new_room: tuple[str, str, str] | None = None  # (building, unit, room) as first written


class RowValidator:
    """Checks rows one at a time, collecting every problem; duplicate ID numbers are
    checked within the file as it goes and against the company by `check_company`."""

    def __init__(self, *, site: Site, today: date | None = None, add_rooms: bool = False):
        self.site = site
        self.rooms = RoomIndex(site)
        self.add_rooms = add_rooms
        self.new_rooms: dict[tuple[str, str, str], tuple[str, str, str]] = {}
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

        household_id, new_room = self._household(row, text)
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
            value = yes_no(text[flag])
            if value is None:
                self.error(row, flag, _("应填“是”或“否”，而不是“%(v)s”") % {"v": text[flag]})
            flags.append(bool(value))

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
                    new_room=new_room,
                )
            )

    def _household(self, row: int, text: dict[str, str]):
        """(household id, None) for a registered room; (None, the room as written) for
        one the import will add; (None, None) with an error otherwise."""
        building, unit, room = text["building"], text["unit"], text["room"]
        if not building:
            self.error(row, "building", _("楼栋不能为空"))
        if not room:
            self.error(row, "room", _("房号不能为空"))
        if not building or not room:
            return None, None
        household_id = self.rooms.find(building, unit, room)
        if household_id is None and self.add_rooms:
            if len(building) > 64 or len(unit) > 16 or len(room) > 16:
                self.error(row, "room", _("楼栋不能超过 64 个字，单元和房号不能超过 16 个字"))
                return None, None
            if self.rooms.building_ambiguous(building):
                self.error(
                    row, "building", _("本项目有多个楼栋可写作“%(b)s”，请写全称") % {"b": building}
                )
                return None, None
            key = room_key(building, unit, room)
            return None, self.new_rooms.setdefault(key, (building, unit, room))
        if household_id is None:
            where = f"{building} {unit + '单元 ' if unit else ''}{room}"
            self.error(
                row,
                "room",
                _("本项目没有此房号：%(where)s（请先在系统中登记该住户）") % {"where": where},
            )
        return household_id, None

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


def sealed_columns(kind: str, value: str) -> dict[str, object]:
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
        **sealed_columns("phone", row.phone),
        **sealed_columns("id_number", row.id_number),
    )


def residents_insert(
    *,
    actor,
    site: Site,
    residents: list[Resident],
    file_name: str,
    new_rooms: dict[tuple[str, str, str], list[Resident]] | None = None,
) -> int:
    """All rows or none, with one audit row. The company row is locked (PostgreSQL)
    and the ID numbers checked again, so two imports at once cannot both add one.
    `new_rooms`: rooms to register first, {(building, unit, room): their residents}."""
    digests = {r.id_number_hmac for r in residents if r.id_number_hmac}
    new_rooms = new_rooms or {}
    try:
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
            added, _buildings = households_add(site=site, rooms=new_rooms)
            for written, members in new_rooms.items():
                for resident in members:
                    resident.household_id = added[room_key(*written)]
            Resident.all_tenants.bulk_create(residents, batch_size=BATCH_SIZE)
            audit_record(
                actor=actor,
                company_id=site.company_id,
                action=AuditAction.RESIDENTS_IMPORT,
                obj=site,
                changes={
                    "rows": len(residents),
                    **({"rooms_added": len(added)} if added else {}),
                    "file": file_name,
                },
            )
    except IntegrityError as exc:
        raise ImportRejected(
            _("导入期间有人登记了相同的房号，未导入任何数据，请重新上传。")
        ) from exc
    return len(residents)


def residents_import(
    *,
    actor,
    site: Site,
    path: Path | str,
    file_name: str = "",
    add_rooms: bool = False,
    set_total: Callable[[int], None] = lambda n: None,
    advance: Callable[[int], None] = lambda n: None,
) -> int:
    """Import the workbook at `path` into `site`: the number of residents written,
    or ImportRejected with every problem found and nothing written. With
    `add_rooms`, rooms the site has not registered are added (with their buildings)
    instead of being errors: a roster can set up a site's households.

    Progress counts two steps per row (checking, then sealing); the insert itself
    is one transaction, so the bar reaches its end when that commits.
    """
    rows = read_sheet(path)
    set_total(2 * len(rows))
    validator = RowValidator(site=site, add_rooms=add_rooms)
    for chunk in chunks(rows, BATCH_SIZE):
        for number, cells in chunk:
            validator.check(number, cells)
        advance(len(chunk))
    validator.check_company()
    if validator.errors:
        raise rejected(validator.errors, [_spec()])
    residents: list[Resident] = []
    new_rooms: dict[tuple[str, str, str], list[Resident]] = {}
    for chunk in chunks(validator.valid, BATCH_SIZE):
        for row in chunk:
            resident = resident_build(site=site, row=row)
            residents.append(resident)
            if row.new_room is not None:
                new_rooms.setdefault(row.new_room, []).append(resident)
        advance(len(chunk))
    return residents_insert(
        actor=actor, site=site, residents=residents, file_name=file_name, new_rooms=new_rooms
    )
