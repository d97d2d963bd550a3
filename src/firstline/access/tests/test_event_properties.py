"""Properties of the gate's parsers, on any input (hypothesis): the device event
(POST /events), the batch (POST /events/batch) and the Hikvision adapter either
store an event or refuse it with an error naming the field (a 422, a per-item
error, ISAPI's Invalid Content), never raise; whatever is stored has a device time
within the clock skew and the retention period; and a replay stores nothing again.

Each test runs its examples against the real endpoint with Django's test client, in
one test database: examples accumulate, which is what replays need anyway. The
budgets are small (the suite stays fast); the example-based edges are in
test_event_input.py."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstline.access.api import hikvision
from firstline.access.api.gate import EventItem, _plain_item
from firstline.access.models import AccessEvent
from firstline.access.tests.test_devices import make_gate
from firstline.access.tests.test_hikvision import URL as HIKVISION
from firstline.access.tests.test_hikvision import alert

EVENTS = "/api/v1/access/events"
BATCH = "/api/v1/access/events/batch"
BUDGET = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
# ISO 8601 shapes with every part free to be impossible (month 13, 30 February, hour 25,
# offset +25:00, year 0 or 9999): the lean batch check and pydantic both see them.
iso_shaped = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["Z", "+08:00", "-05:30", "+00:00", "+23:59", "+25:00", "-24:00", ""]),
)


def _around_now(offset: timedelta) -> str:
    return (timezone.now() + offset).isoformat()


# Real times around now, some beyond the skew or the retention period.
near_now = st.builds(
    _around_now, st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(hours=2))
)
times = near_now | iso_shaped | st.text(max_size=30) | json_values
uuids = st.uuids().map(str) | st.text(max_size=40) | json_values
temperatures = (
    st.decimals("25", "50", places=2).map(float)
    | st.floats()
    | st.sampled_from(["NaN", "Infinity", "36.6", "1e999"])
    | json_values
)
texts = st.text(max_size=20) | json_values  # lone surrogates and NUL included


@st.composite
def items(draw) -> object:
    """A batch item: mostly an object with the event's fields, each valid or not."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not an object at all, sometimes
    item = {
        "client_uuid": draw(st.uuids().map(str) if draw(st.booleans()) else uuids),
        "direction": draw(st.sampled_from(["in", "out"]) | json_values),
        "device_time": draw(near_now if draw(st.booleans()) else times),
    }
    optional = {
        "temperature": temperatures,
        "plate": texts,
        "token": texts,
        "resident_id": st.integers(-2, 2**64) | json_values,
        "checkpoint_id": st.integers(-2, 3) | json_values,
        "temprature": json_values,  # misspelt: refused, never ignored
    }
    for name, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            item[name] = draw(values)
    for name in draw(st.lists(st.sampled_from(["client_uuid", "direction", "device_time"]))):
        item.pop(name, None)
    return item


# --- checks ----------------------------------------------------------------------------------


def post(client, url: str, body, headers=None):
    return client.post(
        url, json.dumps(body), content_type="application/json", headers=headers or {}
    )


def stored_once_and_in_window(client_uuid: str) -> AccessEvent:
    [row] = AccessEvent.all_tenants.filter(client_uuid=client_uuid)
    now = timezone.now()
    skew = timedelta(minutes=django_settings.DEVICE_CLOCK_SKEW_MINUTES)
    retention = timedelta(days=django_settings.GATE_RETENTION_DAYS)
    assert now - retention - timedelta(minutes=1) <= row.device_time <= now + skew
    return row


def count(client_uuid) -> int:
    try:
        return AccessEvent.all_tenants.filter(client_uuid=uuid.UUID(str(client_uuid))).count()
    except ValueError:
        return 0


# --- the device event ------------------------------------------------------------------------


def test_any_single_event_is_stored_or_refused_by_field(client, world):
    gate = make_gate(world.a)

    @BUDGET
    @given(item=items())
    def check(item):
        body = {**item, "site_id": world.a.site.pk} if isinstance(item, dict) else item
        before = count(item.get("client_uuid")) if isinstance(item, dict) else 0
        response = post(client, EVENTS, body, gate.auth)
        assert response.status_code in (200, 422), response.content
        if response.status_code == 200:
            answer = response.json()
            row = stored_once_and_in_window(answer["client_uuid"])
            assert answer["event_id"] == row.pk
            assert answer["duplicate"] == (before == 1)
        else:
            assert all(e["loc"][:1] == ["body"] for e in response.json()["detail"])
            if isinstance(item, dict):
                assert count(item.get("client_uuid")) == before

    check()


def test_any_batch_stores_each_item_once_or_reports_it_and_a_replay_stores_nothing(client, world):
    gate = make_gate(world.a)

    @BUDGET
    @given(batch=st.lists(items(), min_size=1, max_size=6))
    def check(batch):
        body = {"site_id": world.a.site.pk, "events": batch}
        response = post(client, BATCH, body, gate.auth)
        assert response.status_code == 200, response.content
        answer = response.json()
        stored = {r["index"] for r in answer["results"]}
        refused = {e["index"] for e in answer["errors"]}
        assert stored | refused == set(range(len(batch))) and not stored & refused
        for result in answer["results"]:
            assert result["event_id"] == stored_once_and_in_window(result["client_uuid"]).pk
        rows = AccessEvent.all_tenants.count()

        again = post(client, BATCH, body, gate.auth).json()

        assert AccessEvent.all_tenants.count() == rows
        assert [(r["index"], r["event_id"]) for r in again["results"]] == [
            (r["index"], r["event_id"]) for r in answer["results"]
        ]
        assert all(r["duplicate"] for r in again["results"])
        assert again["errors"] == answer["errors"] or {e["index"] for e in again["errors"]} == (
            refused  # a time refused as beyond the skew may be a moment nearer now
        )

    check()


@settings(max_examples=300, deadline=None, database=None)
@given(raw=items())
def test_the_lean_batch_check_never_raises_and_agrees_with_event_item(raw):
    plain = _plain_item(raw, 3)
    if plain is not None:
        item = EventItem.model_validate(raw)
        assert plain == item.gate_input(item.checkpoint_id or 3)


# --- Hikvision ---------------------------------------------------------------------------------


@st.composite
def notifications(draw) -> dict:
    """An access event notification whose fields are each left, or anything at all."""
    body = alert(serial=draw(st.integers(1, 10**6)), cardNo=draw(st.sampled_from(["", "1", "42"])))
    access = body["AccessControllerEvent"]
    free = {
        "currTemperature": temperatures,
        "thermometryUnit": st.sampled_from(["celsius", "fahrenheit", "kelvin"]) | texts,
        "majorEventType": st.just(5) | json_values,
        "serialNo": st.integers() | json_values,
        "cardNo": st.integers(0, 2**70).map(str) | texts,
        "employeeNoString": st.integers(0, 2**70).map(str) | texts,
        "attendanceStatus": st.sampled_from(["checkIn", "checkOut"]) | texts,
    }
    for name, values in free.items():
        if draw(st.integers(0, 2)) == 0:
            access[name] = draw(values)
    if draw(st.booleans()):
        body["dateTime"] = draw(times)
    if draw(st.integers(0, 9)) == 0:
        body["eventType"] = draw(st.sampled_from(["AcsEvent", "heartBeat"]) | json_values)
    if draw(st.integers(0, 9)) == 0:
        body["AccessControllerEvent"] = draw(json_values)
    return body


@settings(max_examples=300, deadline=None, database=None)
@given(alert_=notifications() | st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_the_hikvision_parser_gives_an_event_nothing_or_not_an_alert(alert_):
    try:
        hikvision.parse(alert_)
    except hikvision.NotAnAlert as exc:
        assert str(exc)


def test_any_hikvision_notification_is_recorded_once_acknowledged_or_invalid_content(client, world):
    gate = make_gate(world.a)
    url = f"{HIKVISION}?token={gate.token}"

    @BUDGET
    @given(notification=notifications())
    def check(notification):
        response = post(client, url, notification)
        assert response.status_code in (200, 400), response.content
        answer = response.json()
        if response.status_code == 400:
            assert (answer["statusCode"], answer["subStatusCode"]) == (6, "badJsonContent")
            assert answer["errorMsg"]
            return
        assert answer["statusCode"] == 1
        if answer["event"] is None:
            return
        row = stored_once_and_in_window(answer["event"]["client_uuid"])
        rows = AccessEvent.all_tenants.count()
        again = post(client, url, notification).json()
        assert (again["event"]["event_id"], again["event"]["duplicate"]) == (row.pk, True)
        assert AccessEvent.all_tenants.count() == rows

    check()
