"""How staff write rooms, and finding a site's rooms however they were written.

"1栋", "1幢", "1号楼" and "１" are one building; "2单元" and "2" one unit; "301室"
and "301" one room. Every importer and lookup compares rooms through `room_key`,
so a sheet typed one way finds rooms registered another.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from firstline.estates.models import Building, Household, Site

BUILDING_SUFFIX = re.compile(r"(号楼|栋|幢|座|楼|号)$")
UNIT_SUFFIX = re.compile(r"单元$")
ROOM_SUFFIX = re.compile(r"(室|号|房)$")
BATCH_SIZE = 2_000


def _plain(text: str) -> str:
    """Full-width digits and letters to half-width, no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def canon_building(name: str) -> str:
    return BUILDING_SUFFIX.sub("", _plain(name))


def canon_unit(unit: str) -> str:
    return UNIT_SUFFIX.sub("", _plain(unit))


def canon_room(room: str) -> str:
    return ROOM_SUFFIX.sub("", _plain(room))


def room_key(building: str, unit: str, room: str) -> tuple[str, str, str]:
    """The form two spellings of one room share."""
    return canon_building(building), canon_unit(unit), canon_room(room)


# "1栋1单元101", "1号楼2单元301室", "A座1001", "1栋101": building word, unit word optional
WORDED = re.compile(
    r"(?P<b>[0-9A-Z]+)(?:号楼|栋|幢|座|楼)(?:(?P<u>[0-9A-Z]+)单元)?-?(?P<r>[0-9A-Z]+)(?:室|号|房)?"
)
# "3-1-1103", "1栋-1-301", "3-502": building-unit-room or building-room
HYPHENED = re.compile(r"(?P<b>[^-]+)-(?:(?P<u>[^-]+)-)?(?P<r>[^-]+)")


def parse_room(term: str) -> tuple[str, str | None, str] | None:
    """A room as staff type it into a search box, in canonical parts (building, unit
    or None when not given, room); None when the term does not read as a room with
    its building. Full-width digits, spaces and 栋/幢/号楼/单元/室 are all accepted."""
    text = _plain(term).replace("—", "-").replace("－", "-")
    match = WORDED.fullmatch(text) or HYPHENED.fullmatch(text)
    if match is None:
        return None
    unit = match["u"]
    return (
        canon_building(match["b"]),
        canon_unit(unit) if unit is not None else None,
        canon_room(match["r"]),
    )


def spellings(canonical: str, suffixes: tuple[str, ...]) -> list[str]:
    """The ways a canonical part may be stored: bare or with one of its suffixes."""
    return [canonical, *(canonical + s for s in suffixes)]


BUILDING_SPELLINGS = ("栋", "幢", "号楼", "座", "楼", "号")
UNIT_SPELLINGS = ("单元",)
ROOM_SPELLINGS = ("室", "号")


class RoomIndex:
    """The site's households, loaded once: (building, unit, room) → household id.

    Exact names match first; then `room_key`, so "1" finds building "1栋" and
    "2单元" finds unit "2", unless that looser form is ambiguous in this site.
    Buildings are indexed the same way, for importers that add rooms."""

    def __init__(self, site: Site):
        self.exact: dict[tuple[str, str, str], int] = {}
        self.loose: dict[tuple[str, str, str], int | None] = {}
        self.buildings: dict[str, int | None] = {}
        self.building_names: dict[str, int] = {}
        rows = Household.all_tenants.filter(
            company_id=site.company_id, site_id=site.pk
        ).values_list("id", "building__name", "unit", "room")
        for pk, building, unit, room in rows:
            self.exact[(building, unit, room)] = pk
            key = room_key(building, unit, room)
            self.loose[key] = None if key in self.loose else pk
        buildings = Building.all_tenants.filter(company_id=site.company_id, site_id=site.pk)
        for pk, name in buildings.values_list("id", "name"):
            self.building_names[name] = pk
            key = canon_building(name)
            self.buildings[key] = None if key in self.buildings else pk

    def find(self, building: str, unit: str, room: str) -> int | None:
        pk = self.exact.get((building, unit, room))
        if pk is None:
            pk = self.loose.get(room_key(building, unit, room))
        return pk

    def building(self, name: str) -> int | None:
        """The site's building written this way, if exactly one."""
        pk = self.building_names.get(name)
        return pk if pk is not None else self.buildings.get(canon_building(name))

    def building_ambiguous(self, name: str) -> bool:
        """Two buildings of the site could be meant ("1栋" and "1号楼" for "1")."""
        return (
            name not in self.building_names and self.buildings.get(canon_building(name), 0) is None
        )


# --- adding rooms -------------------------------------------------------------------


def households_add(
    *, site: Site, rooms: Iterable[tuple[str, str, str]], floors: dict[str, int] | None = None
) -> tuple[dict[tuple[str, str, str], int], int]:
    """Register rooms the site does not have yet, adding their buildings; call it inside
    the import's transaction. `rooms` are (building, unit, room) as staff wrote them,
    `floors` an optional floor count per building name. Returns {room_key: household
    id} for the rooms added, and how many buildings were added. A room another import added meanwhile breaks a unique
    constraint, which the caller's transaction turns into a rejection."""
    floors = floors or {}
    rooms = list(rooms)
    index = RoomIndex(site)
    new_buildings: dict[str, Building] = {}
    for building, _unit, _room in rooms:
        key = canon_building(building)
        if index.building(building) is None and key not in new_buildings:
            new_buildings[key] = Building(
                company_id=site.company_id,
                site_id=site.pk,
                name=building,
                floors=max(1, floors.get(building, 1)),
            )
    Building.all_tenants.bulk_create(new_buildings.values(), batch_size=BATCH_SIZE)
    households = []
    keys = []
    for building, unit, room in rooms:
        building_id = index.building(building) or new_buildings[canon_building(building)].pk
        households.append(
            Household(
                company_id=site.company_id,
                site_id=site.pk,
                building_id=building_id,
                unit=unit,
                room=room,
            )
        )
        keys.append(room_key(building, unit, room))
    Household.all_tenants.bulk_create(households, batch_size=BATCH_SIZE)
    added = {key: household.pk for key, household in zip(keys, households, strict=True)}
    return added, len(new_buildings)
