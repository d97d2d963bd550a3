"""The fast paths of gate recording (access/services/fastpath.py and the lean batch check in
api.py): they must behave exactly as the plain paths they replace."""

from __future__ import annotations

import itertools
import tempfile
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import DataError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from firstline.access.api.gate import EventItem, _plain_item
from firstline.access.models import AccessEvent, Alert, FollowUp, SiteKey
from firstline.access.services import devices, fastpath
from firstline.access.services import gate as gate_services
from firstline.access.services.gate import GateInput
from firstline.access.tests.test_devices import make_gate
from firstline.estates.models import Household
from firstline.testing.world import make_id_number, make_resident

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's COPY and row locks"
)


def gate(**kw) -> GateInput:
    base = {
        "client_uuid": uuid.uuid4(),
        "direction": "in",
        "device_time": timezone.now(),
        "temperature": Decimal("36.4"),
    }
    return GateInput(**{**base, **kw})


def closed(site, *, quota: int | None = 1, **extra):
    return gate_services.policy_publish(
        actor=None,
        site=site,
        data={
            "mode": "closed",
            "outing_quota": quota,
            "outing_period_days": 1,
            "effective_from": timezone.now() - timedelta(days=1),
            **extra,
        },
    )


# --- what fastpath writes and reads is what the models say -----------------------------------


def test_inserted_columns_are_the_models(db):
    columns = {f.column for f in AccessEvent._meta.concrete_fields if not f.primary_key}
    assert set(fastpath.COLUMNS) == columns
    assert len(fastpath.COLUMNS) == len(columns)


def test_household_labels_are_the_models(world):
    household = world.a.household
    assert (
        fastpath.household_label(household.building.name, household.unit, household.room)
        == household.label
    )
    assert fastpath.household_label("2栋", "", "101") == "2栋101"


def test_stored_rows_read_back_as_the_orm_writes_them(world):
    """Every column of an event stored by the fast path, read back through the ORM."""
    closed(world.a.site, quota=None)
    resident = world.a.residents[0]
    at = timezone.now() - timedelta(minutes=5)
    [single] = gate_services.events_record(
        site=world.a.site,
        inputs=[gate(resident_id=resident.pk, device_time=at, temperature=Decimal("38.0"))],
    )
    batch = gate_services.events_record(
        site=world.a.site,
        inputs=[gate(resident_id=resident.pk, device_time=at), gate(direction="out")],
    )
    for result in [single, *batch]:
        event = AccessEvent.all_tenants.get(pk=result.event_id)
        assert (event.client_uuid, event.decision, event.reasons) == (
            result.client_uuid,
            result.decision,
            result.reasons,
        )
    event = AccessEvent.all_tenants.get(pk=single.event_id)
    assert (event.device_time, event.temperature, event.resident_id, event.household_id) == (
        at,
        Decimal("38.0"),
        resident.pk,
        resident.household_id,
    )
    assert (event.policy_version, event.credential, event.site_id) == (1, "lookup", world.a.site.pk)
    assert (single.resident_name, single.household_label) == (resident.name, "1栋1单元301")
    assert Alert.all_tenants.get().event_id == FollowUp.all_tenants.get().event_id == event.pk


# --- the per-process caches see every change at once -------------------------------------------


def test_a_published_policy_is_used_by_the_very_next_event(world):
    site, resident = world.a.site, world.a.residents[0]
    closed(site, quota=5)
    first = gate_services.events_record(
        site=site, inputs=[gate(resident_id=resident.pk, direction="out")]
    )
    assert first[0].decision == "admit"
    # Unchanged policies and keys: no policy query, whatever the process saw before.
    with CaptureQueriesContext(connection) as captured:
        gate_services.events_record(site=site, inputs=[gate(resident_id=resident.pk)])
    assert not any("access_accesspolicy" in q["sql"] and "COUNT" not in q["sql"] for q in captured)

    closed(site, quota=1)  # the household has used its one outing now

    [again] = gate_services.events_record(
        site=site, inputs=[gate(resident_id=resident.pk, direction="out")]
    )
    assert again.decision == "deny"
    assert "1/1" in " ".join(again.reasons)


def test_a_policy_changed_behind_the_services_back_is_seen(world):
    """Another process (or a direct edit) changes a policy row: the stamp (count,
    largest id, latest change) differs, so the cached timeline is dropped."""
    site, resident = world.a.site, world.a.residents[0]
    policy = closed(site, quota=None)
    assert (
        gate_services.events_record(
            site=site, inputs=[gate(resident_id=resident.pk, direction="out")]
        )[0].decision
        == "admit"
    )
    policy.outing_quota = 0
    policy.save()  # updated_at moves
    [denied] = gate_services.events_record(
        site=site, inputs=[gate(resident_id=resident.pk, direction="out")]
    )
    assert denied.decision == "deny"


def test_a_new_signing_key_verifies_at_once(world):
    site, resident = world.a.site, world.a.residents[0]
    closed(site, quota=None)
    old = gate_services.pass_issue(actor=None, resident=resident)
    [admitted] = gate_services.events_record(
        site=site, inputs=[gate(token=gate_services.pass_token(old))]
    )
    assert admitted.decision == "admit"  # the site's keys are cached now

    SiteKey.all_tenants.filter(site=site).update(active=False)  # rotate: a new key signs
    new = gate_services.pass_issue(actor=None, resident=world.a.residents[1])
    key = SiteKey.all_tenants.get(site=site, active=True)
    assert gate_services.pass_token(new).count(".") == 2 and key.kid.endswith("k2")

    [both] = gate_services.events_record(
        site=site, inputs=[gate(token=gate_services.pass_token(new))]
    )
    assert both.decision == "admit"


def test_a_deleted_signing_key_stops_verifying_at_once(world):
    site, resident = world.a.site, world.a.residents[0]
    closed(site, quota=None)
    token = gate_services.pass_token(gate_services.pass_issue(actor=None, resident=resident))
    assert gate_services.events_record(site=site, inputs=[gate(token=token)])[0].decision == "admit"
    SiteKey.all_tenants.filter(site=site).delete()  # a compromised key withdrawn
    [refused] = gate_services.events_record(site=site, inputs=[gate(token=token)])
    assert refused.decision == "deny"


def test_a_switched_off_token_is_refused_within_the_cache_period(world, monkeypatch):
    """Switched off by another process (the row changes, this process's cache does
    not know): refused once CACHE_SECONDS have passed."""
    g = make_gate(world.a)
    clock = [1000.0]
    monkeypatch.setattr(devices.time, "monotonic", lambda: clock[0])
    assert devices.device_for_token(g.token) is not None
    devices.Device.all_tenants.filter(pk=g.device.pk).update(active=False)
    assert devices.device_for_token(g.token) is not None  # cached, at most CACHE_SECONDS
    clock[0] += devices.CACHE_SECONDS
    assert devices.device_for_token(g.token) is None


# --- storing -----------------------------------------------------------------------------------


def test_a_replayed_single_event_returns_the_stored_result(world):
    site, resident = world.a.site, world.a.residents[0]
    item = gate(resident_id=resident.pk, temperature=Decimal("38.5"))
    [first] = gate_services.events_record(site=site, inputs=[item])
    [again] = gate_services.events_record(site=site, inputs=[item])
    assert (again.event_id, again.decision, again.reasons, again.duplicate) == (
        first.event_id,
        first.decision,
        first.reasons,
        True,
    )
    assert (AccessEvent.all_tenants.count(), Alert.all_tenants.count()) == (1, 1)


@postgres_only
def test_a_batch_is_copied_with_reserved_ids(world):
    site, (r0, r1) = world.a.site, world.a.residents
    closed(site, quota=None)
    items = [gate(resident_id=r0.pk), gate(resident_id=r1.pk, temperature=Decimal("39.0"))]
    with CaptureQueriesContext(connection) as captured:
        results = gate_services.events_record(site=site, inputs=items)
    assert any(q["sql"].startswith("COPY access_accessevent") for q in captured)
    assert [r.decision for r in results] == ["admit", "refer"]
    stored = {e.pk: e for e in AccessEvent.all_tenants.all()}
    assert sorted(stored) == sorted(r.event_id for r in results)
    assert stored[results[1].event_id].reasons == results[1].reasons
    assert Alert.all_tenants.get().event_id == results[1].event_id
    # The identity sequence moved past the reserved ids: the ORM inserts after them.
    later = gate_services.events_record(site=site, inputs=[gate(resident_id=r0.pk)])
    assert later[0].event_id > max(stored)


@postgres_only
def test_a_batchs_reasons_are_written_as_json_once_per_distinct_list(world):
    """COPY writes the reasons through fastpath's cached JSON function (psycopg makes a
    row's dumpers when the types are set: the function must be in force by then)."""
    site, (r0, r1) = world.a.site, world.a.residents
    closed(site, quota=None)
    fastpath._reasons_text.cache_clear()
    results = gate_services.events_record(
        site=site, inputs=[gate(resident_id=r.pk) for r in (r0, r1, r0, r1)]
    )
    assert {r.decision for r in results} == {"admit"}
    info = fastpath._reasons_text.cache_info()
    assert (info.misses, info.hits) == (1, 3)
    stored = AccessEvent.all_tenants.get(pk=results[0].event_id)
    assert stored.reasons == results[0].reasons


def _prepared_statements() -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cur.fetchall()]


@postgres_only
def test_one_row_lookups_are_prepared_and_list_lookups_planned_with_their_values(world):
    """A single check-in's statements run prepared (planning was most of their cost);
    a batch's statements over lists of values never are: a generic plan made without
    the values once scanned a whole company's events for each batch."""
    site, (r0, r1) = world.a.site, world.a.residents
    closed(site, quota=1)
    for _ in range(8):  # past psycopg's prepare threshold
        gate_services.events_record(site=site, inputs=[gate(resident_id=r0.pk, direction="out")])
        gate_services.events_record(
            site=site,
            inputs=[gate(resident_id=r0.pk, direction="out"), gate(resident_id=r1.pk)],
        )
    prepared = _prepared_statements()
    assert any("r.id = $" in s for s in prepared)  # the single resident lookup
    assert any("INSERT INTO access_accessevent" in s for s in prepared)
    assert not [s for s in prepared if "ANY(" in s or "= ANY" in s]


# --- the lean check of batch items -------------------------------------------------------------


def _via_pydantic(raw, default):
    try:
        item = EventItem.model_validate(raw)
    except ValidationError:
        return None
    return item.gate_input(item.checkpoint_id or default)


def test_plain_items_are_what_event_item_makes(db):
    base = {
        "client_uuid": str(uuid.uuid4()),
        "direction": "out",
        "device_time": "2020-02-14T08:00:00.5+08:00",
        "temperature": 37.25,
        "token": "FL1.x.y",
        "plate": " 鄂A12345 ",
        "resident_id": 7,
    }
    assert _plain_item(base, 3) == _via_pydantic(base, 3)
    assert _plain_item(base, 3).temperature == Decimal("37.3")
    # Anything unusual, valid or not, is left to EventItem.
    for change in [
        {"device_time": "2020-02-14T08:00:00"},  # no offset
        {"device_time": "2020-02-14 08:00:00+08:00"},
        {"direction": "sideways"},
        {"temperature": "36.5"},
        {"temperature": 45.1},
        {"temperature": True},
        {"resident_id": 0},
        {"resident_id": True},
        {"client_uuid": uuid.uuid4().hex},
        {"temprature": 36.6},
    ]:
        assert _plain_item({**base, **change}, 3) is None, change
    assert _plain_item(["in"], 3) is None


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    temperature=st.one_of(
        st.none(),
        st.integers(25, 50),
        st.floats(29.0, 46.0, allow_nan=False),
        st.decimals("29.9", "45.1", places=2).map(float),
    ),
    offset=st.sampled_from(["Z", "+08:00", "-05:30", "+00:00"]),
    micro=st.sampled_from(["", ".1", ".123456"]),
    checkpoint=st.one_of(st.none(), st.integers(-1, 3)),
)
def test_plain_items_agree_with_event_item(db, temperature, offset, micro, checkpoint):
    raw = {
        "client_uuid": str(uuid.uuid4()),
        "direction": "in",
        "device_time": f"2020-02-14T23:59:59{micro}{offset}",
    }
    if temperature is not None:
        raw["temperature"] = temperature
    if checkpoint is not None:
        raw["checkpoint_id"] = checkpoint
    plain = _plain_item(raw, None)
    if plain is not None:
        assert plain == _via_pydantic(raw, None)
        assert plain.device_time == datetime.fromisoformat(raw["device_time"]).astimezone(UTC)


# --- concurrency on PostgreSQL ------------------------------------------------------------------


def _in_threads(jobs):
    """Run each job in its own thread and connection; their results in order."""
    results: list = [None] * len(jobs)
    errors: list = []
    barrier = threading.Barrier(len(jobs))

    def run(n, job):
        try:
            barrier.wait()
            results[n] = job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_exits_of_one_household_cannot_both_take_its_last_outing(world):
    site, (r0, r1) = world.a.site, world.a.residents  # one household
    closed(site, quota=1)
    for _round in range(3):
        AccessEvent.all_tenants.filter(site=site).delete()
        results = _in_threads(
            [
                lambda r=r: (
                    gate_services.events_record(
                        site=site, inputs=[gate(resident_id=r.pk, direction="out")]
                    )[0].decision
                )
                for r in (r0, r1)
            ]
        )
        assert sorted(results) == ["admit", "deny"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_sharing_households_do_not_deadlock(world):
    """Batch A counts exits of household 1 (locks it) and lets people of household 2
    in; batch B the other way round. Each one's entries refer to the household the
    other locked (foreign-key checks at commit): FOR NO KEY UPDATE lets both
    through, where FOR UPDATE deadlocked."""
    site, first = world.a.site, world.a.residents[0]
    other = Household.all_tenants.create(
        company=world.a.company, site=site, building=world.a.building, unit="1", room="302"
    )
    second = make_resident(
        household=other, name="王芳", phone="13800009999", id_number=make_id_number(99)
    )
    closed(site, quota=1000)

    def batch(out, inside):
        return gate_services.events_record(
            site=site,
            inputs=[gate(resident_id=out.pk, direction="out") for _ in range(50)]
            + [gate(resident_id=inside.pk, direction="in") for _ in range(50)],
        )

    for _round in range(3):
        a, b = _in_threads([lambda: batch(first, second), lambda: batch(second, first)])
        assert len(a) == len(b) == 100
    assert AccessEvent.all_tenants.filter(site=site).count() == 600


# --- round trips of a single check-in ------------------------------------------------------------


@contextmanager
def round_trips():
    """Yields a list that holds, after the block, the round trips Django's connection
    made in it: from libpq's protocol trace, the client sending, then the server
    answering."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    counted: list[int] = []
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield counted
        finally:
            pgconn.untrace()
        trace.seek(0)
        senders = [line[:1] for line in trace.read().splitlines()]
    counted.append(sum(1 for pair in itertools.pairwise(senders) if pair == (b"F", b"B")))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_check_in_is_two_round_trips_and_a_counted_exit_three(world):
    """The site's stamps and the credential with its holder's status are read in one
    round trip; an entry is then one INSERT; an exit against a quota sends BEGIN, the
    household's lock and its count together, then the INSERT with the COMMIT."""
    site, (r0, r1) = world.a.site, world.a.residents
    closed(site, quota=5)
    token = gate_services.pass_token(gate_services.pass_issue(actor=None, resident=r1))
    for warm in (gate(resident_id=r0.pk), gate(token=token)):  # the policy and keys cached
        gate_services.events_record(site=site, inputs=[warm])
    cases = [
        (gate(resident_id=r0.pk), 2, "admit"),
        (gate(token=token), 2, "admit"),
        (gate(resident_id=r0.pk, direction="out"), 3, "admit"),
        (gate(token=token, direction="out"), 3, "admit"),
    ]
    for item, trips, decision in cases:
        with round_trips() as measured:
            [result] = gate_services.events_record(site=site, inputs=[item])
        assert (measured, result.decision) == ([trips], decision), item
    assert AccessEvent.all_tenants.count() == 6
    # The exits were counted: the quota of 5 has 3 left.
    assert fastpath.outings_count(
        site.company_id, site.pk, [r0.household_id], timezone.now() - timedelta(days=1)
    ) == [(r0.household_id, 2)]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_replayed_exit_returns_the_stored_result_and_takes_no_outing(world):
    site, resident = world.a.site, world.a.residents[0]
    closed(site, quota=1)
    item = gate(resident_id=resident.pk, direction="out")
    [first] = gate_services.events_record(site=site, inputs=[item])
    [again] = gate_services.events_record(site=site, inputs=[item])
    assert (first.decision, first.duplicate) == ("admit", False)
    assert (again.event_id, again.decision, again.duplicate) == (first.event_id, "admit", True)
    assert AccessEvent.all_tenants.count() == 1
    [other] = gate_services.events_record(
        site=site, inputs=[gate(resident_id=resident.pk, direction="out")]
    )
    assert other.decision == "deny"  # the one outing was taken once, by the first


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_sent_transaction_rolls_it_back(world):
    """A value the column cannot hold fails the INSERT after BEGIN and the lock were
    sent: the transaction is rolled back, nothing is stored, the lock is released and
    the connection serves the next check-in."""
    site, resident = world.a.site, world.a.residents[0]
    closed(site, quota=5)
    too_cold = gate(resident_id=resident.pk, direction="out", temperature=Decimal("-1000.0"))
    with pytest.raises(DataError):
        gate_services.events_record(site=site, inputs=[too_cold])
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert AccessEvent.all_tenants.count() == 0

    # Another connection takes the household's lock at once: it was released.
    def exit_elsewhere():
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")
        [result] = gate_services.events_record(
            site=site, inputs=[gate(resident_id=resident.pk, direction="out")]
        )
        return result.decision

    assert _in_threads([exit_elsewhere]) == ["admit"]
    [after] = gate_services.events_record(site=site, inputs=[gate(resident_id=resident.pk)])
    assert after.decision == "admit"
