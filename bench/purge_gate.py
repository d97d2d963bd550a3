"""Bench: the gate's retention purge (`manage purge_gate_data`) over 500,000 expired
gate events (50,000 with --quick), on SQLite and on PostgreSQL in the same run.

For each database a throwaway one is made (a temporary SQLite file; on PostgreSQL a
fresh database on the server of DATABASE_URL, or postgres://postgres@127.0.0.1:5432),
migrated, and filled by the raw driver: 20 sites, the expired events spread over them
40 days back and more, and a fiftieth as many recent ones, one in a hundred a fever with its
alert and follow-up (dealt with on the old ones, open on the recent ones). Then:

1. `purge_gate_data(days=30)` is timed; the expired rows are in no month partition
   (on PostgreSQL they are in DEFAULT, as rows of the cutoff's own month would be),
   so this is the purge's row delete;
2. the same rows are loaded again, and the raw driver deletes what the purge deleted
   in three statements, one transaction: the limit. Both must leave the same rows.
3. PostgreSQL only: the same number of rows is loaded 70 days back, into month
   partitions made for them (core/partitions.py), and the purge is timed again: it
   now detaches and drops whole months (`drop_s`), and must leave the same rows.
Each step runs --runs times (3 by default); each figure is {"median", "min", "max",
"runs"} and the rates and the ratio are of the medians.

Each database runs in a child process; the parent prints ONE JSON line last:

    {"rows": …, "purge_s": …, "purge_rows_per_s": …, "raw_s": …, "raw_rows_per_s": …,
     "drop_s": …, "drop_rows_per_s": …, "drop_speedup": …, "sqlite_purge_s": …, …}

The unprefixed figures are PostgreSQL's.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import timedelta
from decimal import Decimal

from _setup import REPO, copy_rows, log, run_in_throwaway_databases, timer

SITES = 20
RECENT_SHARE = 50  # one recent event for every fifty expired ones
FEVER_EVERY = 100


def load(company, sites, rows: int, now, *, back: timedelta = timedelta(days=40)) -> None:
    """The events by COPY (executemany on SQLite), then their alerts and follow-ups
    in two INSERT … SELECTs."""
    from django.db import connection

    from firstline.access.models import AccessEvent, Alert, FollowUp

    def events():
        total = rows + rows // RECENT_SHARE
        for i in range(total):
            site = sites[i % len(sites)]
            old = i < rows
            at = now - (back + timedelta(seconds=i) if old else timedelta(seconds=i))
            fever = i % FEVER_EVERY == 0
            yield (
                company.pk,
                site.pk,
                uuid.uuid4().hex,  # as Django stores it on SQLite; PostgreSQL reads it too
                "in",
                "lookup",
                "",
                Decimal("38.2") if fever else Decimal("36.5"),
                "refer" if fever else "admit",
                "[]",
                at,
                now,
                now,
                now,
            )

    table = AccessEvent._meta.db_table
    copy_rows(
        table,
        [
            "company_id",
            "site_id",
            "client_uuid",
            "direction",
            "credential",
            "plate",
            "temperature",
            "decision",
            "reasons",
            "device_time",
            "server_time",
            "created_at",
            "updated_at",
        ],
        events(),
    )
    cutoff = now - timedelta(days=30)
    # This company's fevers not given an alert by an earlier load (a database that holds
    # other tenants' events keeps them out of the counts).
    fevers = f"FROM {table} e WHERE e.company_id = {int(company.pk)} AND decision = 'refer' AND NOT EXISTS"
    with connection.cursor() as cur:
        # Old fevers were dealt with (the purge may delete them); recent ones are open.
        cur.execute(
            f"INSERT INTO {Alert._meta.db_table} (company_id, site_id, kind, event_id, message,"
            " acknowledged_at, created_at, updated_at)"
            " SELECT company_id, site_id, 'fever', id, '体温异常',"
            f" CASE WHEN device_time < %s THEN %s END, %s, %s {fevers}"
            f" (SELECT 1 FROM {Alert._meta.db_table} a WHERE a.event_id = e.id)",
            [cutoff, now, now, now],
        )
        cur.execute(
            f"INSERT INTO {FollowUp._meta.db_table} (company_id, site_id, event_id, reason,"
            " status, outcome, created_at, updated_at)"
            " SELECT company_id, site_id, id, '体温异常',"
            f" CASE WHEN device_time < %s THEN 'done' ELSE 'open' END, '', %s, %s {fevers}"
            f" (SELECT 1 FROM {FollowUp._meta.db_table} f WHERE f.event_id = e.id)",
            [cutoff, now, now],
        )
        cur.execute("ANALYZE")  # as autovacuum would have, before a daily purge


def remaining() -> tuple[int, int, int]:
    from firstline.access.models import AccessEvent, Alert, FollowUp

    return (
        AccessEvent.all_tenants.count(),
        Alert.all_tenants.count(),
        FollowUp.all_tenants.count(),
    )


def raw_delete(cutoff) -> int:
    """The limit: the expired events and their alerts and follow-ups, by the driver
    alone in one transaction (none of them has open work in this data)."""
    from django.db import connection, transaction

    from firstline.access.models import AccessEvent, Alert, FollowUp

    mark = "%s" if connection.vendor == "postgresql" else "?"
    events = AccessEvent._meta.db_table
    old = f"event_id IN (SELECT id FROM {events} WHERE device_time < {mark})"
    steps = [(Alert._meta.db_table, old), (FollowUp._meta.db_table, old)]
    steps.append((events, f"device_time < {mark}"))
    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor
        for table, where in steps:
            raw.execute(f"DELETE FROM {table} WHERE {where}", [cutoff])
        return raw.rowcount


def child(rows: int, runs: int) -> dict:
    sys.path.insert(0, str(REPO / "bench"))
    from _setup import django_setup

    django_setup()
    from _setup import spread, throwaway_company, throwaway_site
    from django.db import connection
    from django.utils import timezone

    from firstline.access.services.retention import gate_cutoff, purge_gate_data
    from firstline.core import partitions

    vendor = connection.vendor
    now = timezone.now()
    with throwaway_company() as company:
        sites = [
            throwaway_site(company, name=f"小区{n}", buildings=1, units=1, rooms=2)[0]
            for n in range(SITES)
        ]
        purges, raws, drops, kept = [], [], [], None
        before = remaining()  # rows that were there already (none in a fresh database)
        loaded = 0

        def loads(k: int) -> tuple[int, ...]:
            return tuple(b + k * (f - b) for b, f in zip(before, kept, strict=True))

        def fill(**kwargs) -> None:
            # Each load adds the same expired rows again, and as many recent ones, which
            # stay: after k loads, k times what the first purge left.
            nonlocal loaded
            load(company, sites, rows, now, **kwargs)
            loaded += 1
            log(f"[{vendor}] {rows:,} expired events and {rows // RECENT_SHARE:,} recent loaded")

        for n in range(runs):
            fill()
            with timer() as t:
                result = purge_gate_data(days=30, now=now)
            purges.append(t["s"])
            kept = kept or remaining()
            if result.deleted["events"] != rows or remaining() != loads(loaded):
                raise SystemExit(
                    f"bench: the purge deleted {result.deleted['events']:,}, not {rows:,},"
                    " or left other rows than the first time"
                )
            log(f"[{vendor}] purge_gate_data, run {n + 1}: {t['s']} s, {result.deleted}")

            fill()  # the same expired rows again (and more recent)
            with timer() as t:
                deleted = raw_delete(gate_cutoff(30, now))
            raws.append(t["s"])
            log(f"[{vendor}] raw driver, run {n + 1}: {t['s']} s, {deleted:,} events")
            if deleted != rows or remaining() != loads(loaded):
                raise SystemExit("bench: the raw delete and the purge left different rows")

            if partitions.active():
                back = timedelta(days=70)  # wholly in months before the cutoff's month
                first = timezone.localdate(now - back - timedelta(seconds=rows))
                partitions.ensure_months(
                    partitions.of("access.AccessEvent"), first, timezone.localdate(now - back)
                )
                fill(back=back)
                with timer() as t:
                    result = purge_gate_data(days=30, now=now)
                drops.append(t["s"])
                months = [(m.name, m.rows) for m in result.months]
                log(f"[{vendor}] purge by months, run {n + 1}: {t['s']} s, {months}")
                if not months or result.deleted["events"] or remaining() != loads(loaded):
                    raise SystemExit("bench: the month drop left other rows than the delete")
    purge_s, raw_s = spread(purges), spread(raws)
    out = {
        "db": vendor,
        "rows": rows,
        "runs": runs,
        "purge_s": purge_s,
        "purge_rows_per_s": round(rows / purge_s["median"]),
        "raw_s": raw_s,
        "raw_rows_per_s": round(rows / raw_s["median"]),
    }
    if drops:
        drop_s = spread(drops)
        out |= {
            "drop_s": drop_s,
            "drop_rows_per_s": round(rows / drop_s["median"]),
            "drop_speedup": round(purge_s["median"] / drop_s["median"], 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 expired events")
    parser.add_argument("--rows", type=int, help="any other number of expired events")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (at least 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = args.rows or (50_000 if args.quick else 500_000)
    runs = max(3, args.runs)
    if args.child:
        print(json.dumps(child(rows, runs), ensure_ascii=False), flush=True)
        return
    out: dict = {"rows": rows}
    for result in run_in_throwaway_databases(
        __file__, "firstline_bench_purge", ["--rows", str(rows), "--runs", str(runs)]
    ):
        prefix = "" if result["db"] == "postgresql" else f"{result['db']}_"
        out.update({f"{prefix}{k}": v for k, v in result.items() if k not in ("db", "rows")})
    out["ratio"] = round(out["purge_s"]["median"] / out["raw_s"]["median"], 2)
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
