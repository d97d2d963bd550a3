"""Bench: re-screening 1,000,000 current declarations after a risk-list change
(100,000 with --quick), on SQLite and on PostgreSQL in the same run.

For each database a throwaway one is made (a temporary SQLite file; on PostgreSQL
a fresh database on the server of DATABASE_URL, or postgres://postgres@127.0.0.1:5432),
migrated, and filled with the raw driver (executemany on SQLite, COPY on PostgreSQL):
N residents each with one current declaration, ~1.5 places per declaration spread
over a few thousand communities, and a risk list of a few hundred areas (counties,
streets and a few named places). Then:

1. list v1 is screened once (untimed), as a site would have it;
2. a new version v2 is imported (levels changed, areas added and removed) and
   `rescreen()` is timed — every step, worklist and alerts included;
3. v1 is put back and screened again (untimed), so the data is as before step 2;
4. v2 again, and ONE UPDATE doing the same classification is timed: the limit. It
   is written independently of the code under test, from the rules' definition (a
   plain join of declarations to places to areas on the places' code prefixes at
   the national scheme's five lengths, the worst level by GROUP BY; see raw_sql),
   and its result is checked equal to rescreen()'s declaration by declaration.
Steps 2 and 4 run --runs times (3 by default), the data put back before each; each
figure is {"median", "min", "max", "runs"} and the ratios are of the medians.

Each database runs in a child process (Django is configured once per process); the
parent prints progress lines on stderr and ONE JSON line last:

    {"rows": …, "places": …, "areas": …, "changed": …, "rescreen_s": {…}, "raw_sql_s": {…},
     "ratio": …, "sqlite_rescreen_s": {…}, "sqlite_raw_sql_s": {…}, "sqlite_ratio": …, …}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _setup import REPO, child_result, copy_rows, log

DB_NAME = "firstline_bench_rescreen"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
PLACES_PER_DECLARATION = 1.5
SEED = 2020


# --- the data -------------------------------------------------------------------------------


def communities(rng: random.Random) -> list[tuple[str, str]]:
    """(12-digit community code, place name) for ~9,000 communities in 600 counties."""
    out = []
    for prov in range(11, 41):
        for city in range(1, 5):
            for county in range(1, 6):
                c6 = f"{prov:02d}{city:02d}{county:02d}"
                for street in range(1, 6):
                    c9 = f"{c6}{street:03d}"
                    for comm in range(1, 4):
                        out.append(
                            (f"{c9}{comm:03d}", f"{prov}省{city}市{county}区{street}街道{comm}社区")
                        )
    rng.shuffle(out)
    return out


MARKETS = ["华南海鲜市场", "新发地市场", "某某冷链仓库", "某某商场", "某某医院"]


def risk_areas(rng: random.Random, version: int, today: date) -> list[tuple]:
    """(division_code, name, level, valid_from, valid_until): 300 counties, 100 streets,
    5 named places. v2 changes a fifth of the levels, drops 30 areas, adds 60."""
    r = random.Random(SEED + 7)  # the same universe for both versions
    counties = sorted(
        {f"{p:02d}{c:02d}{k:02d}" for p in range(11, 41) for c in range(1, 5) for k in range(1, 6)}
    )
    chosen = r.sample(counties, 360)
    streets = [f"{c}{s:03d}" for c in r.sample(counties, 130) for s in (r.randint(1, 5),)]
    levels = ["high", "medium", "low"]
    areas = []
    for code in chosen[:300] + streets[:100]:
        start = today - timedelta(days=r.choice([30, 30, 30, 10, 5]))
        until = None if r.random() < 0.9 else today - timedelta(days=r.randint(1, 6))
        areas.append([code, f"地区{code}", r.choice(levels), start, until])
    for name in MARKETS:
        areas.append(["", name, "high", today - timedelta(days=30), None])
    if version == 2:
        for area in areas:
            if rng.random() < 0.2:
                area[2] = rng.choice(levels)
        areas = areas[30:]
        for code in chosen[300:] + streets[100:]:
            areas.append(
                [code, f"地区{code}", rng.choice(levels), today - timedelta(days=20), None]
            )
    return [tuple(a) for a in areas]


# --- the child: one database ------------------------------------------------------------------


def child(rows: int, runs: int) -> dict:
    sys.path.insert(0, str(REPO / "bench"))
    from _setup import django_setup

    django_setup()
    from _setup import spread
    from django.db import connection

    vendor = connection.vendor
    log(f"[{vendor}] database ready")
    today = date.today()
    ids = load(rows, today)
    n_places = ids["places"]

    from django.db import transaction

    from firstline.health.services.screening import rescreen

    def vacuum():
        with connection.cursor() as cur:
            if vendor == "postgresql":
                cur.execute("VACUUM ANALYZE health_declaration")
                cur.execute("VACUUM ANALYZE health_riskarea")
            else:
                cur.execute("ANALYZE")

    use_list(1)
    with timer() as t:
        first = rescreen(as_of=today)
    log(f"[{vendor}] list v1 screened in {t['s']} s: {counts_of(first)}")

    # rescreen() after the change, `runs` times: v1 put back and screened (untimed)
    # before each, so each timed run does the same work.
    timings, classify = [], []
    for n in range(runs):
        if n:
            use_list(1)
            with transaction.atomic():
                rescreen(as_of=today)
        use_list(2)
        vacuum()
        with timer() as t:
            result = rescreen(as_of=today)
        timings.append(t["s"])
        classify.append(result["seconds"]["classify"])
        log(
            f"[{vendor}] rescreen() after the change: {t['s']} s, {result['changed']:,} changed, "
            f"{result['work_items_opened']:,} items opened, {result['alerts']:,} alerts; "
            f"steps {result['seconds']}"
        )
    expected = checksum()
    keep_statuses()

    if unusual_codes():
        raise SystemExit("bench: risk areas with codes outside the national lengths")
    sql = raw_sql(vendor, today)
    raw_timings = []
    for _n in range(runs):
        use_list(1)
        with transaction.atomic():
            rescreen(as_of=today)
        assert checksum() != expected or result["changed"] == 0
        use_list(2)
        vacuum()
        with timer() as t:
            changed = raw_execute(sql)
        raw_timings.append(t["s"])
        got = checksum()
        differ = differing_statuses()
        if got != expected or differ:
            raise SystemExit(
                f"bench: the independent SQL and rescreen() disagree on {differ:,} declarations:"
                f" {got} vs {expected}"
            )
        log(
            f"[{vendor}] independent UPDATE: {t['s']} s, {changed:,} changed;"
            " every declaration's status the same as rescreen()'s"
        )
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_expected")
    return {
        "db": vendor,
        "rows": rows,
        "places": n_places,
        "areas": ids["areas"],
        "changed": result["changed"],
        "red": result["red"],
        "yellow": result["yellow"],
        "work_items_opened": result["work_items_opened"],
        "runs": runs,
        "rescreen_s": spread(timings),
        "rescreen_classify_s": spread(classify),
        "raw_sql_s": spread(raw_timings),
    }


@contextmanager
def timer():
    out = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["s"] = round(time.perf_counter() - start, 3)


def counts_of(result: dict) -> str:
    return f"red {result['red']:,}, yellow {result['yellow']:,}, green {result['green']:,}"


def checksum() -> list:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT status, COUNT(*), SUM(id % 1000003) FROM health_declaration "
            "WHERE current GROUP BY status ORDER BY status"
        )
        return [tuple(int(v) if not isinstance(v, str) else v for v in r) for r in cur.fetchall()]


def use_list(version: int) -> None:
    """Make `version` of the bench list the one in force (as the import does)."""
    from django.db import transaction

    from firstline.health.models import RiskArea, RiskList

    with transaction.atomic():
        RiskList.objects.update(current=False)
        RiskArea.objects.update(current=False)
        RiskList.objects.filter(version=version).update(current=True)
        RiskArea.objects.filter(risk_list__version=version).update(current=True)


def load(rows: int, today: date) -> dict:
    """Everything the bench needs, the bulk rows by the raw driver."""
    import uuid

    from _setup import _community, throwaway_company, throwaway_site  # noqa: F401
    from django.db import connection
    from django.utils import timezone

    from firstline.estates.models import Resident
    from firstline.health.models import Consent, Declaration, DeclarationPlace, RiskArea, RiskList
    from firstline.orgs.models import Company

    rng = random.Random(SEED)
    community, _made = _community()
    company = Company.objects.create(
        name=f"基准测试物业-{uuid.uuid4().hex[:6]}",
        credit_code=("91" + uuid.uuid4().hex[:16]).upper(),
        division=community,
    )
    site, households = throwaway_site(company, buildings=20, units=2, rooms=50)
    now = timezone.now()
    resident = Resident.all_tenants.create(
        company=company, site=site, household=households[0], name="模板"
    )
    # One consent row stands for all: re-screening never reads it.
    consent = Consent.all_tenants.create(
        company=company,
        site=site,
        resident=resident,
        text_version="bench",
        channel="import",
        given_at=now,
    )

    for version in (1, 2):
        lst = RiskList.objects.create(
            name="基准名单", version=version, published_at=now, current=False
        )
        areas = risk_areas(rng, version, today)
        RiskArea.objects.bulk_create(
            RiskArea(
                risk_list=lst,
                current=False,
                division_code=c,
                name=n,
                level=lv,
                valid_from=vf,
                valid_until=vu,
            )
            for c, n, lv, vf, vu in areas
        )
        lst.area_count = len(areas)
        lst.save(update_fields=["area_count"])

    base_id = resident.pk + 1
    res_cols = [f.column for f in Resident._meta.concrete_fields]
    template = dict(zip(res_cols, _row(Resident, resident.pk, res_cols), strict=True))
    hh = [h.pk for h in households]

    def residents():
        for i in range(rows):
            r = dict(template)
            r.update(
                id=base_id + i, household_id=hh[i % len(hh)], name=f"居民{i}", name_initials="jm"
            )
            yield tuple(r[c] for c in res_cols)

    with timer() as t:
        copy_rows(Resident._meta.db_table, res_cols, residents())
    log(f"[{connection.vendor}] {rows:,} residents inserted in {t['s']} s")

    decl_cols = [f.column for f in Declaration._meta.concrete_fields]
    temps = [None, None, Decimal("36.5"), Decimal("36.8"), Decimal("37.0")]

    def declarations():
        r = random.Random(SEED + 1)
        for i in range(rows):
            x = r.random()
            yield (
                {
                    "id": i + 1,
                    "company_id": company.pk,
                    "site_id": site.pk,
                    "created_at": now,
                    "updated_at": now,
                    "resident_id": base_id + i,
                    "household_id": hh[i % len(hh)],
                    "current": True,
                    "channel": "import",
                    "consent_id": consent.pk,
                    "submitted_at": now,
                    "return_date": None,
                    "transport": "",
                    "contact_confirmed": x < 0.005,
                    "contact_suspected": 0.005 <= x < 0.02,
                    "symptoms": '["cough"]' if 0.02 <= x < 0.04 else "[]",
                    "has_symptoms": 0.02 <= x < 0.04,
                    "temperature": Decimal("37.6") if 0.04 <= x < 0.06 else r.choice(temps),
                    "status": "green",
                    "screened_at": None,
                    "recorded_by_id": None,
                }
            )

    with timer() as t:
        copy_rows(
            Declaration._meta.db_table,
            decl_cols,
            (tuple(d[c] for c in decl_cols) for d in declarations()),
        )
    log(f"[{connection.vendor}] {rows:,} declarations inserted in {t['s']} s")

    place_cols = [f.column for f in DeclarationPlace._meta.concrete_fields if not f.primary_key]
    comms = communities(random.Random(SEED + 2))
    count = 0

    def places():
        nonlocal count
        r = random.Random(SEED + 3)
        for i in range(rows):
            for _k in range(1 if r.random() < 0.5 else 2):
                count += 1
                code, name = comms[int(len(comms) * r.random() ** 1.5)]  # some places are busier
                if r.random() < 0.001:
                    code, name = "", r.choice(MARKETS) + "附近"
                row = {
                    "company_id": company.pk,
                    "created_at": now,
                    "updated_at": now,
                    "declaration_id": i + 1,
                    "division_code": code,
                    "place_name": name,
                    "visited_on": today - timedelta(days=r.randint(0, 20)),
                }
                yield tuple(row[c] for c in place_cols)

    with timer() as t:
        copy_rows(DeclarationPlace._meta.db_table, place_cols, places())
    log(f"[{connection.vendor}] {count:,} places inserted in {t['s']} s")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for model in (Resident, Declaration):
                table = model._meta.db_table
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
    return {"places": count, "areas": RiskArea.objects.filter(risk_list__version=2).count()}


def _row(model, pk, cols):
    from _setup import stored_rows

    [row] = stored_rows(model._meta.db_table, cols, "id = %s", [pk])
    return row


# --- the limit: one hand-written statement ----------------------------------------------------


# The national scheme's code lengths: province 2, city 4, county 6, street 9, community 12.
CODE_LENGTHS = (2, 4, 6, 9, 12)


def raw_sql(vendor: str, today: date) -> str:
    """The classification under the default rules, written from the rules' own words
    (health/services/rules.py's docstring: a place hits an area when its code starts
    with the area's code, or, for a named area, when its name contains the area's
    name; the visit within the last 14 days and within the area's validity; red for
    a confirmed contact, a temperature of 37.3 or more or a high area, yellow for a
    suspected contact, a symptom or a medium area), not from the code's SQL: a plain
    join of declarations to their places to the areas, a place's code taken at each
    of the national scheme's five prefix lengths (no look at which lengths the list
    uses), the worst level per declaration by GROUP BY, and one UPDATE."""
    cutoff = (today - timedelta(days=14)).isoformat()
    contains = (
        "STRPOS(p.place_name, a.name) > 0"
        if vendor == "postgresql"
        else "INSTR(p.place_name, a.name) > 0"
    )
    lengths = " UNION ALL ".join(f"SELECT {n} AS n" for n in CODE_LENGTHS)
    true = "TRUE" if vendor == "postgresql" else "1"
    return f"""
WITH prefixes AS (
  SELECT p.declaration_id, p.visited_on, SUBSTR(p.division_code, 1, l.n) AS code
  FROM health_declarationplace p JOIN ({lengths}) AS l ON LENGTH(p.division_code) >= l.n
  WHERE p.division_code <> '' AND p.visited_on > '{cutoff}'
), hits AS (
  SELECT x.declaration_id, a.level
  FROM prefixes x JOIN health_riskarea a ON a.current AND a.division_code = x.code
  WHERE a.valid_from <= x.visited_on AND (a.valid_until IS NULL OR x.visited_on <= a.valid_until)
  UNION ALL
  SELECT p.declaration_id, a.level
  FROM health_declarationplace p JOIN health_riskarea a
    ON a.current AND a.division_code = '' AND {contains}
  WHERE p.visited_on > '{cutoff}'
    AND a.valid_from <= p.visited_on AND (a.valid_until IS NULL OR p.visited_on <= a.valid_until)
), worst AS (
  SELECT declaration_id,
         MAX(CASE level WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END) AS rank
  FROM hits GROUP BY declaration_id
), screened AS (
  SELECT d.id,
         CASE WHEN d.contact_confirmed OR d.temperature >= 37.3 OR w.rank = 2 THEN 'red'
              WHEN d.contact_suspected OR d.has_symptoms OR w.rank = 1 THEN 'yellow'
              ELSE 'green' END AS status
  FROM health_declaration d LEFT JOIN worst w ON w.declaration_id = d.id
  WHERE d.current = {true}
)
UPDATE health_declaration SET status = screened.status, screened_at = CURRENT_TIMESTAMP
FROM screened
WHERE health_declaration.id = screened.id AND health_declaration.status <> screened.status
"""


def unusual_codes() -> int:
    """Areas in force whose code is not of the national scheme's lengths: the limit's
    join would miss them, so the bench refuses to compare rather than differ quietly."""
    from django.db import connection

    lengths = ", ".join(str(n) for n in CODE_LENGTHS)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM health_riskarea WHERE current AND division_code <> ''"
            f" AND LENGTH(division_code) NOT IN ({lengths})"
        )
        return cur.fetchone()[0]


def keep_statuses() -> None:
    """rescreen()'s result, declaration by declaration, kept to compare the limit with."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_expected")
        cur.execute(
            "CREATE TABLE bench_expected AS SELECT id, status FROM health_declaration WHERE current"
        )


def differing_statuses() -> int:
    """Current declarations whose status now differs from the one kept (or is missing)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM health_declaration d LEFT JOIN bench_expected e ON e.id = d.id"
            " WHERE d.current AND (e.status IS NULL OR e.status <> d.status)"
        )
        return cur.fetchone()[0]


def raw_execute(sql: str) -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
        if connection.vendor == "sqlite":  # UPDATE … FROM reports -1 through the driver
            cur.execute("SELECT changes()")
            return cur.fetchone()[0]
        return cur.rowcount


# --- the parent ----------------------------------------------------------------------------------


def pg_urls() -> tuple[str, str]:
    """(admin URL to create the bench database with, the bench database's URL)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = DEFAULT_PG
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def run_child(env: dict, rows: int, runs: int) -> dict:
    return child_result(__file__, env, ["--rows", str(rows), "--runs", str(runs)])


def with_postgres(rows: int, runs: int) -> dict:
    import psycopg

    admin, url = pg_urls()
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        env = {**os.environ, "DATABASE_URL": url}
        return run_child(env, rows, runs)
    finally:
        with psycopg.connect(
            admin.replace("postgres://", "postgresql://", 1), autocommit=True
        ) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


def with_sqlite(rows: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["FIRSTLINE_SQLITE_PATH"] = str(Path(tmp) / "rescreen.sqlite3")
        return run_child(env, rows, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 declarations")
    parser.add_argument("--rows", type=int, help="any other number of declarations")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (at least 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    runs = max(3, args.runs)
    if args.child:
        print(json.dumps(child(rows, runs), ensure_ascii=False), flush=True)
        return
    out: dict = {"rows": rows}
    if args.only != "postgresql":
        lite = with_sqlite(rows, runs)
        out.update({f"sqlite_{k}": v for k, v in lite.items() if k.endswith("_s")})
    if args.only != "sqlite":
        pg = with_postgres(rows, runs)
        out.update({k: v for k, v in pg.items() if k != "db"})
    else:
        out.update(
            {k: v for k, v in lite.items() if k not in ("db", "rows") and not k.endswith("_s")}
        )
    if "rescreen_s" in out and out.get("raw_sql_s"):
        out["ratio"] = round(out["rescreen_s"]["median"] / out["raw_sql_s"]["median"], 2)
    if "sqlite_rescreen_s" in out and out.get("sqlite_raw_sql_s"):
        out["sqlite_ratio"] = round(
            out["sqlite_rescreen_s"]["median"] / out["sqlite_raw_sql_s"]["median"], 2
        )
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
