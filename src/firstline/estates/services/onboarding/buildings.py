"""A site's buildings, units and rooms from a workbook (sheet 房屋).

Rooms already registered (however written: "1栋"/"1号楼"/"1", "301室"/"301") are
skipped and counted, so the same list can be uploaded again after adding a
building; a room twice in the file, an unreadable floor count or a building name
that could mean two buildings is an error and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from firstline.core.importing import (
    Column,
    ImportRejected,
    RowError,
    SheetSpec,
    cell_text,
    read_sheet,
    rejected,
)
from firstline.core.importing import (
    template_workbook as spec_workbook,
)
from firstline.core.services import audit_record
from firstline.estates.models import AuditAction, Site
from firstline.estates.services.rooms import RoomIndex, households_add, room_key

PERMISSION = "estates.change_household"
MAX_ROWS = 50_000
SHEET_NAME = "房屋"
MAX_FLOORS = 200


def _spec() -> SheetSpec:
    return SheetSpec(
        SHEET_NAME,
        (
            Column("楼栋", "building", "必填 building, e.g. 1栋", 10),
            Column("单元", "unit", "可空 unit, e.g. 2", 8, text=True),
            Column("房号", "room", "必填 room, e.g. 301", 8, text=True),
            Column("层数", "floors", "可空 floors of the building", 8, required=False),
        ),
        {
            "building": _("必填，不超过 64 字；“1栋”“1号楼”“1”视为同一楼栋"),
            "unit": _("没有单元可留空"),
            "room": _("必填，如 301；已登记的房号会跳过"),
            "floors": _("新楼栋的层数，可留空（默认 1）"),
        },
    )


def template_workbook() -> bytes:
    return spec_workbook([_spec()], max_rows=MAX_ROWS)


def rooms_import(
    *,
    actor,
    site: Site,
    path: Path | str,
    file_name: str = "",
    set_total: Callable[[int], None] = lambda n: None,
    advance: Callable[[int], None] = lambda n: None,
) -> dict:
    """Register the rooms of the workbook the site does not have yet:
    {"buildings": n, "households": m, "existing": k}, or ImportRejected."""
    spec = _spec()
    header = spec.header_of
    rows = read_sheet(path, spec, max_rows=MAX_ROWS)
    if not rows:
        raise ImportRejected(
            _("文件中没有房号数据。"), [RowError(2, header["room"], _("没有数据行"))]
        )
    set_total(len(rows) + 1)
    index = RoomIndex(site)
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    new: list[tuple[str, str, str]] = []
    floors: dict[str, int] = {}
    existing = 0
    for number, cells in rows:
        text = {name: cell_text(value) for name, value in cells.items()}
        before = len(errors)

        def error(name, message, number=number):
            errors.append(RowError(number, header[name], message))

        building, unit, room = text["building"], text["unit"], text["room"]
        if not building:
            error("building", _("楼栋不能为空"))
        elif len(building) > 64:
            error("building", _("楼栋不能超过 64 个字"))
        if len(unit) > 16:
            error("unit", _("单元不能超过 16 个字"))
        if not room:
            error("room", _("房号不能为空"))
        elif len(room) > 16:
            error("room", _("房号不能超过 16 个字"))
        if text["floors"] and not (
            re.fullmatch(r"\d{1,3}", text["floors"]) and 1 <= int(text["floors"]) <= MAX_FLOORS
        ):
            error("floors", _("层数应为 1 到 %(n)d 之间的整数") % {"n": MAX_FLOORS})
        if len(errors) != before:
            continue
        key = room_key(building, unit, room)
        first = seen.setdefault(key, number)
        if first != number:
            error("room", _("与第 %(n)d 行是同一房号") % {"n": first})
        elif index.find(building, unit, room) is not None:
            existing += 1
        elif index.building_ambiguous(building):
            error("building", _("本项目有多个楼栋可写作“%(b)s”，请写全称") % {"b": building})
        else:
            new.append((building, unit, room))
            if text["floors"]:
                floors[building] = max(floors.get(building, 1), int(text["floors"]))
    advance(len(rows))
    if errors:
        raise rejected(errors, [spec])
    try:
        with transaction.atomic():
            added, buildings = households_add(site=site, rooms=new, floors=floors)
            audit_record(
                actor=actor,
                company_id=site.company_id,
                action=AuditAction.ROOMS_IMPORT,
                obj=site,
                changes={
                    "buildings": buildings,
                    "households": len(added),
                    "existing": existing,
                    "file": file_name,
                },
            )
    except IntegrityError as exc:
        raise ImportRejected(
            _("导入期间有人登记了相同的房号，未导入任何数据，请重新上传。")
        ) from exc
    advance(1)
    return {"buildings": buildings, "households": len(added), "existing": existing}
