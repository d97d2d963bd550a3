"""Compliance figures: how much of the disinfection that was due got done.

Compliance = done ÷ due, where a task counts when it is not cancelled and either
its due time has passed (so a past day counts whole) or it is already done (a task
done ahead of its slot counts for the cleaner who did it: without that, finishing
the 18:00 round at 17:30 would leave the figure unchanged until 18:00). A task done
after its due time is done-late: on-time and late are reported apart.

Every figure is one aggregate query over a scoped Task queryset (values + Count),
so what a page costs does not grow with the number of tasks or days. Callers pass
the queryset they got from `Task.objects.for_scope(...)`; nothing here widens it.

The overdue alerts are acknowledged with core.services.alert_acknowledge, the
same conditional write as the gate's and the health alerts'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from firstline.sanitation.models import Task

DEFAULT_DAYS = 14  # the compliance pages' default range: the last two weeks
MAX_DAYS = 92  # a quarter: the longest range a page or an export accepts


@dataclass(frozen=True)
class Figure:
    """The counts behind one compliance percentage."""

    due: int = 0
    done: int = 0
    late: int = 0

    @property
    def on_time(self) -> int:
        return self.done - self.late

    @property
    def missed(self) -> int:
        """Due and not done (overdue today, missed on a past day)."""
        return self.due - self.done

    @property
    def percent(self) -> float | None:
        """Done ÷ due in percent, one decimal; None when nothing was due."""
        return round(self.done * 100 / self.due, 1) if self.due else None

    @property
    def on_time_percent(self) -> float | None:
        return round(self.on_time * 100 / self.due, 1) if self.due else None

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.due + other.due, self.done + other.done, self.late + other.late)


EMPTY = Figure()


def counted(now: datetime) -> Q:
    """The tasks a compliance figure counts at `now` (see the module docstring)."""
    return ~Q(state=Task.State.CANCELLED) & (Q(due_at__lte=now) | Q(state=Task.State.DONE))


def _aggregates(done_within_day: bool = False) -> dict:
    done = Q(state=Task.State.DONE)
    if done_within_day:  # done by the end of the task's own local day
        done &= Q(done_day__lte=F("day"))
    return {
        "due": Count("id"),
        "done": Count("id", filter=done),
        "late": Count("id", filter=done & Q(done_at__gt=F("due_at"))),
    }


def _grouped(
    tasks: QuerySet, keys: tuple[str, ...], *, now: datetime, done_within_day: bool = False
) -> dict[tuple, Figure]:
    tasks = tasks.filter(counted(now))
    if done_within_day:
        tasks = tasks.annotate(
            done_day=TruncDate("done_at", tzinfo=timezone.get_default_timezone())
        )
    rows = tasks.order_by().values(*keys).annotate(**_aggregates(done_within_day))
    return {
        tuple(row[k] for k in keys): Figure(row["due"], row["done"], row["late"]) for row in rows
    }


def by_site_day(
    tasks: QuerySet,
    *,
    start: date,
    end: date,
    now: datetime | None = None,
    done_within_day: bool = False,
) -> dict[tuple[int, date], Figure]:
    """{(site_id, day): Figure} for the days start..end inclusive: one query. With
    `done_within_day` (the daily report), a task counts as done only if it was done
    by the end of its own local day: the day as it ended, not as it looks later."""
    now = now or timezone.now()
    return _grouped(
        tasks.filter(day__range=(start, end)),
        ("site_id", "day"),
        now=now,
        done_within_day=done_within_day,
    )


def by_area_day(
    tasks: QuerySet, *, start: date, end: date, now: datetime | None = None
) -> dict[tuple[int, date], Figure]:
    """{(area_id, day): Figure}; narrow `tasks` to one site first. One query."""
    now = now or timezone.now()
    return _grouped(tasks.filter(day__range=(start, end)), ("area_id", "day"), now=now)


def by_site(tasks: QuerySet, *, day: date, now: datetime | None = None) -> dict[int, Figure]:
    """{site_id: Figure} for one day: one query."""
    now = now or timezone.now()
    grouped = _grouped(tasks.filter(day=day), ("site_id",), now=now)
    return {key[0]: figure for key, figure in grouped.items()}


def total(tasks: QuerySet, *, day: date, now: datetime | None = None) -> Figure:
    """All of `tasks` on one day as one figure: one query (the dashboards' card)."""
    now = now or timezone.now()
    row = tasks.filter(day=day).filter(counted(now)).aggregate(**_aggregates())
    return Figure(row["due"], row["done"], row["late"])


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def default_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


# --- overdue ---------------------------------------------------------------------------


def overdue(tasks: QuerySet, *, now: datetime | None = None) -> QuerySet:
    """Pending tasks past their due time, oldest first, with what the list shows."""
    now = now or timezone.now()
    return (
        tasks.filter(state=Task.State.PENDING, due_at__lt=now)
        .select_related("site", "area", "entry")
        .order_by("due_at", "id")
    )


def alert_list(alerts: QuerySet) -> QuerySet:
    """The alert list's joins and order: open first, newest first."""
    return alerts.select_related(
        "site", "task", "task__area", "task__entry", "acknowledged_by"
    ).order_by(F("acknowledged_at").asc(nulls_first=True), "-created_at", "-id")
