"""Reads of the cleaner's phone page: one site's (or one area's) tasks of a day,
grouped by area, in one query, and the page's counters after a tap, in one more.

Order: by due time. Within an area its tasks go by due time; the areas go by the
due time of their next task still to do (the most pressing first), and areas with
nothing left to do go last, in the same order by their first task."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

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

    def order_key(self):
        """Next task to do first (its due time), areas with none left after them."""
        pending = [t.due_at for t in self.tasks if t.state != Task.State.DONE]
        if pending:
            return (0, min(pending), self.area.pk)
        return (1, min(t.due_at for t in self.tasks), self.area.pk)


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
    return qs.select_related("area", "entry").only(*TASK_FIELDS).order_by("due_at", "area_id", "id")


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
    return Day(sorted(groups.values(), key=AreaDay.order_key), truncated)


@dataclass(frozen=True)
class Progress:
    """Done of total for the page's counter (site or area) and one area's badge."""

    done: int
    total: int
    area_done: int
    area_total: int


def progress(tasks, day: date, *, site_id: int, area_id: int) -> Progress:
    """The counters a tap changes, from the scoped `tasks`: the site's day and the
    area's, cancelled tasks left out as on the page. One query."""
    done = Q(state=Task.State.DONE)
    in_area = Q(area_id=area_id)
    row = (
        tasks.filter(day=day, site_id=site_id)
        .exclude(state=Task.State.CANCELLED)
        .aggregate(
            total=Count("id"),
            done=Count("id", filter=done),
            area_total=Count("id", filter=in_area),
            area_done=Count("id", filter=in_area & done),
        )
    )
    return Progress(row["done"], row["total"], row["area_done"], row["area_total"])
