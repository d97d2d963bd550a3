"""The screening rules: a pure function of a declaration's values, its places, the
risk areas in force, the company's rules and a date → a status with its reasons in
words. No database, no clock, so the rules are tested exhaustively (test_rules.py)
and the set-based re-screening in screening.py is proven to agree with them.

A place matches an area when
- the area has a division code and the place's code starts with it, or the area has
  none and its name is contained in the place's name;
- the visit falls within the area's validity (valid_from … valid_until, open-ended
  when valid_until is empty); and
- the visit falls within the look-back window: visited_on > as_of − window_days
  (a visit exactly window_days ago is out).
The area's level maps to a status through the company's rules; a confirmed contact,
a suspected contact, any symptom and a temperature at or above the threshold each
map to a status as well. The result is the worst of all, with a reason for every hit.

Inputs are duck-typed: a DeclarationInput or a Declaration row, PlaceInput or
DeclarationPlace rows, RiskArea rows or `Area` values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from firstline.health.models import Level, Status, Symptom

RANK = {Status.GREEN: 0, Status.YELLOW: 1, Status.RED: 2}
BY_RANK = {rank: status for status, rank in RANK.items()}


@dataclass(frozen=True)
class Area:
    """A risk area as the rules read it (RiskArea rows work the same)."""

    name: str
    level: str
    valid_from: date
    valid_until: date | None = None
    division_code: str = ""


@dataclass(frozen=True)
class Config:
    """A company's screening rules; the defaults apply when it has set none."""

    window_days: int = 14
    fever_threshold: Decimal = Decimal("37.3")
    high_level: str = Status.RED
    medium_level: str = Status.YELLOW
    low_level: str = Status.GREEN
    confirmed_contact: str = Status.RED
    suspected_contact: str = Status.YELLOW
    symptoms: str = Status.YELLOW
    fever: str = Status.RED

    FIELDS = (
        "window_days",
        "fever_threshold",
        "high_level",
        "medium_level",
        "low_level",
        "confirmed_contact",
        "suspected_contact",
        "symptoms",
        "fever",
    )

    @classmethod
    def from_model(cls, row) -> Config:
        if row is None:
            return cls()
        return cls(**{name: getattr(row, name) for name in cls.FIELDS})

    def level_status(self, level: str) -> str:
        return {
            Level.HIGH: self.high_level,
            Level.MEDIUM: self.medium_level,
            Level.LOW: self.low_level,
        }[level]

    def levels_for(self, status: str) -> list[str]:
        """The area levels this company maps to `status` (for the set-based SQL)."""
        return [level for level in Level.values if self.level_status(level) == status]

    def cutoff(self, as_of: date) -> date:
        """Visits on or before this day are outside the window."""
        return as_of - timedelta(days=self.window_days)


DEFAULT_CONFIG = Config()


@dataclass(frozen=True)
class Result:
    status: str
    reasons: tuple[str, ...]


def worst(statuses: Iterable[str]) -> str:
    return BY_RANK[max((RANK[s] for s in statuses), default=0)]


def place_matches(place, area) -> bool:
    """Whether the place lies in the area (by division code prefix, or by name)."""
    if area.division_code:
        return bool(place.division_code) and place.division_code.startswith(area.division_code)
    return area.name in place.place_name


def in_validity(day: date, area) -> bool:
    return area.valid_from <= day and (area.valid_until is None or day <= area.valid_until)


def _visit_reason(place, area, window_days: int) -> str:
    level = str(Level(area.level).label)
    if area.name and area.name not in place.place_name:
        level = _("%(area)s，%(level)s") % {"area": area.name, "level": level}
    return _("到访 %(place)s（%(level)s），%(day)s，%(days)d 天内") % {
        "place": place.place_name,
        "level": level,
        "day": place.visited_on.isoformat(),
        "days": window_days,
    }


def screen(*, declaration, places, areas, config: Config = DEFAULT_CONFIG, as_of: date) -> Result:
    """The status of one declaration and a reason in words for every hit."""
    hits: list[tuple[str, str]] = []  # (status, reason)
    if declaration.contact_confirmed:
        hits.append((config.confirmed_contact, _("接触过确诊病例")))
    if declaration.contact_suspected:
        hits.append((config.suspected_contact, _("接触过疑似病例")))
    symptoms = list(declaration.symptoms or ())
    if symptoms:
        labels = "、".join(
            str(Symptom(s).label) if s in Symptom.values else str(s) for s in symptoms
        )
        hits.append((config.symptoms, _("有症状：%(list)s") % {"list": labels}))
    temperature = declaration.temperature
    if temperature is not None and Decimal(temperature) >= config.fever_threshold:
        hits.append(
            (
                config.fever,
                _("体温 %(t)s℃，达到或超过 %(limit)s℃")
                % {"t": temperature, "limit": config.fever_threshold},
            )
        )
    cutoff = config.cutoff(as_of)
    areas = list(areas)
    for place in sorted(places, key=lambda p: (p.visited_on, p.place_name)):
        if place.visited_on <= cutoff:
            continue
        for area in areas:
            if place_matches(place, area) and in_validity(place.visited_on, area):
                hits.append(
                    (
                        config.level_status(area.level),
                        _visit_reason(place, area, config.window_days),
                    )
                )
    reasons = tuple(dict.fromkeys(reason for _status, reason in hits))
    return Result(status=worst(s for s, _reason in hits), reasons=reasons)
