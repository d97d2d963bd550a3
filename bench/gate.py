"""Bench: gate check-ins over HTTP against the production server on PostgreSQL.

Starts the same gunicorn command `./firstline serve` runs (firstline.cli.gunicorn_cmd)
on a free 127.0.0.1 port, and drives the device API with concurrent keep-alive
clients: single check-ins (POST /api/v1/access/events, a scanned pass or a looked-up
resident with a temperature, in and out) for a fixed time, then batches of 1,000
(POST /api/v1/access/events/batch). Each phase is timed three times (--runs): every
figure is the median with its min and max.

Two raw limits, measured in the same run by the driver alone on access_accessevent:
- for the singles, the same shape: as many connections as single clients, each
  inserting one event row and committing, again and again (`raw_single_*`);
- for the batches, the same rows in one transaction (executemany, and COPY).

The passes scanned are more than every cache on the way: the gate's in-process LRU
caches hold 8,192 pass tokens each (access.services.gate._verify_signature and
access.services.passes.claimed_pass_id, per worker process); device tokens are cached
10,000 (devices.CACHE_SIZE) and sites' keys and policies 10,000 (gate.CACHED_SITES),
but there are only --sites devices and sites. By default 2 sites × 12,000 residents
= 24,000 passes, and each client walks its own shuffled share of its site's passes,
so a pass comes round again only after the whole share: nearly every scan misses the
caches. The ADMIT/DENY/REFER mix of the answers is printed and in the JSON.

The clients are gate devices of `--sites` closed compounds (client n at site n mod
sites), as a city's devices are spread over many compounds: two batches of one
compound take turns on the households whose exits they count, by design. Each client
makes its request bodies before the timed phase (fresh client uuids for every
request), as a device builds its requests on its own processor, not the server's.

PostgreSQL is required: DATABASE_URL must point at it; when it is unset, a throwaway
database `firstline_bench_gate` is made with createdb on 127.0.0.1 as user postgres
and dropped at the end. Everything the bench creates is deleted. The last line is JSON:

    {"single_per_s": {median, min, max, runs}, "p50_ms": {…}, "p95_ms": {…}, "p99_ms": {…},
     "raw_single_insert_per_s": {…}, "raw_single_p99_ms": {…}, "single_ratio": …,
     "batch_events_per_s": {…}, "raw_insert_per_s": {…}, "raw_copy_per_s": {…},
     "batch_ratio_copy": …, "decisions": {"admit": …, "deny": …, "refer": …},
     "passes": …, "pass_cache_size": 8192, "clients": …, "sites": …, "workers": …,
     "db": "postgresql"}

Goal on the 2-core reference machine: ≥ 500 single check-ins/s with p99 ≤ 100 ms, and
≥ 20,000 batch events/s. --quick (6 s a phase) finishes in about three minutes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from _setup import REPO, Connection, django_setup, free_port, log

THROWAWAY_DB = "firstline_bench_gate"
PG = {"host": "127.0.0.1", "user": "postgres"}


# --- the database ------------------------------------------------------------------------------


@contextmanager
def postgres():
    """DATABASE_URL when it names PostgreSQL; otherwise a throwaway database, dropped after."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            sys.exit("bench gate: DATABASE_URL must point at PostgreSQL")
        yield url
        return
    flags = ["-h", PG["host"], "-U", PG["user"]]
    # Fixed arguments, PostgreSQL's own client programs from PATH.
    subprocess.run(["dropdb", *flags, "--if-exists", THROWAWAY_DB], check=True)
    subprocess.run(["createdb", *flags, THROWAWAY_DB], check=True)
    log(f"created the throwaway database {THROWAWAY_DB}")
    os.environ["DATABASE_URL"] = f"postgres://{PG['user']}@{PG['host']}:5432/{THROWAWAY_DB}"
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        os.environ.pop("DATABASE_URL")
        subprocess.run(["dropdb", *flags, "--if-exists", "--force", THROWAWAY_DB], check=False)
        log(f"dropped {THROWAWAY_DB}")


# --- the world the devices check people into -------------------------------------------------------


def build_site(company, *, residents: int, name: str = "基准测试小区"):
    """A closed compound with one policy, `residents` residents with passes, and a
    device at its gate. Returns (site, device token, [(resident id, pass token)])."""
    from _setup import throwaway_site
    from django.utils import timezone

    from firstline.access.models import Checkpoint, Pass
    from firstline.access.services import gate
    from firstline.access.services.devices import device_register
    from firstline.estates.models import Resident

    site, households = throwaway_site(
        company, name=name, buildings=5, units=2, rooms=max(1, residents // 20)
    )
    people = Resident.all_tenants.bulk_create(
        [
            Resident(
                company=company,
                site=site,
                household=households[n % len(households)],
                name=f"居民{n:05d}",
                birth_year=1950 + n % 60,
            )
            for n in range(residents)
        ],
        batch_size=2_000,
    )
    now = timezone.now()
    gate.policy_publish(
        actor=None,
        site=site,
        data={
            "mode": "closed",
            "outing_quota": 2,
            "outing_period_days": 1,
            "effective_from": now - timedelta(days=7),
        },
    )
    key = gate.site_key_active(site=site)
    passes = Pass.all_tenants.bulk_create(
        [
            Pass(
                company=company,
                site=site,
                household_id=r.household_id,
                resident=r,
                holder_name=r.name,
                valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=30),
            )
            for r in people
        ],
        batch_size=2_000,
    )
    credentials = [(p.resident_id, gate.pass_token(p, key)) for p in passes]
    checkpoint = Checkpoint.all_tenants.create(company=company, site=site, name="南门")
    _device, token = device_register(
        actor=None, checkpoint=checkpoint, name="南门测温门", kind="temperature", serial="BENCH"
    )
    return site, token, credentials


def purge_events(company_id: int) -> None:
    """Events, alerts and follow-ups are many: one statement each, not Django's cascade."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("access_alert", "access_followup", "access_accessevent"):
            cur.execute(f"DELETE FROM {table} WHERE company_id = %s", [company_id])


# --- the server ------------------------------------------------------------------------------------


@contextmanager
def server(workers: int, token: str, threads: int = 8):
    """The serve command's gunicorn on a free port, until the block ends; ready when a
    device heartbeat is answered."""
    from firstline.cli import django_env, gunicorn_cmd

    port = free_port()
    os.environ.setdefault("FIRSTLINE_REQUIRE_2FA", "1")  # as `serve` runs it
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            gunicorn_cmd("127.0.0.1", port, workers, threads),
            env=django_env(),
            cwd=REPO,
            stdout=subprocess.DEVNULL,  # the access log
            stderr=errors,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    errors.seek(0)
                    sys.exit(f"bench gate: the server stopped: {errors.read().decode()[-2000:]}")
                try:
                    Client(port, token).post("/api/v1/access/devices/heartbeat", {})
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            log(f"gunicorn up on 127.0.0.1:{port} ({workers} workers × {threads} threads)")
            yield port
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- the clients -------------------------------------------------------------------------------------


class Client:
    """A gate device's keep-alive connection (_setup.Connection: a plain socket, as
    http.client took a tenth of the two cores during the single check-ins, taken from
    the server being measured), posting JSON with its token."""

    def __init__(self, port: int, token: str):
        self.connection = Connection(port)
        self.headers = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"

    def post(self, path: str, body: dict | bytes) -> dict:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, payload = self.connection.request("POST", path, data, self.headers)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status} {payload[:300]!r}")
        return json.loads(payload)

    def close(self) -> None:
        self.connection.close()


def gate_event(site_id: int | None, credentials, rng: random.Random) -> dict:
    resident_id, token = rng.choice(credentials)
    event = {
        "client_uuid": str(uuid.uuid4()),
        "direction": "in" if rng.random() < 0.6 else "out",
        "device_time": datetime.now(UTC).isoformat(),
        "temperature": round(rng.uniform(35.8, 37.1), 1),
    }
    if rng.random() < 0.8:
        event["token"] = token  # a scanned pass
    else:
        event["resident_id"] = resident_id  # the guard looked the resident up
    if rng.random() < 0.01:
        event["temperature"] = 38.2  # a fever now and then: alert and follow-up
    if site_id is not None:
        event["site_id"] = site_id
    return event


UUID_SLOT = "00000000-0000-4000-8000-000000000000"


class Events:
    """A client's events as JSON text, made before the timed phase: a gate device
    builds its requests on its own processor, and the bench's clients share the
    server's two cores. Each request still gets fresh client uuids (and so is a new
    event to the server). The passes are the client's `share` of its site's, walked
    in a shuffled order, so none comes round again before the whole share has."""

    def __init__(self, site_id: int | None, credentials, rng: random.Random, share=(0, 1)):
        mine = list(credentials[share[0] :: share[1]]) or list(credentials)
        rng.shuffle(mine)
        walk = iter(mine)
        # Fresh uuids from a random base and a counter: unique, and cheaper to make
        # than uuid4() (the clients share the server's cores).
        base = uuid.uuid4().hex
        self.uuid_head = f"{base[:8]}-{base[8:12]}-4{base[13:16]}-8{base[17:20]}-".encode()
        self.count = 0
        self.parts = []
        for _ in range(len(mine)):
            event = gate_event(site_id, [next(walk)], rng)
            event["client_uuid"] = UUID_SLOT
            before, after = json.dumps(event).split(UUID_SLOT)
            self.parts.append((before.encode(), after.encode()))
        self.at = 0

    def take(self, n: int) -> list[bytes]:
        out = []
        for _ in range(n):
            before, after = self.parts[self.at]
            self.at = (self.at + 1) % len(self.parts)
            self.count += 1
            out.append(b"%s%s%012x%s" % (before, self.uuid_head, self.count, after))
        return out


def run_clients(n: int, seconds: float, work) -> tuple[list, float]:
    """`n` client processes, each calling work(client_index)() on its own keep-alive
    connection for `seconds`, all started together once every client has made its
    requests ready; (all their results, the seconds from the start to the last one).
    Processes, not threads: the clients share the machine's cores with the server
    and PostgreSQL, and one process of threads would queue them on its interpreter
    lock and count that wait as server latency."""
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Barrier(n + 1)
    receivers, procs = [], []
    for index in range(n):
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_client_loop, args=(index, seconds, work, ready, sender), daemon=True
        )
        proc.start()
        sender.close()
        receivers.append(receiver)
        procs.append(proc)
    ready.wait(timeout=120)
    start = time.perf_counter()
    results, errors = [], []
    for receiver in receivers:
        ok, payload = receiver.recv()
        (results.extend if ok else errors.append)(payload)
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.join()
    if errors:
        raise RuntimeError(f"bench gate: a client failed: {errors[0]}")
    return results, elapsed


def _client_loop(index: int, seconds: float, work, ready, sender) -> None:
    done = []
    try:
        step = work(index)
        ready.wait(timeout=120)
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            done.append(step())
    except BaseException as exc:  # reported to the parent, which fails the run
        sender.send((False, repr(exc)))
    else:
        sender.send((True, done))
    finally:
        sender.close()


def share(index: int, clients: int, sites: int) -> tuple[int, int]:
    """Client `index`'s share of its site's passes: (offset, step) among the clients
    posting to that site."""
    return index // sites, max(1, (clients - index % sites + sites - 1) // sites)


def singles(port, gates, *, clients: int, seconds: float, run: int = 0) -> dict:
    def work(index):
        site_id, token, credentials = gates[index % len(gates)]
        client = Client(port, token)
        events = Events(
            site_id,
            credentials,
            random.Random(index + 1000 * run),
            share(index, clients, len(gates)),
        )

        def step():
            [body] = events.take(1)
            start = time.perf_counter()
            answer = client.post("/api/v1/access/events", body)
            return time.perf_counter() - start, answer["decision"]

        return step

    done, elapsed = run_clients(clients, seconds, work)
    latencies = sorted(d for d, _ in done)
    decisions = Counter(decision for _, decision in done)

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 1)

    return {
        "single_per_s": round(len(latencies) / elapsed),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "single_events": len(latencies),
        "decisions": dict(decisions),
    }


def batches(port, gates, *, clients: int, seconds: float, size: int, run: int = 0) -> dict:
    def work(index):
        site_id, token, credentials = gates[index % len(gates)]
        client = Client(port, token)
        events = Events(
            None,
            credentials,
            random.Random(index + 1000 * run + 500),
            share(index, clients, len(gates)),
        )
        head = b'{"site_id": %d, "events": [' % site_id

        def step():
            body = head + b", ".join(events.take(size)) + b"]}"
            start = time.perf_counter()
            result = client.post("/api/v1/access/events/batch", body)
            if result["errors"] or len(result["results"]) != size:
                raise RuntimeError(f"batch refused: {result['errors'][:3]}")
            end = time.perf_counter()
            return end, end - start, Counter(r["decision"] for r in result["results"])

        return step

    done, elapsed = run_clients(clients, seconds, work)
    durations = [d for _, d, _ in done]
    decisions = sum((c for _, _, c in done), Counter())
    # Events a second in each 5 s of the phase: a table or server slowing down as the
    # events pile up would show here as a falling series.
    first = min(end for end, _, _ in done)
    windows = Counter(int((end - first) // 5) for end, _, _ in done)
    full = [windows[w] * size // 5 for w in range(int((elapsed - 1) // 5))]
    log(f"batch events/s in each full 5 s: {full}")
    return {
        "batch_events_per_s": round(len(durations) * size / elapsed),
        "batches": len(durations),
        "batch_events": len(durations) * size,
        "batch_p50_ms": round(sorted(durations)[len(durations) // 2] * 1000, 1),
        "batch_decisions": dict(decisions),
    }


# --- the raw limit -----------------------------------------------------------------------------------


def raw_limits(site_id: int, limit: int, *, connections: int, seconds: float, runs: int) -> dict:
    """The driver alone on the rows the API stored (fresh UUIDs: the same rows, not
    duplicates), `runs` times each: executemany and COPY of `limit` rows in one
    transaction (the batch's limit), and `connections` connections each inserting one
    row and committing for `seconds` (the singles' limit, the same shape as theirs).
    The rows it adds are the site's, deleted with the company's events afterwards."""
    import itertools

    from _setup import raw_connect, raw_executemany, raw_single_inserts, spread, stored_rows
    from psycopg.types.json import Jsonb

    from firstline.access.models import AccessEvent

    table = AccessEvent._meta.db_table
    columns = [f.column for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    rows = stored_rows(table, columns, f"site_id = %s ORDER BY id LIMIT {int(limit)}", [site_id])
    at = columns.index("client_uuid")
    json_at = columns.index("reasons")

    def parsed(v):
        return json.loads(v) if isinstance(v, str) else v

    def fresh_row(r, as_json):
        return tuple(
            uuid.uuid4() if i == at else as_json(v) if i == json_at else v for i, v in enumerate(r)
        )

    def executemany_s() -> float:
        return raw_executemany(
            table, columns, [fresh_row(r, lambda v: Jsonb(parsed(v))) for r in rows]
        )

    def copy_s() -> float:
        copy_rows = [fresh_row(r, lambda v: json.dumps(parsed(v))) for r in rows]
        with raw_connect() as raw:
            start = time.perf_counter()
            with (
                raw.transaction(),
                raw.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in copy_rows:
                    copy.write_row(row)
            return time.perf_counter() - start

    serial = itertools.count()

    def single_row(_n: int) -> tuple:
        return fresh_row(rows[next(serial) % len(rows)], lambda v: Jsonb(parsed(v)))

    inserts = [len(rows) / executemany_s() for _n in range(runs)]
    copies = [len(rows) / copy_s() for _n in range(runs)]
    singles_raw = [
        raw_single_inserts(table, columns, single_row, connections=connections, seconds=seconds)
        for _n in range(runs)
    ]
    return {
        "raw_insert_per_s": spread(inserts, 0),
        "raw_copy_per_s": spread(copies, 0),
        "raw_rows": len(rows),
        "raw_single_insert_per_s": spread([r["per_s"] for r in singles_raw], 0),
        "raw_single_p50_ms": spread([r["p50_ms"] for r in singles_raw], 2),
        "raw_single_p99_ms": spread([r["p99_ms"] for r in singles_raw], 2),
        "raw_single_connections": connections,
    }


# --- the run ----------------------------------------------------------------------------------------


PASS_CACHE_SIZE = 8192  # the gate's per-process LRU of pass tokens (see the docstring)


def run(args) -> dict:
    from _setup import db_vendor, summarise, throwaway_company

    from firstline.access.models import AccessEvent

    if db_vendor() != "postgresql":
        sys.exit("bench gate: needs PostgreSQL")
    load = os.getloadavg()[0]  # other work on the machine skews every figure: say how much
    with throwaway_company("门岗基准物业") as company:
        try:
            built = [
                build_site(company, residents=args.residents, name=f"基准测试小区{n + 1}")
                for n in range(args.sites)
            ]
            gates = [(site.pk, token, credentials) for site, token, credentials in built]
            passes = sum(len(credentials) for _s, _t, credentials in gates)
            log(
                f"{args.sites} sites with {args.residents:,} residents and passes each"
                f" ({passes:,} passes; the pass caches hold {PASS_CACHE_SIZE:,} a process),"
                " one device each"
            )
            if passes <= PASS_CACHE_SIZE:
                log("warning: fewer passes than the pass cache holds: scans will hit the cache")
            answered = 0
            with server(args.workers, gates[0][1], args.threads) as port:
                warm = singles(port, gates, clients=args.clients, seconds=1, run=99)
                answered += warm["single_events"]
                single_runs, batch_runs = [], []
                for run_no in range(args.runs):
                    single = singles(
                        port, gates, clients=args.clients, seconds=args.seconds, run=run_no
                    )
                    log(f"single, run {run_no + 1}: {single}")
                    single_runs.append(single)
                    answered += single["single_events"]
                for run_no in range(args.runs):
                    batch = batches(
                        port,
                        gates,
                        clients=args.batch_clients,
                        seconds=args.seconds,
                        size=args.batch_size,
                        run=run_no,
                    )
                    log(f"batch, run {run_no + 1}: {batch}")
                    batch_runs.append(batch)
                    answered += batch["batch_events"]
            stored = AccessEvent.all_tenants.filter(company=company).count()
            if stored != answered:
                sys.exit(f"bench gate: {answered:,} events acknowledged but {stored:,} stored")
            raw = raw_limits(
                gates[0][0],
                args.raw_rows,
                connections=args.clients,
                seconds=min(args.seconds, 5),
                runs=args.runs,
            )
            log(f"raw driver: {raw}")
        finally:
            purge_events(company.pk)
    decisions = sum((Counter(r["decisions"]) for r in single_runs), Counter())
    batch_decisions = sum((Counter(r["batch_decisions"]) for r in batch_runs), Counter())
    single = summarise([{k: v for k, v in r.items() if k != "decisions"} for r in single_runs], 1)
    batch = summarise(
        [{k: v for k, v in r.items() if k != "batch_decisions"} for r in batch_runs], 1
    )
    log(f"single check-ins' decisions: {dict(decisions)}; batches': {dict(batch_decisions)}")
    return {
        **single,
        **batch,
        **raw,
        "single_ratio": round(
            single["single_per_s"]["median"] / raw["raw_single_insert_per_s"]["median"], 3
        ),
        "batch_ratio_copy": round(
            batch["batch_events_per_s"]["median"] / raw["raw_copy_per_s"]["median"], 3
        ),
        "decisions": dict(decisions),
        "batch_decisions": dict(batch_decisions),
        "passes": passes,
        "pass_cache_size": PASS_CACHE_SIZE,
        "runs": args.runs,
        "clients": args.clients,
        "batch_clients": args.batch_clients,
        "sites": args.sites,
        "workers": args.workers,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "load_avg_1m": round(load, 2),
        "db": "postgresql",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 s per phase instead of 30 s")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent single check-in clients")
    parser.add_argument("--batch-clients", type=int, default=2, help="concurrent batch clients")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--workers",
        type=int,
        default=max(2, os.cpu_count() or 1),
        help="gunicorn workers (as serve)",
    )
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (as serve)")
    parser.add_argument(
        "--residents",
        type=int,
        default=12_000,
        help="residents (and passes) per site: together more than the pass caches hold",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each phase (≥ 3)")
    parser.add_argument(
        "--sites",
        type=int,
        default=2,
        help="compounds, each with its own gate device; client n posts to site n mod sites",
    )
    parser.add_argument("--raw-rows", type=int, default=50_000)
    args = parser.parse_args()
    args.seconds = args.seconds or (6 if args.quick else 30)
    args.runs = max(3, args.runs)
    with postgres():
        django_setup()
        from _setup import emit

        figures = run(args)
        from django.db import connections

        connections.close_all()  # the throwaway database can be dropped
    emit(figures)


if __name__ == "__main__":
    main()
