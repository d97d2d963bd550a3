# ruff: noqa: S608 - table and column names come from the model's _meta; values are parameters
"""The daily task generator: plan entries → one day's tasks.

Set-based: the entries are read in one query, the slots computed in Python as plain
tuples, and the rows inserted on the connection's cursor with INSERT … ON CONFLICT
(entry, day, slot, revision) DO NOTHING (see `_TaskInsert`); running it again, or two
runs at once, inserts nothing new. A plan edited during the day
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
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from firstline.sanitation.models import PlanEntry, Task

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
        insert = _TaskInsert(day)
        # Per frequency, the slots still to come as (slot, due_at ready for the
        # database): entries share a handful of frequencies, so the due times are
        # computed and adapted a handful of times, not once a row.
        slots_of: dict[tuple, list[tuple[int, object]]] = {}
        tail = insert.tail
        offered = 0
        batch: list[tuple] = []
        for entry_id, company_id, site_id, area_id, revision, tpd, every in rows.iterator(
            chunk_size=CHUNK
        ):
            slots = slots_of.get((tpd, every))
            if slots is None:
                slots = slots_of[(tpd, every)] = [
                    (slot, insert.due(start + offset))
                    for slot, offset in enumerate(slot_offsets(tpd, every), start=1)
                    if start + offset > now
                ]
            for slot, due in slots:
                if (entry_id, slot, revision) in have:
                    continue
                # The row in _TaskInsert's column order: the varying values, then the
                # constant tail (day, state, timestamps, empty fields) shared by all.
                batch.append((company_id, site_id, entry_id, area_id, slot, revision, due, *tail))
            if len(batch) >= CHUNK:
                offered += insert(batch)
                batch = []
        offered += insert.finish(batch)
    return {"offered": offered, "cancelled": cancelled}


class _TaskInsert:
    """The day's task rows written on Django's connection, in chunks, inside the
    caller's transaction, skipping keys already there:

        INSERT INTO sanitation_task (…) VALUES (…)
        ON CONFLICT (entry_id, day, slot, revision) DO NOTHING

    Why not bulk_create(ignore_conflicts=True): it builds a model instance per row and
    runs every field's pre_save and get_db_prep_save on each (18 fields × 135,000
    rows for the wuhan-scale day), many times the cost of the insert itself. Here the
    values that are the same for every row are prepared once, by the fields
    themselves (get_db_prep_save: the backend's adapt_datefield_value /
    adapt_datetimefield_value, so SQLite gets its UTC text and PostgreSQL aware
    datetimes), and the due times once per distinct value (see `due`).

    The conflict target is the task key (the sanitation_task_slot_uniq constraint):
    the same idempotence as before, and under concurrency the second run waits for
    the first's rows and skips them. Every other constraint still raises, as it
    should (bulk_create's bare ON CONFLICT DO NOTHING / INSERT OR IGNORE would have
    hidden those too).

    SQLite: executemany (one prepared statement, stepped per row in C). PostgreSQL,
    once a run has a full chunk: COPY into a temporary table, then one INSERT …
    SELECT … ON CONFLICT DO NOTHING at the end. Measured on the --quick bench (13,692
    rows, loaded 2-CPU machine, best/median of 5): executemany 1.08/1.34 s (psycopg's
    pipelined executemany, but each row still a statement with its own speculative
    insert), the same on a server-binding cursor 1.04/1.06 s, COPY + INSERT … SELECT
    0.50/0.53 s, against the raw driver's plain executemany 0.55/0.67 s and COPY
    0.40/0.46 s. A small run (the tick after a plan edit: under one chunk) skips the
    temporary table and uses executemany.

    Row values match what Task(...) + bulk_create stored: the varying columns given;
    day; state pending; created_at and updated_at the insert's wall-clock time (as
    auto_now_add/auto_now's pre_save set them, not the `now` argument); every other
    column its field default."""

    # The columns that differ from row to row, first, in the order the caller builds
    # its tuples; `tail` holds the rest, prepared once.
    VARYING = ("company", "site", "entry", "area", "slot", "revision", "due_at")
    STAGE = "sanitation_task_new"  # the temporary table (PostgreSQL)

    def __init__(self, day: date) -> None:
        fields = [f for f in Task._meta.concrete_fields if not f.primary_key]
        by_name = {f.name: f for f in fields}
        stamp = timezone.now()
        given = {"day": day, "state": Task.State.PENDING, "created_at": stamp, "updated_at": stamp}
        rest = [f for f in fields if f.name not in self.VARYING]
        self.tail = tuple(
            f.get_db_prep_save(given[f.name] if f.name in given else f.get_default(), connection)
            for f in rest
        )
        self._due_field = by_name["due_at"]
        qn = connection.ops.quote_name
        self.table = qn(Task._meta.db_table)
        self.columns = ", ".join(qn(f.column) for f in [by_name[n] for n in self.VARYING] + rest)
        key = next(c for c in Task._meta.constraints if c.name == "sanitation_task_slot_uniq")
        self.on_conflict = (
            f"ON CONFLICT ({', '.join(qn(by_name[n].column) for n in key.fields)}) DO NOTHING"
        )
        marks = ", ".join("%s" for _c in [*self.VARYING, *rest])
        self.sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks}) {self.on_conflict}"
        self.copy = connection.vendor == "postgresql"
        self.staged = False

    def due(self, value: datetime):
        return self._due_field.get_db_prep_save(value, connection)

    def __call__(self, batch: list[tuple]) -> int:
        """A full chunk; more may follow."""
        if self.copy:
            self._stage(batch)
        else:
            self._executemany(batch)
        return len(batch)

    def finish(self, batch: list[tuple]) -> int:
        """The last (partial) chunk, and the staged rows moved into the table."""
        if not self.staged:
            self._executemany(batch)
            return len(batch)
        self._stage(batch)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) "
                f"SELECT {self.columns} FROM {self.STAGE} {self.on_conflict}"
            )
            # Dropped now, not left to the session: a pooled connection may run the
            # generator again in the same transaction (the tick does two days).
            cursor.execute(f"DROP TABLE {self.STAGE}")
        return len(batch)

    def _executemany(self, batch: list[tuple]) -> None:
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, batch)

    def _stage(self, batch: list[tuple]) -> None:
        with connection.cursor() as cursor:
            if not self.staged:
                # Same column types as the table; no indexes or constraints to check
                # while copying. Created inside the transaction, so a failure rolls
                # it back with the rest.
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {self.STAGE} AS "
                    f"SELECT {self.columns} FROM {self.table} WITH NO DATA"
                )
                self.staged = True
            if batch:
                with cursor.cursor.copy(f"COPY {self.STAGE} ({self.columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
