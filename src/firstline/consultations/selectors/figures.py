"""The association's figures of its consultations: how many by category and by region
(open, closed, overdue), the median hours to the first reply and to the resolution,
and satisfaction (the mean rating and how many gave each score). Over the
consultations the desk reads (its associations'), from one query of their columns."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from django.utils.translation import gettext

from firstline.consultations.models import Area, Consultation
from firstline.consultations.selectors.threads import DESK
from firstline.core.scope import Scope


@dataclass
class Row:
    label: str
    total: int = 0
    open: int = 0
    closed: int = 0
    overdue: int = 0
    first_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    @property
    def median_first(self) -> float | None:
        return round(median(self.first_hours), 1) if self.first_hours else None

    @property
    def median_resolve(self) -> float | None:
        return round(median(self.resolve_hours), 1) if self.resolve_hours else None

    @property
    def satisfaction(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None


@dataclass
class Figures:
    total: Row
    by_category: list[Row]
    by_region: list[Row]
    ratings: dict[int, int]


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds() / 3600)


def figures(scope: Scope, *, start: datetime | None = None, end: datetime | None = None) -> Figures:
    qs = Consultation.objects.for_scope(scope.for_perm(DESK))
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    rows = qs.values_list(
        "category__kind",
        "region__name",
        "status",
        "created_at",
        "first_replied_at",
        "resolved_at",
        "rating",
        "first_reply_overdue",
        "resolution_overdue",
    ).order_by()
    labels = dict(Area.choices)
    total = Row(gettext("合计"))
    categories: dict[str, Row] = {k: Row(str(labels[k])) for k in Area.values}
    regions: dict[str, Row] = defaultdict(lambda: Row(""))
    ratings: Counter = Counter()
    for kind, region, status, created, first, resolved, rating, late1, late2 in rows:
        region_row = regions[region]
        region_row.label = region
        for row in (total, categories.setdefault(kind, Row(kind)), region_row):
            row.total += 1
            if status == Consultation.Status.CLOSED:
                row.closed += 1
            elif status in Consultation.OPEN:
                row.open += 1
            if late1 or late2:
                row.overdue += 1
            if (hours := _hours(created, first)) is not None:
                row.first_hours.append(hours)
            if (hours := _hours(created, resolved)) is not None:
                row.resolve_hours.append(hours)
            if rating:
                row.ratings.append(rating)
        if rating:
            ratings[rating] += 1
    return Figures(
        total=total,
        by_category=list(categories.values()),
        by_region=sorted(regions.values(), key=lambda r: (-r.total, r.label)),
        ratings={score: ratings.get(score, 0) for score in range(5, 0, -1)},
    )
