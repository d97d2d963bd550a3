"""Reads of the cleaner's phone page: one site's (or one area's) tasks of a day,
grouped by area, in one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from firstline.core.scope import Scope
from firstline.sanitation.models import Area, Task

# A site's day is a few hundred tasks at most (areas × slots); beyond this the page
# says so rather than growing without bound.
MAX_TASKS = 600

TASK_FIELDS = (
    "id",
    "company_id",
    "site_id",
    "area_id",
    "entry_id",
    "day",
    "slot",
    "due_at",
    "state",
    "done_at",
    "source",
    "batch",
    "photo",
    "area__id",
    "area__name",
    "area__kind",
    "area__qr_token",
    "entry__id",
    "entry__title",
    "entry__method",
    "entry__disinfectant",
    "entry__concentration",
    "entry__precautions",
)


@dataclass
class AreaDay:
    area: Area
    tasks: list[Task] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.state == Task.State.DONE)

    @property
    def total(self) -> int:
        return len(self.tasks)


@dataclass
class Day:
    areas: list[AreaDay]
    truncated: bool

    @property
    def done(self) -> int:
        return sum(a.done for a in self.areas)

    @property
    def total(self) -> int:
        return sum(a.total for a in self.areas)


def tasks_query(scope: Scope, day: date, *, site_id: int | None = None, area_id: int | None = None):
    """The scoped tasks of `day` (cancelled ones left out), with area and entry joined."""
    qs = Task.objects.for_scope(scope).filter(day=day).exclude(state=Task.State.CANCELLED)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    if area_id is not None:
        qs = qs.filter(area_id=area_id)
    return (
        qs.select_related("area", "entry")
        .only(*TASK_FIELDS)
        .order_by("area__kind", "area__name", "area_id", "due_at", "id")
    )


def day_by_area(
    scope: Scope, day: date, *, site_id: int | None = None, area_id: int | None = None
) -> Day:
    """One query: the tasks, grouped by area in the order of the query."""
    rows = list(tasks_query(scope, day, site_id=site_id, area_id=area_id)[: MAX_TASKS + 1])
    truncated = len(rows) > MAX_TASKS
    groups: dict[int, AreaDay] = {}
    for task in rows[:MAX_TASKS]:
        group = groups.get(task.area_id)
        if group is None:
            group = groups[task.area_id] = AreaDay(task.area)
        group.tasks.append(task)
    return Day(list(groups.values()), truncated)
