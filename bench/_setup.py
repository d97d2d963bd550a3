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
import socket
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


def raw_connect():
    """A connection of the database driver alone (sqlite3 or psycopg) to the database
    Django's settings name, outside Django: the limit's side of a comparison."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        raw = sqlite3.connect(settings["NAME"], timeout=20, isolation_level=None)
        raw.execute("PRAGMA synchronous=NORMAL")
        return raw
    if connection.vendor == "postgresql":
        import psycopg

        return psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        )
    raise SystemExit(f"bench: no raw driver for {connection.vendor}")


def _placeholder() -> str:
    from django.db import connection

    return "?" if connection.vendor == "sqlite" else "%s"


def raw_executemany(table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> float:
    """Seconds for the database driver alone to insert `rows` in one transaction, on
    its own connection (sqlite3 or psycopg), as the same table's values."""
    names = ", ".join(columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(_placeholder() for _c in columns)})"
    raw = raw_connect()
    try:
        start = time.perf_counter()
        if hasattr(raw, "transaction"):  # psycopg
            with raw.transaction(), raw.cursor() as cur:
                cur.executemany(sql, rows)
        else:
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(sql, rows)
            raw.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        raw.close()


def raw_single_inserts(
    table: str, columns: Sequence[str], make_row, *, connections: int, seconds: float
) -> dict:
    """The same shape as a server answering single requests: `connections` threads,
    each on its own driver connection, inserting one row and committing, again and
    again for `seconds`. make_row(n) gives the n-th row of this run (fresh unique
    values: a caller repeating runs keeps its own count).
    Returns rows a second and the per-commit p50/p99 in ms. The drivers release the
    interpreter lock while the database works, so the threads do overlap."""
    import threading

    names = ", ".join(columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(_placeholder() for _c in columns)})"
    counter = iter(range(10**12))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []
    start_gate = threading.Barrier(connections + 1)

    def work() -> None:
        raw = raw_connect()
        mine = []
        try:
            start_gate.wait()
            stop = time.perf_counter() + seconds
            while time.perf_counter() < stop:
                with lock:
                    row = make_row(next(counter))
                began = time.perf_counter()
                if hasattr(raw, "transaction"):  # psycopg: one transaction per row
                    with raw.transaction():
                        raw.execute(sql, row)
                else:
                    raw.execute("BEGIN IMMEDIATE")
                    raw.execute(sql, row)
                    raw.execute("COMMIT")
                mine.append(time.perf_counter() - began)
        except Exception as exc:  # reported below: the limit must not be silently low
            failures.append(repr(exc))
        finally:
            raw.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(connections)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"bench: the raw single inserts failed: {failures[0]}")
    latencies.sort()
    return {
        "per_s": round(len(latencies) / elapsed),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "connections": connections,
    }


# --- repeated runs: a median and its spread, never one lucky run ---------------------------


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-quantile of an ascending list (nearest rank)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p + 0.5) - 1))]


def spread(values: Sequence[float], digits: int = 3) -> dict:
    """The median of repeated runs with their min and max (all the runs kept too), so
    a reader sees how far one run strays from the next."""
    import statistics

    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "runs": [round(v, digits) for v in values],
    }


def repeated(measure, runs: int = 3) -> list:
    """measure() called `runs` times (at least three): its results, in order."""
    return [measure() for _ in range(max(3, runs))]


def summarise(results: Sequence[dict], digits: int = 3) -> dict:
    """Dicts of figures from repeated runs → one dict of the same keys, each figure
    as spread() of its runs (non-numeric values are taken from the first run)."""
    out: dict = {}
    for key, first in results[0].items():
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            out[key] = spread([r[key] for r in results], digits)
        else:
            out[key] = first
    return out


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


# --- HTTP clients of a server under test -------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connection:
    """One keep-alive HTTP/1.1 connection on a plain socket: the clients share the
    server's two cores, and http.client's overhead would be taken from the server."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        for attempt in range(2):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.sendall(head + body)
                return self._response()
            except OSError:
                # gunicorn closes an idle keep-alive connection: reconnect once.
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += chunk

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._receive()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _take(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self._receive()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return data

    def _response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        fields = {}
        for line in lines:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip().lower()
        if fields.get(b"transfer-encoding") == b"chunked":
            parts = []
            while size := int(self._line().split(b";")[0], 16):
                parts.append(self._take(size))
                self._take(2)
            self._line()
            payload = b"".join(parts)
        else:
            payload = self._take(int(fields.get(b"content-length", b"0")))
        if fields.get(b"connection") == b"close":
            self.close()
        return int(status_line.split()[1]), payload
