"""Bench: the allocation planner and the ledger's balances at wuhan scale.

For each database a throwaway one is made (a temporary SQLite file always; on
PostgreSQL, when DATABASE_URL is set, a fresh database `firstline_bench_allocate` on
that server, dropped afterwards) and migrated. In it:

1. ~846 member companies and 2,000 sites (200 companies-scaled with --quick), one
   staff member on duty per site, the 10 catalogue items, one warehouse with stock
   for every item in three batches each (one of them directed to a company, one to a
   district), and an open need for every site × item;
   `plan_propose` over all of it is timed: `allocate_s` (goal ≤ 2 s), --runs times
   (3 by default; each plan deleted before the next, so each sees the same stock).
   Beside it the allocation's raw limit, `raw_allocate_s`, also --runs times: on the
   raw driver's own connection, the warehouse's balances and the open need lines read
   by hand-written SQL, shared out first come first served per item (the simplest
   rule there is, none of the planner's priorities, directions or pack sizes) in a
   plain loop, and the resulting lines written into supplies_allocationline (COPY on
   PostgreSQL, executemany on SQLite, as the code does), then rolled back. It is the
   floor for reading the inputs and writing a plan of that size; `allocate_ratio` is
   how far the planner is above it;
2. 1,000,000 ledger entries (100,000 with --quick) are written with the raw driver
   (COPY on PostgreSQL, executemany on SQLite), a real hash chain over the
   canonical fields from the head on; then the balances are computed from the
   entries with our code (`ledger.balances_from_entries()`): `balance_s`, beside the
   same sums by one raw SQL statement on the raw driver's own connection:
   `raw_sum_s` (the limit). Both results are compared.

Every timed figure is {"median", "min", "max", "runs"} over the runs; the ratios are
of the medians. Each database runs in a child process; the parent prints ONE JSON line
last:

    {"allocate_s": {…}, "raw_allocate_s": {…}, "allocate_ratio": …, "sites": …,
     "items": …, "ledger_entries": …, "balance_s": {…}, "raw_sum_s": {…},
     "balance_ratio": …, "db": …, "sqlite_allocate_s": {…}, "postgresql_balance_s": {…}, …}

The unprefixed figures are PostgreSQL's when it ran, else SQLite's.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _setup import child_result, copy_rows, log

DB_NAME = "firstline_bench_allocate"
FULL_COMPANIES, FULL_SITES = 846, 2_000


def child(n_sites: int, n_entries: int, runs: int) -> dict:
    from _setup import db_vendor, django_setup, timer

    django_setup()
    from _setup import spread

    out: dict = {"db": db_vendor()}
    world = load(n_sites)
    out.update(sites=world["sites"], items=world["items"], need_lines=world["need_lines"])

    from firstline.supplies.models import AllocationLine, AllocationPlan
    from firstline.supplies.services.allocation import plan_propose

    walls, cpus, plan = [], [], None
    for _n in range(runs):
        if plan is not None:
            AllocationLine.all_tenants.filter(plan=plan).delete()
            AllocationPlan.all_tenants.filter(pk=plan.pk).delete()
        with timer() as t:
            plan = plan_propose(
                actor=None, association_id=world["association_id"], warehouse=world["warehouse"]
            )
        walls.append(t["s"])
        cpus.append(t["cpu_s"])
    out["allocate_s"] = spread(walls)
    out["allocate_cpu_s"] = spread(cpus)
    out["plan_lines"] = AllocationLine.all_tenants.filter(plan=plan).count()
    out["plan_units"] = sum(
        AllocationLine.all_tenants.filter(plan=plan).values_list("quantity", flat=True)
    )
    log(f"plan_propose: {out['allocate_s']} s, {out['plan_lines']} lines")
    # The raw lines go under an empty plan of their own (the proposed one holds the
    # same need line × batch pairs); rolled back each time, the plan deleted after.
    scratch = AllocationPlan.objects.create(
        association_id=world["association_id"], warehouse=world["warehouse"], note="bench"
    )
    try:
        raw = [raw_allocate(world, scratch.pk) for _n in range(runs)]
    finally:
        scratch.delete()
    out["raw_allocate_s"] = spread([seconds for seconds, _lines, _units in raw])
    out["raw_allocate_lines"], out["raw_allocate_units"] = raw[0][1], raw[0][2]
    log(f"raw allocation: {out['raw_allocate_s']} s, {raw[0][1]} lines")

    out.update(ledger(world, n_entries, runs))
    return out


def raw_allocate(world: dict, plan_id: int) -> tuple[float, int, int]:
    """The allocation's floor on the raw driver (see the docstring): seconds, lines
    written, units shared out. The lines go into the real table (its indexes and
    constraints) under the empty plan `plan_id`, and are rolled back."""
    from _setup import raw_connect
    from django.db import connection

    on_pg = connection.vendor == "postgresql"
    mark = "%s" if on_pg else "?"
    raw = raw_connect()
    try:
        start = time.perf_counter()
        cur = raw.cursor()
        if not on_pg:
            cur.execute("BEGIN")
        cur.execute(
            "SELECT item_id, batch_id, quantity FROM supplies_balance"
            f" WHERE location_id = {mark} AND quantity > 0 ORDER BY item_id, batch_id",
            (world["warehouse_location"].pk,),
        )
        stock: dict[int, list[list[int]]] = {}
        for item, batch, quantity in cur.fetchall():
            stock.setdefault(item, []).append([batch, quantity])
        cur.execute(
            "SELECT nl.id, nl.item_id, nl.company_id, nl.site_id,"
            " nl.quantity - nl.committed - nl.in_transit - nl.fulfilled"
            " FROM supplies_needline nl"
            " WHERE nl.state IN ('open', 'partly')"
            " AND nl.quantity - nl.committed - nl.in_transit - nl.fulfilled > 0"
            " AND nl.company_id IN (SELECT company_id FROM orgs_membership"
            f" WHERE association_id = {mark})"
            " ORDER BY nl.id",
            (world["association_id"],),
        )
        lines = []
        for line_id, item, company, site, remaining in cur.fetchall():
            for lot in stock.get(item, ()):
                if not remaining:
                    break
                take = min(remaining, lot[1])
                if take:
                    lot[1] -= take
                    remaining -= take
                    lines.append((plan_id, line_id, company, site, item, lot[0], take))
        columns = "plan_id, need_line_id, company_id, site_id, item_id, batch_id, quantity"
        if on_pg:
            with cur.copy(f"COPY supplies_allocationline ({columns}) FROM STDIN") as copy:
                for row in lines:
                    copy.write_row(row)
        else:
            cur.executemany(
                f"INSERT INTO supplies_allocationline ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                lines,
            )
        elapsed = time.perf_counter() - start
        raw.rollback()
    finally:
        raw.close()
    return elapsed, len(lines), sum(row[-1] for row in lines)


def load(n_sites: int) -> dict:
    """The throwaway world, through the ORM in bulk (and the ledger's own post for the
    stock, so the warehouse balances are real)."""
    from _setup import _community

    from firstline.estates.models import Site, Staff
    from firstline.orgs.models import Association, Company, Membership
    from firstline.supplies.models import Donor, InboundBatch, Need, NeedLine, Warehouse
    from firstline.supplies.services.catalogue import catalogue_install
    from firstline.supplies.services.ledger import Move, post
    from firstline.supplies.services.locations import donor_location, warehouse_location

    started = time.perf_counter()
    community, _made = _community()
    district = community
    while district.level > 3 and district.parent_id:  # the district above the community
        district = district.parent
    n_companies = max(1, round(FULL_COMPANIES * n_sites / FULL_SITES))
    association = Association.objects.create(name="基准测试协会", short_name="基准")
    tag = uuid.uuid4().hex[:6]
    Company.objects.bulk_create(
        (
            Company(
                name=f"基准测试物业{n}-{tag}",
                credit_code=("91" + uuid.uuid4().hex[:16]).upper(),
                division=community,
            )
            for n in range(n_companies)
        ),
        batch_size=1000,
    )
    companies = list(Company.objects.filter(name__endswith=f"-{tag}").order_by("id"))
    Membership.objects.bulk_create(
        Membership(company=c, association=association, joined_on=date(2019, 1, 1))
        for c in companies
    )
    Site.all_tenants.bulk_create(
        (
            Site(
                company=companies[n % n_companies],
                name=f"基准项目{n}",
                name_initials="jzxm",
                community=community,
            )
            for n in range(n_sites)
        ),
        batch_size=1000,
    )
    sites = list(
        Site.all_tenants.filter(company__in=companies)
        .values_list("id", "company_id")
        .order_by("id")
    )
    Staff.all_tenants.bulk_create(
        (
            Staff(company_id=c, site_id=s, name="保安", position=Staff.Position.GUARD)
            for s, c in sites
        ),
        batch_size=2000,
    )
    items = catalogue_install()

    donor = Donor.objects.create(
        association=association, kind="company", name="基准捐赠方", public_name="基准捐赠方"
    )
    warehouse = Warehouse.objects.create(
        association=association, name="基准仓库", district=district
    )
    # Stock: per item about 60 % of what is asked, in three batches: undirected,
    # directed to the first company, directed to the community's district.
    asked_per_item = 100 * n_sites
    directions = [{}, {"directed_company": companies[0]}, {"directed_division_code": district.code}]
    batches = InboundBatch.objects.bulk_create(
        InboundBatch(
            association=association,
            number=n + 1,
            donor=donor,
            warehouse=warehouse,
            received_at=datetime.now(UTC),
            **directions[n],
        )
        for n in range(3)
    )
    batches = list(InboundBatch.all_tenants.filter(association=association).order_by("number"))
    share = [0.45, 0.05, 0.10]
    src, dst = donor_location(donor), warehouse_location(warehouse)
    post(
        association_id=association.pk,
        moves=[
            Move("inbound", item.pk, batch.pk, src.pk, dst.pk, int(asked_per_item * part))
            for item in items
            for batch, part in zip(batches, share, strict=True)
        ],
    )
    now = datetime.now(UTC)
    Need.all_tenants.bulk_create(
        (
            Need(
                company_id=c,
                site_id=s,
                justification="封闭管理，物资告急",
                staff_on_duty=1,
                requested_at=now,
            )
            for s, c in sites
        ),
        batch_size=2000,
    )
    needs = list(
        Need.all_tenants.filter(company__in=companies).values_list("id", "company_id", "site_id")
    )
    NeedLine.all_tenants.bulk_create(
        (
            NeedLine(
                company_id=c,
                site_id=s,
                need_id=n,
                item=item,
                quantity=50 + (n * 37 + item.pk * 11) % 101,  # 50 … 150, ~100 on average
            )
            for n, c, s in needs
            for item in items
        ),
        batch_size=5000,
    )
    log(
        f"loaded {len(companies)} companies, {len(sites)} sites in {time.perf_counter() - started:.1f} s"
    )
    return {
        "association_id": association.pk,
        "warehouse": warehouse,
        "warehouse_location": dst,
        "batches": batches,
        "items": len(items),
        "item_list": items,
        "sites": len(sites),
        "site_ids": [s for s, _c in sites],
        "need_lines": len(needs) * len(items),
    }


def ledger(world: dict, n_entries: int, runs: int) -> dict:
    """Append `n_entries` real chain entries by the raw driver, then time the sums."""
    from _setup import timer
    from django.db import connection

    from firstline.estates.models import Site
    from firstline.supplies.models import LedgerEntry, LedgerHead, Location
    from firstline.supplies.services.ledger import balances_from_entries, canonical, chain_hash
    from firstline.supplies.services.locations import system_location

    association_id = world["association_id"]
    sites = list(
        Site.all_tenants.filter(pk__in=world["site_ids"]).values_list(
            "id", "company_id", "name", "community__code"
        )
    )
    Location.objects.bulk_create(
        (
            Location(
                kind=Location.Kind.SITE,
                association_id=association_id,
                company_id=c,
                site_id=s,
                division_code=code,
                public_name=name,
            )
            for s, c, name, code in sites
        ),
        batch_size=2000,
    )
    site_locs = list(
        Location.all_tenants.filter(association_id=association_id, kind=Location.Kind.SITE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    transit = system_location(Location.Kind.TRANSIT, association_id=association_id).pk
    consumed = system_location(Location.Kind.CONSUMED, association_id=association_id).pk
    warehouse = world["warehouse_location"].pk
    items = [(i.pk, i.code) for i in world["item_list"]]
    batch = world["batches"][0]
    head = LedgerHead.all_tenants.get(association_id=association_id)

    started = time.perf_counter()
    columns = [
        "association_id", "seq", "at", "kind", "item_id", "batch_id", "from_location_id", "to_location_id",
        "quantity", "reason", "shipment_id", "actor_id", "prev_hash", "hash",
    ]  # fmt: skip
    # A cycle of dispatch (warehouse → transit), receive (transit → site), consume
    # (site → consumed), spread over the sites and items.
    steps = [
        ("dispatch", warehouse, transit),
        ("receive", transit, None),
        ("consume", None, consumed),
    ]
    prev, seq = head.hash, head.seq
    at0 = datetime(2020, 2, 1, tzinfo=UTC)
    rows = []
    for n in range(n_entries):
        cycle, step = divmod(n, 3)
        kind, src, dst = steps[step]
        site = site_locs[cycle % len(site_locs)]
        src, dst = src or site, dst or site
        item_id, code = items[cycle % len(items)]
        seq += 1
        at = at0 + timedelta(seconds=n)
        quantity = 1 + cycle % 20
        text = canonical(
            seq=seq, at=at, kind=kind, item_code=code, batch_number=batch.number,
            from_location_id=src, to_location_id=dst, quantity=quantity, reason="",
        )  # fmt: skip
        digest = chain_hash(prev, text)
        rows.append(
            (
                association_id,
                seq,
                at,
                kind,
                item_id,
                batch.pk,
                src,
                dst,
                quantity,
                "",
                None,
                None,
                prev,
                digest,
            )
        )
        prev = digest
    hashed_s = time.perf_counter() - started
    copy_rows(LedgerEntry._meta.db_table, columns, rows)
    LedgerHead.all_tenants.filter(pk=head.pk).update(seq=seq, hash=prev)
    rows.clear()
    written_s = time.perf_counter() - started
    log(f"{n_entries} entries: hashed in {hashed_s:.1f} s, written in {written_s:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE supplies_ledgerentry")
    total = LedgerEntry.all_tenants.count()

    from _setup import spread

    walls, cpus, raws = [], [], []
    for _n in range(runs):
        with timer() as t:
            ours = balances_from_entries()
        walls.append(t["s"])
        cpus.append(t["cpu_s"])
        raw_s, raw = raw_sum()
        raws.append(raw_s)
        same = {k: v for k, v in ours.items() if v} == {k: v for k, v in raw.items() if v}
        if not same:
            raise SystemExit("bench: balances_from_entries and the raw SQL disagree")
    return {
        "ledger_entries": total,
        "chain_write_s": round(written_s, 3),
        "balance_s": spread(walls),
        "balance_cpu_s": spread(cpus),
        "raw_sum_s": spread(raws),
        "balance_keys": len(ours),
    }


RAW_SUM = (
    "SELECT loc, item_id, batch_id, SUM(q) FROM ("
    " SELECT to_location_id AS loc, item_id, batch_id, quantity AS q FROM supplies_ledgerentry"
    " UNION ALL"
    " SELECT from_location_id, item_id, batch_id, -quantity FROM supplies_ledgerentry"
    ") AS moves GROUP BY loc, item_id, batch_id"
)


def raw_sum() -> tuple[float, dict]:
    """The same sums by one SQL statement on the raw driver's own connection."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        raw = sqlite3.connect(settings["NAME"])
    else:
        import psycopg

        raw = psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        )
    try:
        start = time.perf_counter()
        cur = raw.cursor()
        cur.execute(RAW_SUM)
        rows = cur.fetchall()
        elapsed = time.perf_counter() - start
    finally:
        raw.close()
    return elapsed, {(loc, item, batch): int(q) for loc, item, batch, q in rows}


# --- the parent ----------------------------------------------------------------------------------


def run_child(env: dict, sites: int, entries: int, runs: int) -> dict:
    args = ["--sites", str(sites), "--entries", str(entries), "--runs", str(runs)]
    return child_result(__file__, env, args)


def with_sqlite(sites: int, entries: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["FIRSTLINE_SQLITE_PATH"] = str(Path(tmp) / "allocate.sqlite3")
        return run_child(env, sites, entries, runs)


def with_postgres(sites: int, entries: int, base: str, runs: int) -> dict:
    import psycopg

    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    url = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        return run_child({**os.environ, "DATABASE_URL": url}, sites, entries, runs)
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 sites, 100,000 entries")
    parser.add_argument("--sites", type=int, help="any other number of sites")
    parser.add_argument("--entries", type=int, help="any other number of ledger entries")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (at least 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sites = args.sites or (200 if args.quick else FULL_SITES)
    entries = args.entries or (100_000 if args.quick else 1_000_000)
    runs = max(3, args.runs)
    if args.child:
        print(json.dumps(child(sites, entries, runs), ensure_ascii=False), flush=True)
        return
    results = [with_sqlite(sites, entries, runs)]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        results.append(with_postgres(sites, entries, base, runs))
    out: dict = dict(results[-1])
    for result in results:
        prefix = result["db"]
        out.update({f"{prefix}_{k}": v for k, v in result.items() if k.endswith("_s")})
    if out.get("raw_sum_s"):
        out["balance_ratio"] = round(out["balance_s"]["median"] / out["raw_sum_s"]["median"], 2)
    if out.get("raw_allocate_s"):
        out["allocate_ratio"] = round(
            out["allocate_s"]["median"] / out["raw_allocate_s"]["median"], 2
        )
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
