"""Shared set-up for the scripts in bench/: Django from the environment, throwaway
tenants that are removed afterwards, the raw database driver for the limit, and
the one JSON line each script prints last.

    from _setup import django_setup

    django_setup()                      # before importing any model
    from _setup import emit, raw_executemany, throwaway_company, ...

Works against whatever database the settings point at (SQLite by default,
PostgreSQL with DATABASE_URL); `./firstline bench NAME` runs a script with the
demo's keys loaded.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def django_setup(*, migrate: bool = True) -> None:
    """Configure Django as the app runs it; apply pending migrations so a fresh
    database works (say migrate=False to refuse instead)."""
    src = str(REPO / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    from firstline.cli import load_secrets

    load_secrets(create=True)
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending and not migrate:
        sys.exit(
            f"bench: {len(pending)} migrations are not applied; run `./firstline manage migrate`."
        )
    if pending:
        from django.core.management import call_command

        log(f"applying {len(pending)} migrations…")
        call_command("migrate", verbosity=0)


def log(message: str) -> None:
    """Progress notes go to stderr; stdout ends with the JSON line."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def emit(figures: dict) -> None:
    print(json.dumps(figures, ensure_ascii=False), flush=True)


def db_vendor() -> str:
    from django.db import connection

    return connection.vendor  # "sqlite" or "postgresql"


@contextmanager
def timer() -> Iterator[dict]:
    """with timer() as t: …  then t["s"] holds the wall-clock seconds and t["cpu_s"]
    this process's CPU seconds (steadier on a busy machine), to the millisecond."""
    out: dict = {}
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out["s"] = round(time.perf_counter() - start, 3)
        out["cpu_s"] = round(time.process_time() - cpu, 3)


# --- throwaway tenants --------------------------------------------------------------


def _community():
    """A community division to hang sites on: an existing one, or a temporary one
    (returned second, for deletion)."""
    from firstline.geo.models import Division

    found = Division.objects.filter(level=Division.Level.COMMUNITY).order_by("code").first()
    if found is not None:
        return found, None
    code = f"99{uuid.uuid4().int % 10**10:010d}"
    made = Division.objects.create(code=code, name="基准测试社区", level=Division.Level.COMMUNITY)
    return made, made


def company_purge(company_id: int) -> None:
    """Delete every row of one company, in whatever order the foreign keys allow:
    every model with a foreign key to the company is emptied, in passes, until
    nothing protects the company row any more."""
    from django.apps import apps
    from django.db.models import ProtectedError, RestrictedError

    from firstline.orgs.models import Company

    holders = [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Company and model is not Company
    ]
    for _pass in range(len(holders) + 1):
        blocked = False
        for model, name in holders:
            rows = model._base_manager.filter(**{name: company_id})
            try:
                rows.delete()
            except (ProtectedError, RestrictedError):
                blocked = True
        if not blocked:
            break
    Company.objects.filter(pk=company_id).delete()


@contextmanager
def throwaway_company(name: str = "基准测试物业") -> Iterator:
    """A company that exists for the block only; everything under it goes with it."""
    from firstline.orgs.models import Company, User

    community, made = _community()
    company = Company.objects.create(
        name=f"{name}-{uuid.uuid4().hex[:6]}",
        credit_code=("91" + uuid.uuid4().hex[:16]).upper(),
        division=community,
    )
    try:
        yield company
    finally:
        company_purge(company.pk)
        User.objects.filter(pk__in=_USERS.pop(company.pk, [])).delete()
        if made is not None:
            made.delete()


def throwaway_site(
    company, *, name: str = "基准测试小区", buildings: int = 10, units: int = 2, rooms: int = 50
):
    """A site with buildings × units × rooms households (rooms numbered floor + index,
    two a floor: 101, 102, 201 …). Returns (site, households)."""
    from firstline.estates.models import Building, Household, Site

    site = Site.all_tenants.create(company=company, name=name, community=company.division)
    made = Building.all_tenants.bulk_create(
        Building(company=company, site=site, name=f"{b}栋", floors=(rooms + 1) // 2)
        for b in range(1, buildings + 1)
    )
    households = [
        Household(
            company=company,
            site=site,
            building=building,
            unit=str(u),
            room=f"{r // 2 + 1}{r % 2 + 1:02d}",
        )
        for building in made
        for u in range(1, units + 1)
        for r in range(rooms)
    ]
    return site, Household.all_tenants.bulk_create(households, batch_size=2_000)


_USERS: dict[int, list[int]] = {}  # company → its throwaway users, deleted after its rows


def throwaway_user(company, *, role: str = "company_admin", site=None):
    """A login with one role in a throwaway company; deleted with that company."""
    from firstline.orgs.models import RoleAssignment, User

    user = User.objects.create_user(username=f"bench-{uuid.uuid4().hex[:10]}", password=None)
    _USERS.setdefault(company.pk, []).append(user.pk)
    RoleAssignment.objects.create(user=user, role=role, company=company, site=site)
    return user


# --- the raw driver: the limit a bench compares against ------------------------------------


def raw_executemany(table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> float:
    """Seconds for the database driver alone to insert `rows` in one transaction, on
    its own connection (sqlite3 or psycopg), as the same table's values."""
    from django.db import connection

    settings = connection.settings_dict
    names = ", ".join(columns)
    if connection.vendor == "sqlite":
        import sqlite3

        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _c in columns)})"
        raw = sqlite3.connect(settings["NAME"], timeout=20, isolation_level=None)
        try:
            raw.execute("PRAGMA synchronous=NORMAL")
            start = time.perf_counter()
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(sql, rows)
            raw.execute("COMMIT")
            return time.perf_counter() - start
        finally:
            raw.close()
    if connection.vendor == "postgresql":
        import psycopg

        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('%s' for _c in columns)})"
        raw = psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        )
        try:
            start = time.perf_counter()
            with raw.transaction(), raw.cursor() as cur:
                cur.executemany(sql, rows)
            return time.perf_counter() - start
        finally:
            raw.close()
    raise SystemExit(f"bench: no raw driver for {connection.vendor}")


def stored_rows(table: str, columns: Sequence[str], where: str, params: Sequence) -> list[tuple]:
    """Rows exactly as the database holds them (no Django conversion), to insert again raw."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", params)
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in cur.fetchall()
        ]


def copy_rows(table: str, columns: Sequence[str], rows) -> None:
    """Write `rows` (an iterable of tuples) into `table` through the raw driver on
    Django's own connection, in one transaction: COPY on PostgreSQL, executemany in
    chunks on SQLite (dates and decimals as the text SQLite stores). How the bench
    scripts load millions of rows of set-up data fast."""
    from django.db import connection, transaction

    names = ", ".join(columns)
    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _c in columns)})"
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(tuple(_sqlite_value(v) for v in row))
            if len(chunk) == 50_000:
                raw.executemany(sql, chunk)
                chunk = []
        if chunk:
            raw.executemany(sql, chunk)


def _sqlite_value(value):
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.isoformat(sep=" ").replace("+00:00", "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- throwaway databases: a script measured on SQLite and PostgreSQL ----------------------

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def child_result(script: str, env: dict, child_args: Sequence[str]) -> dict:
    """Run `script --child …` with `env` (its database) and return the one JSON line
    it prints last."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, script, "--child", *child_args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: the child failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_in_throwaway_databases(script: str, db_name: str, child_args: Sequence[str]) -> list:
    """Run `script --child …` once on a temporary SQLite file and once on a fresh
    PostgreSQL database `db_name` (on DATABASE_URL's server, else 127.0.0.1), dropped
    afterwards. Each child configures Django for its database and prints one JSON
    line last; returns those results, SQLite's first."""
    import tempfile
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    results = []
    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["FIRSTLINE_SQLITE_PATH"] = str(Path(tmp) / f"{db_name}.sqlite3")
        results.append(child_result(script, env, child_args))
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = DEFAULT_PG
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {db_name}")
        c.execute(f"CREATE DATABASE {db_name}")
    try:
        url = urlunsplit(parts._replace(path=f"/{db_name}"))
        results.append(child_result(script, {**os.environ, "DATABASE_URL": url}, child_args))
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {db_name}")
    return results
