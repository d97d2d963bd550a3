"""Bench: one day's disinfection tasks for the wuhan-scale sites (2,000 sites; 200 with
--quick), about 15 areas each, their plans from the checklist library.

For each database a throwaway one is made (a temporary SQLite file always; on
PostgreSQL, when DATABASE_URL is set, a fresh database `firstline_bench_sanitation` on
that server, dropped afterwards), migrated, the library installed, and the companies,
sites, areas and plan entries loaded (areas and entries by the raw driver: executemany
on SQLite, COPY on PostgreSQL). Then:

1. `tasks_generate(day)` for all sites is timed (every slot of the day is due after
   `now`, so every task is made), --runs times (3 by default), the day's tasks deleted
   between runs;
2. it is run again and timed, --runs times: the idempotent re-run, which inserts nothing;
3. the day's task rows are read back, deleted, and inserted again by the raw driver,
   --runs times each: `raw_executemany` always, and COPY on PostgreSQL, which is the
   method the code itself uses there (a COPY into a staging table, then one INSERT …
   SELECT; see sanitation/services/generator.py). That is the limit to compare with.

Every timed figure is {"median", "min", "max", "runs"} over the runs. `ratio` is the
generator's median over the raw executemany's median; on PostgreSQL `ratio_copy` is the
generator's median over the raw COPY's median (the like-for-like one there).

Each database runs in a child process; the parent prints ONE JSON line last:

    {"sites": …, "areas": …, "entries": …, "tasks": …, "generate_s": {…}, "rerun_s": {…},
     "raw_insert_s": {…}, "raw_copy_s": {…}, "ratio": …, "ratio_copy": …, "db": …,
     "sqlite_generate_s": {…}, "postgresql_generate_s": {…}, …}

The unprefixed figures are PostgreSQL's when it ran, else SQLite's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _setup import REPO, child_result, copy_rows, log

DB_NAME = "firstline_bench_sanitation"
SEED = 2020
COMPANIES = 40
# ~15 areas a site: (kind, how many). Public buildings also get their HVAC plant room.
AREAS = [
    ("lift", 4),
    ("lobby", 2),
    ("door_handle", 2),
    ("stairwell", 2),
    ("garbage", 2),
    ("car_park", 1),
    ("toilet", 1),
    ("gate", 1),
]
EXTRA = {
    "residential": "parcel_room",
    "office": "hvac",
    "industrial": "canteen",
    "campus": "hvac",
    "hospital": "hvac",
}
TYPES = ["residential"] * 7 + ["office", "industrial", "campus", "hospital"]


def child(n_sites: int, runs: int) -> dict:
    sys.path.insert(0, str(REPO / "bench"))
    from _setup import django_setup

    django_setup()
    from _setup import spread
    from django.db import connection

    vendor = connection.vendor
    log(f"[{vendor}] database ready")
    counts = load(n_sites)
    log(f"[{vendor}] loaded {counts}")

    from firstline.sanitation.models import Task
    from firstline.sanitation.services.generator import day_start, tasks_generate

    day = date.today() + timedelta(days=1)
    now = day_start(day) - timedelta(hours=2)
    analyze()
    generated, tasks = [], None
    for n in range(runs):
        if n:
            Task.all_tenants.filter(day=day).delete()
        start = time.perf_counter()
        result = tasks_generate(day=day, now=now)
        generated.append(time.perf_counter() - start)
        made = Task.all_tenants.filter(day=day).count()
        assert tasks in (None, made), f"run {n + 1} made {made} tasks, the first {tasks}"
        tasks = made
    generate_s = spread(generated)
    log(f"[{vendor}] tasks_generate: {tasks:,} tasks in {generate_s} s")
    reruns = []
    for _n in range(runs):
        start = time.perf_counter()
        again = tasks_generate(day=day, now=now)
        reruns.append(time.perf_counter() - start)
        assert again["offered"] == 0, "the re-run offered rows again"
    rerun_s = spread(reruns)
    assert Task.all_tenants.filter(day=day).count() == tasks, "the re-run made duplicates"
    log(f"[{vendor}] re-run (inserts nothing): {rerun_s} s")

    raw = raw_limit(day, runs)
    log(f"[{vendor}] raw driver, same rows: {raw}")
    return {
        "db": vendor,
        **counts,
        "tasks": tasks,
        "offered": result["offered"],
        "runs": runs,
        "generate_s": generate_s,
        "rerun_s": rerun_s,
        **raw,
        "tasks_per_s": round(tasks / generate_s["median"]) if generate_s["median"] else None,
    }


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def raw_limit(day: date, runs: int) -> dict:
    """The day's rows as stored, deleted, then inserted again by the raw driver alone:
    executemany, and on PostgreSQL COPY (the code's own method there), `runs` times each."""
    from _setup import raw_executemany, spread, stored_rows
    from django.db import connection

    from firstline.sanitation.models import Task

    table = Task._meta.db_table
    columns = [f.column for f in Task._meta.concrete_fields if not f.primary_key]
    rows = stored_rows(table, columns, "day = %s", [day])
    inserts, copies = [], []
    for _n in range(runs):
        Task.all_tenants.filter(day=day).delete()
        inserts.append(raw_executemany(table, columns, rows))
        if connection.vendor == "postgresql":
            Task.all_tenants.filter(day=day).delete()
            start = time.perf_counter()
            copy_rows(table, columns, rows)
            copies.append(time.perf_counter() - start)
    assert Task.all_tenants.filter(day=day).count() == len(rows)
    out = {"raw_insert_s": spread(inserts)}
    if copies:
        out["raw_copy_s"] = spread(copies)
    return out


def load(n_sites: int) -> dict:
    """Companies and sites through the ORM; areas and plan entries by the raw driver,
    with the entries resolved from the installed library as plan_apply would."""
    import uuid

    from _setup import _community
    from django.utils import timezone

    from firstline.estates.models import Site
    from firstline.orgs.models import Company
    from firstline.sanitation.models import Area, GuideItem, PlanEntry
    from firstline.sanitation.services.library import library_install

    rng = random.Random(SEED)
    library_install()
    community, _made = _community()
    companies = Company.objects.bulk_create(
        Company(
            name=f"基准测试物业{n}-{uuid.uuid4().hex[:6]}",
            credit_code=("91" + uuid.uuid4().hex[:16]).upper(),
            division=community,
        )
        for n in range(COMPANIES)
    )
    companies = list(Company.objects.filter(name__startswith="基准测试物业").order_by("id"))
    sites = Site.all_tenants.bulk_create(
        (
            Site(
                company=companies[n % len(companies)],
                name=f"基准项目{n}",
                name_initials="jzxm",
                site_type=rng.choice(TYPES),
                community=community,
            )
            for n in range(n_sites)
        ),
        batch_size=1000,
    )
    sites = list(
        Site.all_tenants.filter(name__startswith="基准项目").values_list(
            "id", "company_id", "site_type"
        )
    )
    items: dict[tuple[str, str], list[dict]] = {}
    for item in GuideItem.objects.filter(guide__current=True).values(
        "guide__site_type", "guide__version", "area_kind", "code", "title", "method",
        "disinfectant", "concentration", "times_per_day", "every_hours", "precautions",
    ):  # fmt: skip
        items.setdefault((item["guide__site_type"], item["area_kind"]), []).append(item)

    now = timezone.now()
    area_cols = [f.column for f in Area._meta.concrete_fields]
    entry_cols = [f.column for f in PlanEntry._meta.concrete_fields if not f.primary_key]
    areas, entries = [], []
    area_id = 0
    for site_id, company_id, site_type in sites:
        kinds = [k for k, n in AREAS for _i in range(n)] + [EXTRA[site_type]]
        for n, kind in enumerate(kinds):
            area_id += 1
            area = {
                "id": area_id,
                "company_id": company_id,
                "site_id": site_id,
                "created_at": now,
                "updated_at": now,
                "name": f"{kind}-{n}",
                "kind": kind,
                "building_id": None,
                "qr_token": uuid.uuid4().hex[:24],
                "device_id": None,
                "active": True,
            }
            areas.append(tuple(area[c] for c in area_cols))
            for item in items.get((site_type, kind), ()):
                entry = {
                    "company_id": company_id,
                    "site_id": site_id,
                    "created_at": now,
                    "updated_at": now,
                    "area_id": area_id,
                    "guide_version": item["guide__version"],
                    "revision": 1,
                    "active": True,
                    **{
                        k: item[k] for k in item if not k.startswith("guide__") and k != "area_kind"
                    },
                }
                entries.append(tuple(entry[c] for c in entry_cols))
    copy_rows(Area._meta.db_table, area_cols, areas)
    copy_rows(PlanEntry._meta.db_table, entry_cols, entries)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('sanitation_area', 'id'), "
                "(SELECT MAX(id) FROM sanitation_area))"
            )
    return {"sites": len(sites), "areas": len(areas), "entries": len(entries)}


# --- the parent ----------------------------------------------------------------------------------


def run_child(env: dict, sites: int, runs: int) -> dict:
    return child_result(__file__, env, ["--sites", str(sites), "--runs", str(runs)])


def with_sqlite(sites: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["FIRSTLINE_SQLITE_PATH"] = str(Path(tmp) / "sanitation.sqlite3")
        return run_child(env, sites, runs)


def with_postgres(sites: int, base: str, runs: int) -> dict:
    import psycopg

    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    url = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        return run_child({**os.environ, "DATABASE_URL": url}, sites, runs)
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 sites")
    parser.add_argument("--sites", type=int, help="any other number of sites")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (at least 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sites = args.sites or (200 if args.quick else 2_000)
    runs = max(3, args.runs)
    if args.child:
        print(json.dumps(child(sites, runs), ensure_ascii=False), flush=True)
        return
    results = [with_sqlite(sites, runs)]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        results.append(with_postgres(sites, base, runs))
    out: dict = dict(results[-1])
    for result in results:
        prefix = result["db"]
        out.update({f"{prefix}_{k}": v for k, v in result.items() if k.endswith("_s")})
        out[f"{prefix}_tasks"] = result["tasks"]
    out.pop("offered", None)
    generate = out["generate_s"]["median"]
    if out.get("raw_insert_s"):
        out["ratio"] = round(generate / out["raw_insert_s"]["median"], 2)
    if out.get("raw_copy_s"):
        out["ratio_copy"] = round(generate / out["raw_copy_s"]["median"], 2)
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
