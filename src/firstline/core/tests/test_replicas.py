"""Read replicas (core/replicas.py): read-only pages read from a replica, everything
else and every read after a write from the primary, and a replica that is down or
lags is skipped.

On SQLite (and on PostgreSQL without REPLICA_TEST_URL) the "replica" is a second
connection to the test database, the way Django's TEST MIRROR sets one up: which
connection ran a query proves where it went. With REPLICA_TEST_URL (.ci/run's
PostgreSQL pass starts a streaming replica on port 5433) the alias points at the real
standby, which holds the test database by replaying the primary's WAL."""

from __future__ import annotations

import os
import time
from datetime import date

import dj_database_url
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.core import replicas
from firstline.core.replicas import ReplicaRouter, replica_reads

REAL = os.environ.get("REPLICA_TEST_URL", "")
ALIAS = "replica_test"


def _register(alias: str, **changes) -> None:
    """A connection made at run time, as Django allows one (its settings are dropped
    once it exists, so the test case does not count it as a declared database)."""
    settings_dict = {**connections["default"].settings_dict, **changes}
    connections.settings[alias] = settings_dict
    connections[alias].close()
    del connections.settings[alias]


def _unregister(alias: str) -> None:
    try:
        connections[alias].close()
        del connections[alias]
    except (AttributeError, KeyError):  # pragma: no cover - never opened in this thread
        pass
    connections.settings.pop(alias, None)


@pytest.fixture
def replica(settings):
    """The replica alias, registered for this test, with the router installed."""
    changes = {}
    if REAL:
        url = dj_database_url.parse(REAL)
        changes = {"HOST": url["HOST"], "PORT": url["PORT"], "USER": url["USER"] or "postgres"}
        changes["OPTIONS"] = {
            **connections["default"].settings_dict["OPTIONS"],
            "connect_timeout": 2,
        }
    _register(ALIAS, **changes)
    settings.REPLICA_ALIASES = [ALIAS]
    settings.REPLICA_HEALTH_SECONDS = 5
    settings.DATABASE_ROUTERS = ["firstline.core.replicas.ReplicaRouter"]
    replicas.health_forget()
    yield ALIAS
    replicas.health_forget()
    _unregister(ALIAS)


def wait_replayed(alias: str, timeout: float = 10.0) -> None:
    """On a real standby: wait until it has replayed everything the primary wrote."""
    if not REAL:
        return
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica did not replay {target} in {timeout} s")
        time.sleep(0.05)


def tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


DAY = date(2020, 2, 10)


def rollup_page(client, world):
    client.force_login(world.users["authority_viewer"])
    return client.get(reverse("reports:rollup"), {"day": DAY.isoformat(), "division": "420103"})


# --- the router alone ---------------------------------------------------------------


def test_without_a_marker_every_read_and_write_is_the_primary(settings):
    settings.REPLICA_ALIASES = ["replica1"]
    router = ReplicaRouter()
    assert router.db_for_read(None) == "default"
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica1", "orgs") is False
    assert router.allow_migrate("default", "orgs") is True


def test_without_replicas_the_decorator_only_calls_the_view(rf, settings):
    settings.REPLICA_ALIASES = []
    seen = []

    @replica_reads
    def view(request):
        seen.append(replicas.reading_replica())
        return "ok"

    assert view(rf.get("/")) == "ok"
    assert seen == [None]


# --- pages -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_read_only_page_reads_from_the_replica(world, replica, client):
    wait_replayed(replica)
    with (
        CaptureQueriesContext(connections[replica]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = rollup_page(client, world)
    assert response.status_code == 200
    assert "reports_dailyreport" in tables(on_replica), "the roll-up's reads went to the replica"
    # The user and the session came from the primary, before the marker was set.
    assert "django_session" in tables(on_primary)
    assert "django_session" not in tables(on_replica)


@pytest.mark.django_db(transaction=True)
def test_the_rollup_and_alert_feed_api_read_from_the_replica(world, replica, client):
    """A device or a command-centre screen polls these: the caller is read from the
    primary (ninja's auth runs first), the figures from the replica."""
    client.force_login(world.users["authority_viewer"])
    wait_replayed(replica)
    for path, params, table in (
        ("/api/v1/reports/rollup", {"day": DAY.isoformat(), "division": "420103"}, "daily"),
        ("/api/v1/reports/alerts", {}, "alert"),
    ):
        with (
            CaptureQueriesContext(connections[replica]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get(path, params)
        assert response.status_code == 200, (path, response.content[:300])
        assert table in tables(on_replica), path
        assert "django_session" in tables(on_primary)
        assert "django_session" not in tables(on_replica)


@pytest.mark.django_db(transaction=True)
def test_a_page_not_marked_read_only_stays_on_the_primary(world, replica, client):
    client.force_login(world.users["authority_viewer"])
    with CaptureQueriesContext(connections[replica]) as on_replica:
        response = client.get(reverse("reports:daily_list"))
    assert response.status_code in (200, 403)
    assert len(on_replica) == 0


@pytest.mark.django_db(transaction=True)
def test_reads_after_a_write_in_the_same_request_stay_on_the_primary(world, replica, rf):
    User = get_user_model()

    where = []

    @replica_reads
    def view(request):
        User.objects.filter(pk=world.users["no_role"].pk).count()
        where.append(replicas.reading_replica())
        User.objects.filter(pk=world.users["no_role"].pk).update(display_name="changed")
        where.append(replicas.reading_replica())
        return User.objects.get(pk=world.users["no_role"].pk).display_name

    wait_replayed(replica)
    assert replicas.replica_healthy(replica)  # checked before, not counted below
    with CaptureQueriesContext(connections[replica]) as on_replica:
        assert view(rf.get("/")) == "changed"  # read back from the primary
    assert where == [replica, None]
    assert len(on_replica) == 1


@pytest.mark.django_db(transaction=True)
def test_a_browser_that_just_wrote_reads_the_primary(world, replica, client):
    client.force_login(world.users["authority_viewer"])
    client.post(reverse("reports:rollup"))  # any POST marks the browser (405 here)
    assert client.cookies[replicas.STICKY_COOKIE].value == "1"
    with CaptureQueriesContext(connections[replica]) as on_replica:
        response = client.get(
            reverse("reports:rollup"), {"day": DAY.isoformat(), "division": "420103"}
        )
    assert response.status_code == 200
    assert len(on_replica) == 0


# --- a replica that is down or behind -----------------------------------------------------------


@pytest.fixture
def down_replica(settings):
    """A replica alias whose server does not answer (a closed port on PostgreSQL, a
    directory that cannot hold a database file on SQLite)."""
    if connections["default"].vendor == "postgresql":
        _register(ALIAS, HOST="127.0.0.1", PORT=1, OPTIONS={"connect_timeout": 1})
    else:
        _register(ALIAS, NAME="/nonexistent-dir/replica.sqlite3")
    settings.REPLICA_ALIASES = [ALIAS]
    settings.DATABASE_ROUTERS = ["firstline.core.replicas.ReplicaRouter"]
    replicas.health_forget()
    yield ALIAS
    replicas.health_forget()
    _unregister(ALIAS)


@pytest.mark.django_db(transaction=True)
def test_with_the_replica_down_the_rollup_answers_from_the_primary(world, down_replica, client):
    calls = []
    real_check = replicas._check

    def counting(alias):
        calls.append(alias)
        return real_check(alias)

    replicas._check = counting
    try:
        first = rollup_page(client, world)
        second = client.get(
            reverse("reports:rollup"), {"day": DAY.isoformat(), "division": "420103"}
        )
    finally:
        replicas._check = real_check
    for response in (first, second):
        assert response.status_code == 200
        body = response.content.decode()
        assert "友谊社区" in body or "民族街道" in body  # the roll-up itself, not an error
    assert calls == [down_replica], "one failed check, cached: not one per request"


@pytest.mark.django_db(transaction=True)
def test_a_replica_that_fails_mid_request_is_retried_on_the_primary(world, replica, client):
    """Healthy at the check, gone at the read: the page still answers, from the primary."""
    assert replicas.replica_healthy(replica)

    def broken(execute, sql, params, many, context):
        raise DatabaseError("server closed the connection unexpectedly")

    with connections[replica].execute_wrapper(broken):
        response = rollup_page(client, world)
    assert response.status_code == 200
    assert replicas.replica_healthy(replica) is False  # marked down until the next check


@pytest.mark.django_db(transaction=True)
def test_a_replica_lagging_past_the_limit_is_skipped(world, replica, client, settings, monkeypatch):
    monkeypatch.setattr(replicas, "replica_lag", lambda alias: 120.0)
    settings.REPLICA_MAX_LAG_SECONDS = 30
    with CaptureQueriesContext(connections[replica]) as on_replica:
        response = rollup_page(client, world)
    assert response.status_code == 200
    assert len(on_replica) == 0


@pytest.mark.skipif(not REAL, reason="needs a streaming replica (REPLICA_TEST_URL)")
@pytest.mark.django_db(transaction=True)
def test_the_real_replica_is_a_standby_and_reports_its_lag(replica):
    with connections[replica].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    wait_replayed(replica)
    assert 0 <= replicas.replica_lag(replica) <= 30
