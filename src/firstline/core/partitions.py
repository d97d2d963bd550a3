# ruff: noqa: S608 - table, partition and column names come from the models; bounds are dates we make
"""Monthly partitions on PostgreSQL for the tables that grow by the day.

A table registered here (an app does it in its AppConfig.ready(), with the column
that dates a row) is, on PostgreSQL, a parent partitioned by range of that column:
one child table a calendar month, named `<table>_yYYYYmMM`, and a DEFAULT child for
rows outside every month (a device whose clock is years off, rows older than the
months made when the table was converted). Month boundaries are midnights in the
platform's zone (settings.TIME_ZONE), so a local day is never split between two
months.

- The conversion is a migration operation (`PartitionByMonth`): the table is rebuilt
  as a partitioned one, its rows copied, its indexes and constraints made again, the
  primary key widened to (id, column) as PostgreSQL requires (every unique index of a
  partitioned table holds the partition key). Nothing may reference the table by
  foreign key: such a key needs a unique index on the referenced column alone.
- `ensure_ahead` makes the coming months' children before rows arrive (the scheduled
  job `partitions_ahead`, daily). A row of a month with no child yet lands in
  DEFAULT; when the month's child is made later, its rows move over, in the same
  transaction.
- `drop_months_before` is the retention: a month entirely older than the cutoff is
  detached and dropped, milliseconds whatever its size, where deleting its rows
  took minutes and left the table to vacuum. A callback sees the detached month
  first, to keep what must stay (it is inserted back through the parent and lands in
  DEFAULT, the month's range being no longer covered) and to delete what hangs on it.
- A query that bounds the column reads only the months it names (partition pruning;
  `tests/platform/test_partitions.py` checks the plan).

SQLite has no partitions: there every function here does nothing, and the purges
delete rows as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.migrations.operations.base import Operation
from django.utils import timezone

MONTHS_AHEAD = 3  # children made ahead of today's month
MONTHS_BACK = 24  # at conversion, older rows go to DEFAULT rather than a child each


@dataclass(frozen=True)
class Monthly:
    """A model whose table is partitioned by month of `field` on PostgreSQL."""

    model: str  # "app_label.ModelName"
    field: str

    @property
    def table(self) -> str:
        return apps.get_model(self.model)._meta.db_table

    @property
    def column(self) -> str:
        return apps.get_model(self.model)._meta.get_field(self.field).column

    @property
    def dated(self) -> bool:
        """True for a DateField, False for a DateTimeField."""
        return _is_date(apps.get_model(self.model)._meta.get_field(self.field))


REGISTRY: dict[str, Monthly] = {}


def register(model: str, field: str) -> None:
    REGISTRY[model] = Monthly(model, field)


def of(model: str) -> Monthly:
    return REGISTRY[model]


# --- months and names --------------------------------------------------------------------------


def _is_date(field) -> bool:
    return isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)


def add_months(day: date, n: int) -> date:
    """The first day of the month n months after day's (n may be negative)."""
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _next(month: date) -> date:
    return add_months(month, 1)


def months(first: date, last: date) -> Iterator[date]:
    """The first days of the months from first's to last's, both included."""
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = _next(month)


def child_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _bound(month: date, dated: bool) -> str:
    """The SQL literal of a month's first moment: a date, or local midnight."""
    if dated:
        return f"'{month.isoformat()}'"
    midnight = datetime(month.year, month.month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return f"'{midnight.isoformat()}'::timestamptz"


def _range(column: str, month: date, dated: bool) -> str:
    return f"{column} >= {_bound(month, dated)} AND {column} < {_bound(_next(month), dated)}"


def _month_start(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)).date()
    return moment.replace(day=1)


# --- what is there ------------------------------------------------------------------------------


def active() -> bool:
    return connection.vendor == "postgresql"


def is_partitioned(table: str, cursor=None) -> bool:
    if cursor is None and not active():
        return False
    with connection.cursor() if cursor is None else nullcontext(cursor) as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cur.fetchone()
    return row is not None and row[0] == "p"


_CHILD = re.compile(r"_y(\d{4})m(\d{2})$")


def _child_names(cur, table: str) -> list[str]:
    """Every child table of `table` (DEFAULT included)."""
    cur.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = to_regclass(%s)",
        [table],
    )
    return [name for (name,) in cur.fetchall()]


def children(table: str, cursor=None) -> dict[date, str]:
    """The month children of a partitioned table: {first day of month: name}."""
    with connection.cursor() if cursor is None else nullcontext(cursor) as cur:
        names = _child_names(cur, table)
    found = {}
    for name in names:
        match = _CHILD.search(name)
        if match and name == child_name(table, date(int(match[1]), int(match[2]), 1)):
            found[date(int(match[1]), int(match[2]), 1)] = name
    return found


def holding(table: str, pk: int) -> str | None:
    """The child that holds the row `pk` of a partitioned table (None: no such row),
    for an operator checking where a row went, and for the tests."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        row = cur.fetchone()
    return row[0] if row else None


# --- making months ------------------------------------------------------------------------------


def _month_child(name: str, parent: str, month: date, dated: bool) -> str:
    """The DDL of a month's child table."""
    return (
        f"CREATE TABLE {name} PARTITION OF {parent}"
        f" FOR VALUES FROM ({_bound(month, dated)}) TO ({_bound(_next(month), dated)})"
    )


def _make_month(cur, table: str, column: str, month: date, dated: bool) -> None:
    """Make one month's child; rows of that month waiting in DEFAULT move into it.
    PostgreSQL refuses a child whose range DEFAULT holds rows of, so they are taken
    out first, in the same transaction."""
    default, where = default_name(table), _range(column, month, dated)
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {where})")
    waiting = cur.fetchone()[0]
    if waiting:
        cur.execute(
            f"CREATE TEMP TABLE _moving ON COMMIT DROP AS SELECT * FROM {default} WHERE {where}"
        )
        cur.execute(f"DELETE FROM {default} WHERE {where}")
    cur.execute(_month_child(child_name(table, month), table, month, dated))
    if waiting:
        cur.execute(f"INSERT INTO {table} SELECT * FROM _moving")
        cur.execute("DROP TABLE _moving")


def ensure_months(spec: Monthly, first: date, last: date) -> list[str]:
    """Make the children of the months first..last that are missing; their names."""
    if not is_partitioned(spec.table):
        return []
    made = []
    have = children(spec.table)
    for month in months(first, last):
        if month not in have:
            with transaction.atomic(), connection.cursor() as cur:
                _make_month(cur, spec.table, spec.column, month, spec.dated)
            made.append(child_name(spec.table, month))
    return made


def ensure_ahead(*, today: date | None = None, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Every registered table: this month's child and the next `ahead` months'."""
    today = today or timezone.localdate()
    last = add_months(today, ahead)
    made = []
    for spec in REGISTRY.values():
        made += ensure_months(spec, today, last)
    return made


# --- dropping months ----------------------------------------------------------------------------


@dataclass
class Dropped:
    name: str
    month: date
    rows: int  # the planner's estimate (pg_class.reltuples): counting would read the month
    kept: int  # rows the callback put back (exact)


def drop_months_before(
    spec: Monthly, cutoff: datetime | date, *, keep: Callable[[object, str], int] | None = None
) -> list[Dropped]:
    """Detach and drop every month whose last moment is before `cutoff`.

    `keep(cursor, child)` runs with the month detached, in the same transaction: it
    deletes what hangs on the month's rows and inserts back through the parent the
    rows that must stay, returning how many. Each month is its own short transaction
    (the detach locks the parent, briefly)."""
    if not is_partitioned(spec.table):
        return []
    limit = _month_start(cutoff)
    dropped = []
    for month, name in sorted(children(spec.table).items()):
        if _next(month) > limit:
            continue
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [name]
            )
            rows = max(cur.fetchone()[0], 0)
            cur.execute(f"ALTER TABLE {spec.table} DETACH PARTITION {name}")
            kept = keep(cur, name) if keep is not None else 0
            # Deferred foreign-key checks of rows written earlier in this transaction
            # (none in the scheduled purge) must run before their table can go.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(f"DROP TABLE {name}")
        dropped.append(Dropped(name=name, month=month, rows=rows, kept=kept))
    return dropped


# --- the conversion -----------------------------------------------------------------------------


def _rebuild(cur, table: str, pk: str, column: str | None, dated: bool, today: date) -> None:
    """Rebuild `table` partitioned by month of `column` (or, column None, as a plain
    table again): same columns, rows, indexes and constraints; the primary key
    (pk, column) when partitioned, (pk) when not. (Rows are copied with SELECT *: a
    table with a generated column would need its columns named.)"""
    cur.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE confrelid = %s::regclass",
        [table],
    )
    incoming = cur.fetchall()
    if incoming:
        raise RuntimeError(f"{table} is referenced by foreign keys {incoming}: drop them first")
    cur.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass ORDER BY contype, conname",
        [table],
    )
    constraints = cur.fetchall()
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
        [table],
    )
    indexes = cur.fetchall()
    cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
    sequence = cur.fetchone()[0]
    last = None
    if sequence:
        cur.execute(f"SELECT last_value, is_called FROM {sequence}")
        last = cur.fetchone()

    new = f"{table}__rebuilt"
    like = "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE"
    partitioned = f" PARTITION BY RANGE ({column})" if column else ""
    cur.execute(f"CREATE TABLE {new} (LIKE {table} {like}){partitioned}")
    if column:
        cur.execute(f"CREATE TABLE {default_name(table)}__rebuilt PARTITION OF {new} DEFAULT")
        cur.execute(f"SELECT min({column}) FROM {table}")
        oldest = cur.fetchone()[0]
        first = _month_start(oldest) if oldest is not None else today.replace(day=1)
        floor, ahead = add_months(today, -MONTHS_BACK), add_months(today, MONTHS_AHEAD)
        for month in months(max(first, floor), ahead):
            cur.execute(_month_child(f"{child_name(table, month)}__rebuilt", new, month, dated))
    cur.execute(f"INSERT INTO {new} SELECT * FROM {table}")
    cur.execute(f"DROP TABLE {table}")
    cur.execute(f"ALTER TABLE {new} RENAME TO {table}")
    for child in _child_names(cur, table):
        cur.execute(f"ALTER TABLE {child} RENAME TO {child.removesuffix('__rebuilt')}")
    if sequence:
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        made = cur.fetchone()[0]
        cur.execute(f"ALTER SEQUENCE {made} RENAME TO {sequence.split('.')[-1].strip(chr(34))}")
        if last is not None:
            cur.execute("SELECT setval(%s, %s, %s)", [sequence, *last])
    for name, kind, definition in constraints:
        if kind == "p":
            key = f"{pk}, {column}" if column else pk
            definition = f"PRIMARY KEY ({key})"
        cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _name, definition in indexes:
        cur.execute(definition)


class PartitionByMonth(Operation):
    """Migration operation: on PostgreSQL, rebuild a model's table partitioned by
    month of `field` (module docstring). Elsewhere it does nothing. Reversible: the
    way back rebuilds the plain table."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name: str, field: str):
        self.model_name = model_name
        self.field = field

    def state_forwards(self, app_label, state):
        pass  # the models do not change, only how PostgreSQL stores the table

    def _args(self, app_label, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field)
        return model._meta.db_table, model._meta.pk.column, field.column, _is_date(field)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table, pk, column, dated = self._args(app_label, to_state)
        with schema_editor.connection.cursor() as cur:
            if not is_partitioned(table, cur):
                _rebuild(cur, table, pk, column, dated, timezone.localdate())

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table, pk, _column, dated = self._args(app_label, to_state)
        with schema_editor.connection.cursor() as cur:
            if is_partitioned(table, cur):
                _rebuild(cur, table, pk, None, dated, timezone.localdate())

    def describe(self):
        return f"Partition {self.model_name} by month of {self.field} (PostgreSQL)"

    @property
    def migration_name_fragment(self):
        return f"partition_{self.model_name.lower()}"

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.field], {}
