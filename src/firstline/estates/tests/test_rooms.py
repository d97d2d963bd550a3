"""Rooms are found however staff write them: the gate's lookup, the resident and
household searches and the imports all read "1栋1单元101", "3-1-1103", "1栋-1-101",
"１号楼101室" and a bare "301" the same way."""

import pytest

from firstline.estates.models import Building, Household, Resident
from firstline.estates.selectors import household_search_q, resident_search_q
from firstline.estates.services.rooms import parse_room, room_key
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("term", "parts"),
    [
        ("1栋1单元301", ("1", "1", "301")),
        ("1栋-1-301", ("1", "1", "301")),
        ("3-1-1103", ("3", "1", "1103")),
        ("1号楼2单元301室", ("1", "2", "301")),
        ("１栋 １单元 ３０１", ("1", "1", "301")),
        ("A座1001", ("A", None, "1001")),
        ("a座-1001", ("A", None, "1001")),
        ("3-502", ("3", None, "502")),
        ("1幢101", ("1", None, "101")),
        ("1栋—1—301", ("1", "1", "301")),
        ("301", None),
        ("张伟", None),
        ("", None),
    ],
)
def test_parse_room_reads_every_usual_spelling(term, parts):
    assert parse_room(term) == parts


def test_room_key_makes_spellings_equal():
    assert room_key("1号楼", "2单元", "301室") == room_key("1栋", "2", "301") == ("1", "2", "301")
    assert room_key("１幢", "", "３０１") == ("1", "", "301")


@pytest.mark.parametrize(
    "term", ["1栋1单元301", "1栋-1-301", "1-1-301", "1号楼1单元301室", "１栋１单元３０１", "301"]
)
def test_resident_search_finds_the_room_however_written(world, term):
    a = world.a
    found = set(
        Resident.all_tenants.filter(site=a.site)
        .filter(resident_search_q(term))
        .values_list("pk", flat=True)
    )
    assert {r.pk for r in a.residents} <= found


def test_unit_distinguishes_rooms_and_household_search_reads_rooms(world):
    a = world.a
    other_unit = Household.all_tenants.create(
        company=a.company, site=a.site, building=a.building, unit="2", room="301"
    )
    households = Household.all_tenants.filter(site=a.site)
    assert list(households.filter(household_search_q("1栋2单元301"))) == [other_unit]
    assert set(households.filter(household_search_q("1-301"))) == {a.household, other_unit}
    assert not households.filter(household_search_q("9栋1单元301")).exists()
    b3 = Building.all_tenants.create(company=a.company, site=a.site, name="3号楼")
    hh = Household.all_tenants.create(
        company=a.company, site=a.site, building=b3, unit="1", room="1103室"
    )
    assert list(households.filter(household_search_q("3-1-1103"))) == [hh]


def test_the_gate_lookup_api_finds_the_printed_room_form(client, world):
    """The guard types what the page prints (1栋1单元301) or the hint's form (1-1-301)."""
    a = world.a
    client.login(username=a.users["guard"].username, password=PASSWORD)
    for term in ("1栋1单元301", "1-1-301", "1栋-1-301"):
        page = client.get("/api/v1/residents", {"q": term, "site_id": a.site.pk}).json()
        assert {item["id"] for item in page["items"]} == {r.pk for r in a.residents}, term
