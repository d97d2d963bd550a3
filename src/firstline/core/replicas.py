"""Read replicas: read-only pages read from a PostgreSQL streaming replica.

When DATABASE_REPLICA_URLS is set (settings.py), each URL becomes a database alias
(`replica1`, `replica2`, …, settings.REPLICA_ALIASES) and `ReplicaRouter` is the
database router. A view marked read-only (`@replica_reads`, or a path under
settings.REPLICA_READ_PATHS through `ReplicaReadsMiddleware`) runs with a marker in a
context variable; inside it, and only there, the router sends reads to a healthy
replica. Everything else stays on the primary (`default`):

- every write (`db_for_write` is always the primary), and every read after a write
  in the same request (the first write clears the marker's replica for the rest of
  the request), and every read inside a transaction on the primary;
- the user and the session: they are loaded from the primary before the marker is set,
  so a user who just signed in is never "signed out" by a replica that lags;
- any read when no replica is healthy. A replica is healthy when it answers and its
  replay lag is at most settings.REPLICA_MAX_LAG_SECONDS (a replica that has replayed
  everything it received counts as lag 0, however quiet the primary is). The answer is
  kept for REPLICA_HEALTH_SECONDS per process, so a replica that is down costs one
  failed connection (bounded by its connect_timeout) every few seconds, not one per
  request. A replica that fails in the middle of a read-only view marks itself down
  and the view runs again on the primary: the page answers from the primary, not 500.

Without DATABASE_REPLICA_URLS nothing here does anything: the router is not
installed and the decorator only calls the view.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import random
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.decorators import method_decorator

log = logging.getLogger(__name__)


@dataclass
class _ReadOnly:
    """A read-only request's state: the replica chosen (at the first read) and whether
    anything was written since, which sends the remaining reads to the primary."""

    alias: str | None = None
    chosen: bool = False
    wrote: bool = False
    used: set[str] = field(default_factory=set)


# Set on a browser that has just written (any POST): its reads stay on the primary for
# REPLICA_STICKY_SECONDS, long enough for any healthy replica to have replayed the write.
STICKY_COOKIE = "fl_primary"

_marker: contextvars.ContextVar[_ReadOnly | None] = contextvars.ContextVar(
    "firstline_replica_reads", default=None
)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "REPLICA_ALIASES", []))


# --- health ------------------------------------------------------------------------

# alias -> (monotonic time checked, healthy, lag seconds or None)
_health: dict[str, tuple[float, bool, float | None]] = {}
_health_lock = threading.Lock()

# Seconds the replica's replay is behind. A replica that has replayed all it received
# is current (0), even when the last replayed transaction is old (a quiet primary).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
END
"""


def replica_lag(alias: str) -> float:
    """The replica's replay lag in seconds (0 for a database that is not a standby:
    SQLite's test mirror, a primary). Raises DatabaseError when it does not answer."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0] or 0)
        cursor.execute("SELECT 1")
        return 0.0


def _check(alias: str) -> tuple[bool, float | None]:
    try:
        lag = replica_lag(alias)
    except DatabaseError as exc:
        log.warning("replica %s is not answering (%s); reading from the primary", alias, exc)
        _close(alias)
        return False, None
    limit = float(getattr(settings, "REPLICA_MAX_LAG_SECONDS", 30))
    if lag > limit:
        log.warning("replica %s lags %.1f s (> %s s); reading from the primary", alias, lag, limit)
        return False, lag
    return True, lag


def _close(alias: str) -> None:
    with contextlib.suppress(DatabaseError):  # a broken connection may fail to close
        connections[alias].close()


def replica_healthy(alias: str) -> bool:
    """Whether `alias` may serve reads now, checked at most every REPLICA_HEALTH_SECONDS
    per process."""
    now = time.monotonic()
    ttl = float(getattr(settings, "REPLICA_HEALTH_SECONDS", 5))
    hit = _health.get(alias)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    healthy, lag = _check(alias)
    with _health_lock:
        _health[alias] = (time.monotonic(), healthy, lag)
    return healthy


def replica_mark_down(alias: str) -> None:
    """A replica that failed mid-request is left alone until the next health check."""
    with _health_lock:
        _health[alias] = (time.monotonic(), False, None)
    _close(alias)


def health_forget() -> None:
    """Forget every cached health answer (tests; after a fail-over)."""
    with _health_lock:
        _health.clear()


def replica_status() -> list[dict]:
    """Each replica's alias, health and lag as last checked (for an operator's page)."""
    return [
        {
            "alias": alias,
            "healthy": replica_healthy(alias),
            "lag": _health.get(alias, (0, 0, None))[2],
        }
        for alias in replica_aliases()
    ]


def _pick() -> str | None:
    healthy = [alias for alias in replica_aliases() if replica_healthy(alias)]
    return random.choice(healthy) if healthy else None  # spreads the load


# --- the router ----------------------------------------------------------------------


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when replicas are configured: see the module docstring."""

    def db_for_read(self, model, **hints):
        state = _marker.get()
        if state is None or state.wrote:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a read inside a write transaction sees its writes
        if not state.chosen:
            state.alias = _pick()
            state.chosen = True
        if state.alias is None:
            return DEFAULT_DB_ALIAS
        state.used.add(state.alias)
        return state.alias

    def db_for_write(self, model, **hints):
        state = _marker.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary's WAL


# --- marking views read-only -----------------------------------------------------------


def _load_identity(request) -> None:
    """The session and the user, from the primary, before any replica read."""
    user = getattr(request, "user", None)
    if user is not None:
        bool(user.is_authenticated)


def run_reading_replica(request, call):
    """Run `call()` (a view, or the rest of the middleware chain) with reads on a replica;
    rendered inside, so a TemplateResponse's queries run there too. A replica that fails
    mid-way is marked down and the whole call runs again on the primary."""
    if not replica_aliases() or request.method not in ("GET", "HEAD"):
        return call()
    if request.COOKIES.get(STICKY_COOKIE):
        return call()  # this browser wrote a moment ago: it reads its writes
    _load_identity(request)
    state = _ReadOnly()
    token = _marker.set(state)
    try:
        response = call()
        render = getattr(response, "render", None)
        if callable(render) and not getattr(response, "is_rendered", True):
            response = render()
        if getattr(response, "streaming", False) and not state.wrote:
            response.streaming_content = _streamed(response.streaming_content, state)
        return response
    except DatabaseError:
        if not state.used or state.wrote:
            raise
        for alias in state.used:
            replica_mark_down(alias)
        log.warning("replica read failed for %s; answering from the primary", request.path)
    finally:
        _marker.reset(token)
    return call()


def _streamed(chunks, state: _ReadOnly):
    """A streamed export's rows are read as it is sent, after the view has returned:
    each chunk is made with the request's marker in place."""
    iterator = iter(chunks)
    while True:
        token = _marker.set(state)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _marker.reset(token)
        yield chunk


def replica_reads(view):
    """Marks a function view read-only: its reads may go to a replica."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return run_reading_replica(request, lambda: view(request, *args, **kwargs))

    wrapper.replica_reads = True
    return wrapper


# The same for a class-based view: `@replica_reads_view` above the class.
replica_reads_view = method_decorator(replica_reads, name="dispatch")


class ReplicaReadsMiddleware:
    """Marks every GET under settings.REPLICA_READ_PATHS read-only (the public site,
    whose pages Wagtail serves through its own view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        prefixes = tuple(getattr(settings, "REPLICA_READ_PATHS", ()))
        if prefixes and request.path_info.startswith(prefixes) and _marker.get() is None:
            response = run_reading_replica(request, lambda: self.get_response(request))
        else:
            response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # The next pages of this browser read the primary for a while, so what it
            # just wrote shows on them however far a replica lags.
            response.set_cookie(
                STICKY_COOKIE,
                "1",
                max_age=int(getattr(settings, "REPLICA_STICKY_SECONDS", 10)),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def reading_replica() -> str | None:
    """The replica this request reads from (None: the primary); for tests and logs."""
    state = _marker.get()
    return state.alias if state is not None and not state.wrote else None
