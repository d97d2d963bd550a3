"""Gate events partitioned by month on PostgreSQL (core/partitions.py): a day's gate
log reads one month, the purge drops whole months and keeps the officer's open work,
a month made late takes its rows out of DEFAULT, and the conversion keeps every row,
index, constraint and the id sequence. SQLite has no partitions: skipped there."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, FollowUp
from firstline.access.selectors import monitor
from firstline.access.services import retention
from firstline.access.tests.test_retention import publish, record
from firstline.core import partitions

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)
EVENTS = AccessEvent._meta.db_table
SPEC = partitions.of("access.AccessEvent")  # as the access app registers it


def test_the_event_table_is_partitioned_with_the_coming_months_made(db):
    assert partitions.Monthly("access.AccessEvent", "device_time") == SPEC
    assert partitions.is_partitioned(EVENTS)
    today = timezone.localdate()
    have = partitions.children(EVENTS)
    for month in partitions.months(today, partitions.add_months(today, partitions.MONTHS_AHEAD)):
        assert month in have, month


def test_a_days_gate_log_reads_only_that_days_month(world):
    publish(world.a.site)
    event = record(world.a.site, world.a.residents[0], ago=timedelta(minutes=5))
    day = timezone.localdate(event.device_time)
    assert partitions.holding(EVENTS, event.pk) == partitions.child_name(EVENTS, day)
    log = monitor.event_list(
        monitor.event_filter(AccessEvent.all_tenants.all(), site_id=world.a.site.pk, day=day)
    )
    plan = log.explain()
    read = {p for p in partitions.children(EVENTS).values() if p in plan}
    assert read == {partitions.child_name(EVENTS, day)}, plan
    assert partitions.default_name(EVENTS) not in plan
    assert list(log) == [event]


def test_a_month_made_late_takes_its_rows_out_of_default(world):
    publish(world.a.site)
    later = partitions.add_months(timezone.localdate(), partitions.MONTHS_AHEAD + 2)
    ahead = timedelta(days=(later - timezone.localdate()).days + 3)  # into `later`'s month
    event = record(world.a.site, world.a.residents[0], ago=-ahead)
    assert partitions.holding(EVENTS, event.pk) == partitions.default_name(EVENTS)
    made = partitions.ensure_months(SPEC, later, later)
    assert made == [partitions.child_name(EVENTS, later)]
    assert partitions.holding(EVENTS, event.pk) == made[0]
    assert partitions.ensure_months(SPEC, later, later) == []  # once


def test_the_purge_drops_whole_months_and_keeps_open_work(world):
    """Months made back to a year ago: the old rows land in them, and the purge drops
    every month wholly before its cutoff instead of deleting their rows."""
    today = timezone.localdate()
    partitions.ensure_months(SPEC, partitions.add_months(today, -13), today)
    site, first, second = world.a.site, *world.a.residents
    publish(site)
    long_ago = timedelta(days=200)
    plain = record(site, first, ago=long_ago)
    done = record(site, second, ago=long_ago, temperature="38.6")
    Alert.all_tenants.filter(event=done).update(acknowledged_at=timezone.now())
    FollowUp.all_tenants.filter(event=done).update(status=FollowUp.Status.DONE)
    still_open = record(site, first, ago=long_ago, temperature="38.9")  # alert open
    recent = record(site, second, ago=timedelta(days=1))
    month = partitions.child_name(EVENTS, timezone.localdate(plain.device_time))
    assert partitions.holding(EVENTS, plain.pk) == month

    result = retention.purge_gate_data(days=30)

    dropped = {m.name: m for m in result.months}
    assert month in dropped and dropped[month].kept == 1
    assert month not in partitions.children(EVENTS).values()
    left = set(AccessEvent.all_tenants.values_list("pk", flat=True))
    assert left == {still_open.pk, recent.pk}
    assert partitions.holding(EVENTS, still_open.pk) == partitions.default_name(EVENTS)
    assert not Alert.all_tenants.filter(event_id=done.pk).exists()
    assert not FollowUp.all_tenants.filter(event_id=done.pk).exists()
    assert Alert.all_tenants.filter(event_id=still_open.pk).exists()
    assert result.deleted["alerts"] == 1 and result.deleted["follow_ups"] == 1
    # The month of the cutoff and those after it stay.
    assert partitions.child_name(EVENTS, today) in partitions.children(EVENTS).values()
    # The kept event's alert acknowledged: the next purge deletes it from DEFAULT.
    Alert.all_tenants.filter(event=still_open).update(acknowledged_at=timezone.now())
    FollowUp.all_tenants.filter(event=still_open).update(status=FollowUp.Status.DONE)
    again = retention.purge_gate_data(days=30)
    assert again.months == [] and again.deleted["events"] == 1
    assert set(AccessEvent.all_tenants.values_list("pk", flat=True)) == {recent.pk}


def test_the_conversion_keeps_rows_indexes_constraints_and_ids_both_ways(db):
    table = "partition_probe"
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {table} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " at timestamptz NOT NULL, code varchar(8) NOT NULL CHECK (code <> ''),"
            " CONSTRAINT partition_probe_code_at_uniq UNIQUE (code, at))"
        )
        cur.execute(f"CREATE INDEX partition_probe_at_idx ON {table} (at) WHERE code = 'x'")
        now = timezone.now()
        rows = [(now - timedelta(days=40 * n), f"c{n}") for n in range(12)]
        cur.executemany(f"INSERT INTO {table} (at, code) VALUES (%s, %s)", rows)  # noqa: S608

        partitions._rebuild(cur, table, "id", "at", False, timezone.localdate())
        assert partitions.is_partitioned(table, cur)
        cur.execute(f"SELECT count(*), max(id) FROM {table}")  # noqa: S608
        assert cur.fetchone() == (12, 12)
        cur.execute(f"INSERT INTO {table} (at, code) VALUES (now(), 'new') RETURNING id")  # noqa: S608
        assert cur.fetchone()[0] == 13  # the sequence carried on
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table]
        )
        definitions = " ".join(d for (d,) in cur.fetchall())
        assert "partition_probe_at_idx" in definitions and "WHERE" in definitions
        assert "(id, at)" in definitions and "(code, at)" in definitions
        with pytest.raises(Exception, match="check"):
            cur.execute("SAVEPOINT s")
            cur.execute(f"INSERT INTO {table} (at, code) VALUES (now(), '')")  # noqa: S608
        cur.execute("ROLLBACK TO SAVEPOINT s")

        partitions._rebuild(cur, table, "id", None, False, timezone.localdate())
        assert not partitions.is_partitioned(table, cur)
        cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert cur.fetchone()[0] == 13
        cur.execute(f"INSERT INTO {table} (at, code) VALUES (now(), 'again') RETURNING id")  # noqa: S608
        assert cur.fetchone()[0] == 15  # 14 went to the refused row: sequences never roll back


def test_the_command_makes_the_months_ahead_once(db, capsys):
    today = timezone.localdate()
    far = partitions.add_months(today, partitions.MONTHS_AHEAD + 2)
    call_command("partitions_ahead", "--months", str(partitions.MONTHS_AHEAD + 2))
    out = capsys.readouterr().out
    assert partitions.child_name(EVENTS, far) in out
    assert far in partitions.children(EVENTS)
    call_command("partitions_ahead", "--months", str(partitions.MONTHS_AHEAD + 2))
    assert "0 partition(s) made" in capsys.readouterr().out
    with pytest.raises(CommandError, match="between 0 and 120"):
        call_command("partitions_ahead", "--months", "-1")
