"""What the gate's edges refuse, and how: impossible timestamps, device times outside
the clock skew or the retention period, text PostgreSQL cannot store, and Hikvision
readings that are no temperature. A single event answers 422 naming the field, a
batch reports the item by its index and stores the others, the Hikvision adapter
answers ISAPI's Invalid Content; nothing is stored, and never a server error."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from firstline.access.models import AccessEvent
from firstline.access.tests.test_devices import make_gate
from firstline.access.tests.test_hikvision import URL as HIKVISION
from firstline.access.tests.test_hikvision import alert, multipart

EVENTS = "/api/v1/access/events"
BATCH = "/api/v1/access/events/batch"

IMPOSSIBLE = [
    "2020-02-30T08:00:00+08:00",  # 30 February
    "2020-13-01T08:00:00+08:00",  # month 13
    "2020-02-14T25:00:00+08:00",  # hour 25
    "2020-02-14T08:00:00+25:00",  # offset +25:00
    "0000-01-01T00:00:00+08:00",  # year 0
]
# Real times, but not ones a gate event may have: they used to overflow when turned
# into UTC (year 1 east of Greenwich, year 9999 west of it) or were stored (2100).
OUT_OF_WINDOW = [
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-08:00",
    "9999-12-31T23:59:59+08:00",
    "2100-01-01T00:00:00+08:00",
]
BAD_TEXT = ["\x00", "A\x00B", "\ud800", "x\udfff"]


@pytest.fixture
def gate(world):
    return make_gate(world.a)


def event(**overrides) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "direction": "in",
        "device_time": timezone.now().isoformat(),
        **overrides,
    }


def post(client, url, body, headers):
    # json.dumps, not the client's encoder: a lone surrogate goes out as its \\u escape.
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def single(client, world, gate, **overrides):
    return post(client, EVENTS, event(site_id=world.a.site.pk, **overrides), gate.auth)


def batch(client, world, gate, items):
    response = post(client, BATCH, {"site_id": world.a.site.pk, "events": items}, gate.auth)
    assert response.status_code == 200, response.content
    return response.json()


def refused_field(response) -> list:
    assert response.status_code == 422, response.content
    return [e["loc"] for e in response.json()["detail"]]


# --- impossible and out-of-window device times --------------------------------------------


@pytest.mark.parametrize("at", IMPOSSIBLE + OUT_OF_WINDOW)
def test_a_single_event_at_an_impossible_or_unrecordable_time_is_422_at_device_time(
    client, world, gate, at
):
    assert refused_field(single(client, world, gate, device_time=at)) == [
        ["body", "payload", "device_time"]
    ]
    assert AccessEvent.all_tenants.count() == 0


@pytest.mark.parametrize("at", IMPOSSIBLE + OUT_OF_WINDOW)
def test_a_batch_item_at_an_impossible_or_unrecordable_time_is_its_own_error(
    client, world, gate, at
):
    items = [event(), event(device_time=at), event()]
    body = batch(client, world, gate, items)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "device_time")]
    assert [r["index"] for r in body["results"]] == [0, 2]
    assert AccessEvent.all_tenants.count() == 2


def test_the_clock_skew_is_a_setting_and_the_refusal_says_why(client, world, gate):
    now = timezone.now()
    within = event(device_time=(now + timedelta(minutes=4)).isoformat())
    beyond = event(device_time=(now + timedelta(minutes=6)).isoformat())
    body = batch(client, world, gate, [within, beyond])
    assert [r["index"] for r in body["results"]] == [0]
    [error] = body["errors"]
    assert (error["index"], error["field"]) == (1, "device_time")
    assert "5 minutes ahead of the server's clock" in error["message"]

    with override_settings(DEVICE_CLOCK_SKEW_MINUTES=10):
        assert single(client, world, gate, **beyond).status_code == 200
    assert AccessEvent.all_tenants.count() == 2


def test_an_event_older_than_the_retention_period_is_refused(client, world, gate):
    now = timezone.now()
    kept = event(device_time=(now - timedelta(days=29)).isoformat())
    gone = event(device_time=(now - timedelta(days=31)).isoformat())
    body = batch(client, world, gate, [kept, gone])
    assert [r["index"] for r in body["results"]] == [0]
    assert body["errors"] == [
        {
            "index": 1,
            "field": "device_time",
            "message": "older than the 30-day retention period of gate events: not recorded",
        }
    ]
    response = single(client, world, gate, **gone)
    assert refused_field(response) == [["body", "payload", "device_time"]]
    assert "retention period" in response.json()["detail"][0]["msg"]
    assert AccessEvent.all_tenants.count() == 1


def test_the_guard_pages_replay_goes_through_the_same_check(client, world):
    """The offline queue of the guard's page (access/gate.js) replays to POST /events
    with the browser session: an entry kept past the retention period is refused
    (the page drops it as rejected), not stored."""
    guard = world.a.users["guard"]
    client.force_login(guard)
    stale = event(
        site_id=world.a.site.pk, device_time=(timezone.now() - timedelta(days=40)).isoformat()
    )
    response = client.post(EVENTS, stale, content_type="application/json")
    assert refused_field(response) == [["body", "payload", "device_time"]]
    assert AccessEvent.all_tenants.count() == 0


# --- text PostgreSQL cannot store ------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_TEXT)
@pytest.mark.parametrize("field", ["plate", "token"])
def test_bad_text_is_refused_by_field_single_and_per_item(client, world, gate, field, bad):
    assert refused_field(single(client, world, gate, **{field: bad})) == [
        ["body", "payload", field]
    ]
    body = batch(client, world, gate, [event(**{field: bad}), event()])
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, field)]
    assert [r["index"] for r in body["results"]] == [1]
    assert AccessEvent.all_tenants.count() == 1


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
def test_bad_text_in_the_uuid_or_time_is_a_plain_field_error(client, world, gate, bad):
    items = [event(client_uuid=str(uuid.uuid4()) + bad), event(device_time="2020" + bad)]
    body = batch(client, world, gate, items)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (0, "client_uuid"),
        (1, "device_time"),
    ]
    assert AccessEvent.all_tenants.count() == 0


# --- Hikvision -------------------------------------------------------------------------------


def push(client, gate, payload: dict | str):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(f"{HIKVISION}?token={gate.token}", text, content_type="application/json")


def assert_invalid_content(response, *words):
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["statusCode"], body["statusString"], body["subStatusCode"]) == (
        6,
        "Invalid Content",
        "badJsonContent",
    )
    for word in words:
        assert word in body["errorMsg"]
    assert AccessEvent.all_tenants.count() == 0


@pytest.mark.parametrize(
    "reading",
    ["NaN", "Infinity", "-Infinity", "1e999", '"NaN"', '"Infinity"', '"-inf"', "1e300"],
)
def test_a_reading_that_is_no_number_is_invalid_content(client, gate, reading):
    text = json.dumps(alert(cardNo="1", currTemperature=0)).replace(
        '"currTemperature": 0', f'"currTemperature": {reading}'
    )
    assert_invalid_content(push(client, gate, text), "currTemperature")


@pytest.mark.parametrize(
    ("reading", "unit"),
    [(-36.5, "celsius"), (-40, "fahrenheit"), (0, "kelvin"), (150, "celsius"), (400, "fahrenheit")],
)
def test_an_absurd_reading_is_invalid_content(client, gate, reading, unit):
    payload = alert(cardNo="1", currTemperature=reading, thermometryUnit=unit)
    assert_invalid_content(push(client, gate, payload), "not a plausible reading")


def test_a_plausible_misread_is_still_dropped_and_the_event_kept(client, gate):
    response = push(client, gate, alert(cardNo="1", currTemperature=12.0))
    assert response.status_code == 200
    assert AccessEvent.all_tenants.get().temperature is None


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:59",  # no offset: the server's zone
        "9999-12-31T23:59:59-08:00",
        "0001-01-01T00:00:00+08:00",
        "2100-01-01T08:00:00+08:00",
    ],
)
def test_a_date_time_outside_the_window_is_invalid_content(client, gate, when):
    assert_invalid_content(push(client, gate, {**alert(cardNo="1"), "dateTime": when}), "dateTime")


@pytest.mark.parametrize(
    "when", ["2020-02-30T08:00:00+08:00", "2020-02-14T25:00:00", "2020-02-14T08:00:00+25:00"]
)
def test_an_impossible_date_time_is_invalid_content(client, gate, when):
    assert_invalid_content(push(client, gate, {**alert(cardNo="1"), "dateTime": when}), "dateTime")


@pytest.mark.parametrize("field", ["cardNo", "employeeNoString", "serialNo", "attendanceStatus"])
@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
def test_bad_text_anywhere_in_a_notification_is_invalid_content(client, gate, field, bad):
    payload = alert(**{"cardNo": "1", field: f"7{bad}"})
    assert_invalid_content(push(client, gate, payload), f"AccessControllerEvent.{field}")
    body, content_type = multipart("AccessControllerEvent", payload)
    response = client.post(f"{HIKVISION}?token={gate.token}", body, content_type=content_type)
    assert_invalid_content(response, field)


@pytest.mark.parametrize(
    "change",
    [
        {"majorEventType": 1e999},  # int(inf) overflowed
        {"majorEventType": "NaN"},
        {"cardNo": "9" * 5000},  # int() of a 5,000-digit number is refused by Python
        {"employeeNoString": "1" * 5000},
    ],
)
def test_odd_numbers_are_answered_not_raised(client, gate, change):
    text = json.dumps(alert(currTemperature=36.5, **change))
    response = push(client, gate, text.replace("Infinity", "1e999"))
    assert response.status_code in (200, 400), response.content
    assert response.json()["statusCode"] in (1, 6)


def test_a_deeply_nested_body_is_invalid_content(client, gate):
    assert_invalid_content(push(client, gate, "[" * 100_000 + "]" * 100_000), "JSON")
