"""The screening rules, table-driven: every boundary of the window, the validity,
the threshold, the level mapping and the matching."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from firstline.health.services.declarations import DeclarationInput, PlaceInput
from firstline.health.services.rules import DEFAULT_CONFIG, Area, Config, screen, worst

AS_OF = date(2020, 2, 3)
JIANGHAN = Area(
    name="武汉市江汉区", level="high", valid_from=date(2020, 1, 1), division_code="420103"
)
MARKET = Area(name="华南海鲜市场", level="medium", valid_from=date(2020, 1, 1))


def visit(days_ago: int, name: str = "武汉市江汉区", code: str = "420103001") -> PlaceInput:
    return PlaceInput(
        place_name=name, visited_on=AS_OF - timedelta(days=days_ago), division_code=code
    )


def status(*, places=(), areas=(JIANGHAN, MARKET), config=DEFAULT_CONFIG, **facts) -> str:
    declaration = DeclarationInput(places=tuple(places), **facts)
    return screen(
        declaration=declaration, places=places, areas=areas, config=config, as_of=AS_OF
    ).status


@pytest.mark.parametrize(
    "places, expected",
    [
        ([], "green"),
        ([visit(0)], "red"),  # today
        ([visit(13)], "red"),  # inside the window
        ([visit(14)], "green"),  # exactly 14 days ago: out
        ([visit(15)], "green"),
        ([visit(3, code="420106")], "green"),  # another district
        ([visit(3, code="4201")], "green"),  # a place coarser than the area does not match
        ([visit(3, code="420103")], "red"),  # the same code
        ([visit(3, name="江汉区某小区", code="")], "green"),  # no code: division areas need one
        ([visit(3, name="武汉华南海鲜市场东区", code="")], "yellow"),  # by name
        ([visit(3, name="华南海鲜", code="")], "green"),  # part of the name is not the name
        ([visit(3, name="华南海鲜市场", code="420106")], "yellow"),  # named area ignores codes
        ([visit(3, name="华南海鲜市场", code="420103")], "red"),  # worst of both
        ([visit(20), visit(2, name="华南海鲜市场", code="")], "yellow"),
    ],
)
def test_places(places, expected):
    assert status(places=places) == expected


@pytest.mark.parametrize(
    "valid_from, valid_until, expected",
    [
        (AS_OF - timedelta(days=5), None, "red"),  # from the visit day on
        (AS_OF - timedelta(days=4), None, "green"),  # listed after the visit
        (AS_OF - timedelta(days=10), AS_OF - timedelta(days=5), "red"),  # last day of validity
        (AS_OF - timedelta(days=10), AS_OF - timedelta(days=6), "green"),  # expired before it
        (AS_OF - timedelta(days=5), AS_OF - timedelta(days=5), "red"),  # a one-day window
    ],
)
def test_validity_window_edges(valid_from, valid_until, expected):
    area = Area("武汉市江汉区", "high", valid_from, valid_until, "420103")
    assert status(places=[visit(5)], areas=[area]) == expected


@pytest.mark.parametrize(
    "temperature, threshold, expected",
    [
        (None, "37.3", "green"),
        ("37.2", "37.3", "green"),
        ("37.3", "37.3", "red"),  # equal to the threshold is a fever
        ("39.0", "37.3", "red"),
        ("37.3", "37.5", "green"),
        ("37.5", "37.5", "red"),
    ],
)
def test_fever_threshold(temperature, threshold, expected):
    t = Decimal(temperature) if temperature else None
    assert status(temperature=t, config=Config(fever_threshold=Decimal(threshold))) == expected


@pytest.mark.parametrize(
    "config, facts, expected",
    [
        (Config(), {"contact_confirmed": True}, "red"),
        (Config(), {"contact_suspected": True}, "yellow"),
        (Config(), {"symptoms": ("cough",)}, "yellow"),
        (Config(confirmed_contact="yellow"), {"contact_confirmed": True}, "yellow"),
        (Config(suspected_contact="green"), {"contact_suspected": True}, "green"),
        (Config(symptoms="red"), {"symptoms": ("fatigue",)}, "red"),
        (Config(fever="yellow"), {"temperature": Decimal("38.0")}, "yellow"),
        (
            Config(),
            {"contact_suspected": True, "symptoms": ("cough",), "contact_confirmed": True},
            "red",
        ),
    ],
)
def test_facts_map_through_the_config(config, facts, expected):
    assert status(config=config, **facts) == expected


@pytest.mark.parametrize(
    "level, config, expected",
    [
        ("high", Config(), "red"),
        ("medium", Config(), "yellow"),
        ("low", Config(), "green"),
        ("high", Config(high_level="yellow"), "yellow"),
        ("medium", Config(medium_level="red"), "red"),
        ("low", Config(low_level="yellow"), "yellow"),
    ],
)
def test_level_mapping(level, config, expected):
    area = Area("武汉市江汉区", level, date(2020, 1, 1), None, "420103")
    assert status(places=[visit(1)], areas=[area], config=config) == expected


@pytest.mark.parametrize(
    "window, days_ago, expected", [(7, 6, "red"), (7, 7, "green"), (21, 20, "red")]
)
def test_window_days_config(window, days_ago, expected):
    assert status(places=[visit(days_ago)], config=Config(window_days=window)) == expected


def test_reasons_in_words_for_every_hit():
    places = (
        PlaceInput("武汉市江汉区", date(2020, 1, 21), "420103"),
        PlaceInput("江汉路步行街", date(2020, 1, 22), "420103002"),
    )
    result = screen(
        declaration=DeclarationInput(
            places=places,
            contact_suspected=True,
            symptoms=("fever", "cough"),
            temperature=Decimal("37.8"),
        ),
        places=places,
        areas=[JIANGHAN, MARKET],
        config=Config(),
        as_of=AS_OF,
    )
    assert result.status == "red"
    assert result.reasons == (
        "接触过疑似病例",
        "有症状：发热、干咳",
        "体温 37.8℃，达到或超过 37.3℃",
        "到访 武汉市江汉区（高风险），2020-01-21，14 天内",
        "到访 江汉路步行街（武汉市江汉区，高风险），2020-01-22，14 天内",
    )


def test_green_has_no_reasons_and_worst_of_nothing_is_green():
    assert screen(declaration=DeclarationInput(), places=(), areas=[], as_of=AS_OF).reasons == ()
    assert worst([]) == "green"
    assert worst(["yellow", "green", "red"]) == "red"
