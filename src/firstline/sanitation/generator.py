"""The daily task generator: plan entries → one day's tasks.

Set-based: the entries are read in one query, the slots computed in Python, and the
rows inserted with bulk_create(ignore_conflicts=True) on the task key (entry, day,
slot, revision); running it again inserts nothing new. A plan edited during the day
bumped its entry's revision: the old revision's tasks still pending and due after
`now` are cancelled (one UPDATE) and the new revision's slots due after `now` are
created; done tasks stay as they are. Entries switched off lose their future
pending tasks the same way. Slots already due are never created: a task that is
late the moment it appears helps no one (the demo history passes an early `now`).

Slots fall in the working day, 08:00 to 20:00 local time, each due at the end of
its window: n times a day → n equal windows; every h hours → windows of h hours
from 08:00, the last one cut at 20:00.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import PlanEntry, Task

DAY_START = time(8, 0)
DAY_HOURS = 12  # 08:00–20:00
CHUNK = 5_000


def slot_offsets(times_per_day: int | None, every_hours: int | None) -> list[timedelta]:
    """Due times of the day's slots, as offsets from the start of the working day."""
    day = timedelta(hours=DAY_HOURS)
    if times_per_day:
        return [day * (n + 1) / times_per_day for n in range(times_per_day)]
    if every_hours:
        count = math.ceil(DAY_HOURS / every_hours)
        return [min(timedelta(hours=every_hours * (n + 1)), day) for n in range(count)]
    return []


def day_start(day: date) -> datetime:
    return datetime.combine(day, DAY_START, tzinfo=ZoneInfo(settings.TIME_ZONE))


def tasks_generate(*, day: date, site_ids=None, now: datetime | None = None) -> dict[str, int]:
    """Make `day`'s tasks for the given sites (all when None). Returns the number of
    task rows offered (new keys; inserted unless a concurrent run got there first)
    and of tasks cancelled."""
    now = now or timezone.now()
    start = day_start(day)
    entries = PlanEntry.all_tenants.all()
    tasks = Task.all_tenants.filter(day=day)
    if site_ids is not None:
        site_ids = list(site_ids)
        entries = entries.filter(site_id__in=site_ids)
        tasks = tasks.filter(site_id__in=site_ids)
    # The cache of offsets per frequency: entries share a handful of frequencies.
    offsets: dict[tuple, list[timedelta]] = {}
    with transaction.atomic():
        cancelled = (
            tasks.filter(state=Task.State.PENDING, due_at__gt=now)
            .filter(Q(entry__active=False) | ~Q(revision=F("entry__revision")))
            .update(state=Task.State.CANCELLED, updated_at=now)
        )
        # The keys already there, read once: the tick re-runs every few minutes and
        # should cost a read, not a rejected insert of the whole day.
        have = set(tasks.values_list("entry_id", "slot", "revision").iterator(chunk_size=CHUNK))
        rows = entries.filter(active=True).values_list(
            "id", "company_id", "site_id", "area_id", "revision", "times_per_day", "every_hours"
        )
        offered = 0
        batch: list[Task] = []
        for entry_id, company_id, site_id, area_id, revision, tpd, every in rows.iterator(
            chunk_size=CHUNK
        ):
            key = (tpd, every)
            if key not in offsets:
                offsets[key] = slot_offsets(tpd, every)
            for slot, offset in enumerate(offsets[key], start=1):
                due = start + offset
                if due <= now or (entry_id, slot, revision) in have:
                    continue
                batch.append(
                    Task(
                        company_id=company_id,
                        site_id=site_id,
                        entry_id=entry_id,
                        area_id=area_id,
                        day=day,
                        slot=slot,
                        revision=revision,
                        due_at=due,
                        state=Task.State.PENDING,
                        created_at=now,
                        updated_at=now,
                    )
                )
            if len(batch) >= CHUNK:
                offered += _insert(batch)
                batch = []
        offered += _insert(batch)
    return {"offered": offered, "cancelled": cancelled}


def _insert(batch: list[Task]) -> int:
    if batch:
        Task.all_tenants.bulk_create(batch, ignore_conflicts=True, batch_size=1000)
    return len(batch)
