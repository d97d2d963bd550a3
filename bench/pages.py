"""Page speed at wuhan scale: dashboards, roll-ups, the command centre and the main
list pages, each loaded as its user sees it, with p50/p95 and the query count.

    ./firstline bench pages            # the article's Wuhan: 846 companies, ~2,000 sites, ~1,000,000 residents
    ./firstline bench pages --quick    # 120 companies, 300 sites, 30,000 residents
    ./firstline bench pages --keep     # keep the built database (var/bench-pages-*.sqlite3) and reuse it next time

A throwaway database is built first (a temporary SQLite file; with DATABASE_URL on
PostgreSQL, a fresh database `fl_bench_pages` beside it, dropped afterwards): the
scenario's wuhan world (organisations, sites, residents, staff, the demo logins and the
donation ledger), then 30 days of daily reports for every site and a stream of alerts
for the command centre. The access, health and sanitation histories are demo-scale
only, so their list pages are measured on what the world holds.

Each page is requested through Django's full stack (middleware, sessions, templates)
in-process: 3 warm-up requests, then N timed ones (10 with --quick, 20 otherwise):
each page's median, p95, min and max. The raw-database limit is the city roll-up's
aggregate (reports of one day grouped by district) run by the driver alone in the
same run, N times: its median, min and max. Last line: JSON with `pages` ([{name,
p50_ms, p95_ms, min_ms, max_ms, queries}]), `worst_p95_ms`, `raw_rollup_ms` and
`failed`.

A page that does not resolve (no such URL name) or answers anything but 200 fails the
bench: it is listed in `failed` with what it answered, the JSON line is still
printed, and the command exits with status 1 naming the pages. A listed page is part
of what the bench promises to measure; a page that quietly dropped out would make
the figures look better than they are.

At wuhan scale (the default, without --quick) the world is 846 companies, 2,000
sites and 1,000,000 residents, fifty times the demo world (which builds in about a
minute here), so build it once and keep it:

    ./firstline bench pages --keep                      # SQLite: var/bench-pages-wuhan.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres ./firstline bench pages --keep
                                                        # PostgreSQL: database fl_bench_pages

and later runs with --keep reuse it and only time the pages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DB_NAME = "fl_bench_pages"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import child_result  # noqa: E402  (bench/ is on the path from here on)

# --- the child: builds the world and times the pages ---------------------------------------


def build(quick: bool) -> dict:
    from _setup import log

    from firstline.scenario.world import SCALES, ScaleOverride, build_world, world_exists

    if world_exists():
        log("reusing the world already in this database")
        analyze()
        return {"built_s": 0.0}
    size = ScaleOverride(companies=120, sites=300, residents=30_000, staff=3_000) if quick else None
    started = time.perf_counter()
    build_world(scale="wuhan", size=size, log=log)
    built = time.perf_counter() - started
    log(f"world built in {built:.0f} s ({'quick' if quick else SCALES['wuhan']})")
    reports_and_alerts()
    analyze()
    return {"built_s": round(built, 1)}


def analyze() -> None:
    """Table statistics, as autovacuum (PostgreSQL) or a maintenance job (SQLite)
    keeps them on a live system: just after a bulk load there are none, and the
    planner guesses one row where there are thousands."""
    from _setup import log
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    log(f"ANALYZE in {time.perf_counter() - started:.1f} s")


def reports_and_alerts() -> None:
    """30 days of reports per site (figures drawn at random: a page's cost does not
    depend on their values) and open and acknowledged alerts for the command centre."""
    from _setup import log
    from django.utils import timezone

    from firstline.estates.models import Site
    from firstline.health.models import HealthAlert
    from firstline.reports.models import FIGURES, DailyReport
    from firstline.reports.services.daily import report_cutoff

    rng = random.Random(2020)
    now = timezone.now()
    today = timezone.localdate()
    sites = list(Site.all_tenants.values_list("id", "company_id", "community__code"))
    log(f"30 days of reports for {len(sites)} sites …")
    for back in range(30, 0, -1):
        day = today - timedelta(days=back)
        due = report_cutoff(day)
        rows = []
        for site_id, company_id, code in sites:
            fate = rng.random()
            submitted = None if fate < 0.03 else due - timedelta(hours=rng.uniform(1, 14))
            late = 0.03 <= fate < 0.11
            if late:
                submitted = due + timedelta(hours=rng.uniform(0.2, 6))
            figures = {name: rng.randint(0, 400) for name in FIGURES}
            figures["sanitation_done"] = min(figures["sanitation_done"], figures["sanitation_due"])
            rows.append(
                DailyReport(
                    company_id=company_id,
                    site_id=site_id,
                    day=day,
                    division_code=code,
                    state="submitted" if submitted else "draft",
                    due_at=due,
                    prefilled_at=due - timedelta(hours=15),
                    submitted_at=submitted,
                    late=late,
                    version=1 if submitted else 0,
                    **figures,
                )
            )
        DailyReport.all_tenants.bulk_create(rows, batch_size=5_000)
    log("alerts …")
    kinds = [HealthAlert.Kind.MISSED_CHECK, HealthAlert.Kind.FEVER, HealthAlert.Kind.URGENT_SUPPORT]
    alerts = []
    for n in range(20 * len(sites)):
        site_id, company_id, _code = sites[n % len(sites)]
        at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
        alerts.append(
            HealthAlert(
                company_id=company_id,
                site_id=site_id,
                kind=kinds[n % 3],
                key=f"bench-{n}",
                message="基准测试告警",
                due_at=at,
                acknowledged_at=None if rng.random() < 0.2 else at + timedelta(minutes=30),
            )
        )
    HealthAlert.all_tenants.bulk_create(alerts, batch_size=5_000)


def users() -> dict:
    """Who loads which page: the demo logins the world made, and a city-level viewer."""
    from firstline.core.roles import Role
    from firstline.geo.models import Division
    from firstline.orgs.models import RoleAssignment, User

    found = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
    city, _ = User.objects.get_or_create(username="bench_city_viewer")
    RoleAssignment.objects.get_or_create(
        user=city, role=Role.AUTHORITY_VIEWER, division=Division.objects.get(code="4201")
    )
    found["bench_city_viewer"] = city
    return found


LOGINS = ("assoc_admin", "admin_anju", "manager_1", "authority_jianghan")

# (name, login, URL name, query string). The roll-up and list pages are the largest a
# login has: the city, the biggest company, the whole association.
PAGES = [
    ("dashboard_association", "assoc_admin", "dashboard", ""),
    ("dashboard_company", "admin_anju", "dashboard", ""),
    ("dashboard_site_manager", "manager_1", "dashboard", ""),
    ("dashboard_authority", "authority_jianghan", "dashboard", ""),
    ("rollup_city", "bench_city_viewer", "reports:rollup", "division=4201"),
    ("rollup_district", "authority_jianghan", "reports:rollup", "division=420103"),
    ("rollup_company", "admin_anju", "reports:rollup", ""),
    ("overview_association", "assoc_admin", "reports:overview", ""),
    ("daily_list_company", "admin_anju", "reports:daily_list", ""),
    ("daily_list_authority", "authority_jianghan", "reports:daily_list", ""),
    ("command_centre", "admin_anju", "reports:command", ""),
    ("command_feed", "admin_anju", "reports:command_feed", ""),
    ("residents_company", "admin_anju", "estates:resident_list", ""),
    ("sites_company", "admin_anju", "estates:site_list", ""),
    ("public_ledger", None, "ledger:home", ""),
    ("public_ledger_sites", None, "ledger:sites", ""),
    ("needs_coordinator", "assoc_admin", "supplies:needs_open", ""),
    ("shipments_coordinator", "assoc_admin", "supplies:shipment_list", ""),
]


def measure(rounds: int, failed: list[dict]) -> list[dict]:
    from _setup import log
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    logins = users()
    out = []
    for name, login, url_name, query in PAGES:
        try:
            url = reverse(url_name) + (f"?{query}" if query else "")
        except NoReverseMatch:
            log(f"FAILED {name}: no page named {url_name}")
            failed.append({"name": name, "url_name": url_name, "status": "no such page"})
            continue
        if login and login not in logins:
            log(f"FAILED {name}: no login {login} in this world")
            failed.append({"name": name, "url": url, "status": f"no login {login}"})
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        if login:
            client.force_login(logins[login])
        for _ in range(3):
            response = client.get(url)
        if response.status_code != 200:
            log(f"FAILED {name}: {url} answered {response.status_code}")
            failed.append({"name": name, "url": url, "status": response.status_code})
            continue
        # The request resets the query log when it starts (request_started), so the
        # log must be empty going in for the context's count to be the request's.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        count = len(queries)  # now: the context reads the log lazily, and requests clear it
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                break
        if response.status_code != 200:
            log(f"FAILED {name}: {url} answered {response.status_code} while timed")
            failed.append({"name": name, "url": url, "status": response.status_code})
            continue
        times.sort()
        row = {
            "name": name,
            "url": url,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95 + 0.5) - 1)], 1),
            "min_ms": round(times[0], 1),
            "max_ms": round(times[-1], 1),
            "queries": count,
        }
        log(f"{name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, {row['queries']} queries")
        out.append(row)
    return out


def raw_rollup_ms(rounds: int) -> dict:
    """The city roll-up's aggregate by the driver alone: yesterday's reports of the
    city grouped by district, each figure summed (median, min and max of `rounds`)."""
    from django.db import connection
    from django.utils import timezone

    from firstline.reports.models import FIGURES

    day = timezone.localdate() - timedelta(days=1)
    sums = ", ".join(f"SUM({f})" for f in FIGURES)
    sql = (
        f"SELECT substr(division_code, 1, 6), COUNT(*), {sums} FROM reports_dailyreport "
        "WHERE day = %s AND division_code LIKE '4201%%' AND state = 'submitted' GROUP BY 1"
    )
    connection.ensure_connection()
    raw = connection.connection
    times = []
    for _ in range(rounds):
        cur = raw.cursor()
        started = time.perf_counter()
        if connection.vendor == "sqlite":
            cur.execute(sql.replace("%s", "?").replace("%%", "%"), (day.isoformat(),))
        else:
            cur.execute(sql, (day,))
        cur.fetchall()
        times.append((time.perf_counter() - started) * 1000)
        cur.close()
    from _setup import spread

    return spread(times, 2)


def child(quick: bool) -> dict:
    from _setup import django_setup

    django_setup()
    from django.db import connection

    from firstline.estates.models import Resident, Site
    from firstline.reports.models import DailyReport

    figures = build(quick)
    rounds = 10 if quick else 20
    failed: list[dict] = []
    pages = measure(rounds, failed)
    return {
        "db": connection.vendor,
        "sites": Site.all_tenants.count(),
        "residents": Resident.all_tenants.count(),
        "reports": DailyReport.all_tenants.count(),
        **figures,
        "rounds": rounds,
        "pages": pages,
        "worst_p95_ms": max((p["p95_ms"] for p in pages), default=None),
        "raw_rollup_ms": raw_rollup_ms(rounds),
        "failed": failed,
    }


# --- the parent: a throwaway database ------------------------------------------------------


def run_child(env: dict, quick: bool) -> dict:
    return child_result(__file__, env, ["--quick"] if quick else [])


def with_postgres(quick: bool, keep: bool) -> dict:
    import psycopg

    base = os.environ.get("DATABASE_URL", DEFAULT_PG)
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    name = DB_NAME + ("_quick" if quick else "")
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not keep:
            c.execute(f"DROP DATABASE {name}")
        if not exists or not keep:
            c.execute(f"CREATE DATABASE {name}")
    try:
        return run_child({**os.environ, "DATABASE_URL": url}, quick)
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {name}")


def with_sqlite(quick: bool, keep: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if keep:
        path = REPO / "var" / f"bench-pages-{'quick' if quick else 'wuhan'}.sqlite3"
        path.parent.mkdir(exist_ok=True)
        env["FIRSTLINE_SQLITE_PATH"] = str(path)
        return run_child(env, quick)
    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as tmp:
        env["FIRSTLINE_SQLITE_PATH"] = str(Path(tmp) / "pages.sqlite3")
        return run_child(env, quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 sites, 30,000 residents")
    parser.add_argument("--keep", action="store_true", help="keep and reuse the built database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.quick), ensure_ascii=False), flush=True)
        return
    on_pg = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    result = with_postgres(args.quick, args.keep) if on_pg else with_sqlite(args.quick, args.keep)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    if result["failed"]:
        names = ", ".join(f"{f['name']} ({f['status']})" for f in result["failed"])
        sys.exit(f"bench pages: FAILED: {names}")


if __name__ == "__main__":
    main()
