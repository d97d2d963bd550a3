"""The figures of a daily report, for one local day and many sites at once.

Set-based: a fixed number of aggregate queries grouped by site (and local day),
whatever the number of sites (5 here + health.daily's 7 + one per day + one for
sanitation + one for stock), never a query per site. Many days are computed in one
pass (the demo's 30 days, the tick's yesterday and today). A system computation across tenants (the prefill job and the
submission both call it for sites already chosen), so it reads `all_tenants`.

What each figure counts ("the day" is the local day, settings.TIME_ZONE: from its
00:00 to the next day's 00:00 in Asia/Shanghai, never the UTC date; every bound is
an aware datetime from `day_bounds`, and grouping is by TruncDate in that zone, never
a `__date` lookup). A report refreshed or submitted the next morning counts the day
as it ended, not what happened since:

- residents, households: the site's Resident / Household rows now (current counts;
  a report refreshed later shows the roll at that moment: the roll keeps no history
  of who moved out when).
- staff_on_duty: the site's Staff with on_duty=True now (no duty history either).
- entries / exits: access.AccessEvent with decision ADMIT and direction in / out
  whose **device_time** is in the day. Device time is when the person passed the
  gate; a device that was offline uploads its batch later, and server time would
  move a night's passages into the next day. It is also what the gate's own
  statistics and the outing quotas count by, and what the (company, site,
  device_time) index serves.
- denied / referred: AccessEvents with decision DENY / REFER (either direction),
  device_time in the day.
- fevers: the fever Alerts (access.Alert kind FEVER) of events whose device_time is
  in the day. An alert is raised exactly when the gate decision saw a temperature at
  or over the threshold of the policy in force then (access/services/decision.py
  `Outcome.fever`), so counting alerts applies each moment's own threshold without
  re-deciding the policy version here; one alert per event (unique constraint).
- declarations, declarations_green/yellow/red, isolation_new/active/released,
  support_requested, support_done: `health.daily.daily_counts_compute` for the day,
  the same definitions as HealthDailyCount (declarations submitted in the day by
  status at submission; cases started that day, active at the day's end, released in
  the day; support requests made / done in the day).
- sanitation_due / sanitation_done: `sanitation.compliance.by_site_day` for the
  day at `now` (due = the day's tasks not cancelled whose due time has passed or
  that are done; done = those done, on time or late, by the end of the day: a task
  of the 6th done on the morning of the 7th is missed on the 6th's report).
- stock: `supplies.stock.site_stock_days` — units on hand at the site at the end of
  the day (now, for today), by item code: the balances less the ledger's moves of
  later days, so a receipt on the 7th is not in the 6th's stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, Decision, Direction
from firstline.estates.models import Household, Resident, Staff
from firstline.health.services.daily import daily_counts_compute, start_of
from firstline.reports.models import FIGURES
from firstline.sanitation.models import Task
from firstline.sanitation.selectors import compliance
from firstline.supplies.selectors.stock import site_stock_days

# health.daily's names → the report's.
HEALTH_FIGURES = {
    "declarations": "declarations",
    "green": "declarations_green",
    "yellow": "declarations_yellow",
    "red": "declarations_red",
    "isolation_new": "isolation_new",
    "isolation_active": "isolation_active",
    "isolation_released": "isolation_released",
    "support_requested": "support_requested",
    "support_done": "support_done",
}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the local day as aware datetimes."""
    return start_of(day), start_of(day + timedelta(days=1))


def _grouped(qs, site_ids: list[int], field: str | None, **aggregates):
    """Rows of `qs` per site (and per local day of the datetime `field`)."""
    qs = qs.filter(site_id__in=site_ids).order_by()
    if field is None:
        return qs.values("site_id").annotate(**aggregates)
    local_day = TruncDate(field, tzinfo=timezone.get_default_timezone())
    return qs.annotate(d=local_day).values("site_id", "d").annotate(**aggregates)


def figures_compute(
    day: date, site_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, dict]:
    """{site id: {figure: int for each FIGURES, "stock": {item code: units}}} for the
    day, every site given (zeros where nothing happened)."""
    figures = figures_compute_days([day], site_ids, now=now)
    return {pk: values for (pk, _day), values in figures.items()}


def figures_compute_days(
    days: Iterable[date], site_ids: Iterable[int], *, now: datetime | None = None
) -> dict[tuple[int, date], dict]:
    """{(site id, day): figures} for every site and day given, in one pass over the
    days' span: the same number of queries for one day or thirty (but the health
    counts' "active at the day's end", one grouped query per day)."""
    days = sorted(set(days))
    ids = sorted(set(site_ids))
    out = {(pk, d): {**dict.fromkeys(FIGURES, 0), "stock": {}} for pk in ids for d in days}
    if not ids or not days:
        return out
    now = now or timezone.now()
    start, end = start_of(days[0]), start_of(days[-1] + timedelta(days=1))

    def put(pk, day, values):
        if (pk, day) in out:
            out[(pk, day)].update(values)

    # Current counts: the same for every day asked for.
    for name, model, extra in (
        ("residents", Resident, Q()),
        ("households", Household, Q()),
        ("staff_on_duty", Staff, Q(on_duty=True)),
    ):
        for row in _grouped(model.all_tenants.filter(extra), ids, None, n=Count("id")):
            for day in days:
                put(row["site_id"], day, {name: row["n"]})

    events = AccessEvent.all_tenants.filter(device_time__gte=start, device_time__lt=end)
    admit = Q(decision=Decision.ADMIT)
    for row in _grouped(
        events,
        ids,
        "device_time",
        entries=Count("id", filter=admit & Q(direction=Direction.IN)),
        exits=Count("id", filter=admit & Q(direction=Direction.OUT)),
        denied=Count("id", filter=Q(decision=Decision.DENY)),
        referred=Count("id", filter=Q(decision=Decision.REFER)),
    ):
        pk, day = row.pop("site_id"), row.pop("d")
        put(pk, day, row)

    fevers = Alert.all_tenants.filter(
        kind=Alert.Kind.FEVER, event__device_time__gte=start, event__device_time__lt=end
    )
    for row in _grouped(fevers, ids, "event__device_time", n=Count("id")):
        put(row["site_id"], row["d"], {"fevers": row["n"]})

    for (_company, pk, day), counts in daily_counts_compute(days, site_ids=ids).items():
        put(pk, day, {ours: counts[theirs] for theirs, ours in HEALTH_FIGURES.items()})

    tasks = Task.all_tenants.filter(site_id__in=ids)
    for (pk, day), figure in compliance.by_site_day(
        tasks, start=days[0], end=days[-1], now=now, done_within_day=True
    ).items():
        put(pk, day, {"sanitation_due": figure.due, "sanitation_done": figure.done})

    for (pk, day), stock in site_stock_days(ids, days, now=now).items():
        put(pk, day, {"stock": stock})
    return out
