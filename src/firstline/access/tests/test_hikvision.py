"""The Hikvision ISAPI push adapter, with sample notifications built from the
vendor's published descriptions of the format.

Sources for the payloads below (our own samples; nothing copied):
- Hikvision, "Device Network SDK (Card-Based Access Control) Developer Guide"
  V6.1.5.X (2022), access-control event details: card No., employee No., serial
  No., current verify mode, attendance status, "isAbnomalTemperature" (sic),
  current temperature and thermometry unit; major type 5 = event.
- Hikvision, "Device Network SDK (Thermal) Developer Guide" V6.1.5.X (2022),
  JSON EventNotificationAlert uploads: root fields ipAddress, portNo, protocol,
  macAddress, channelID, dateTime (ISO 8601 with offset), activePostCount,
  eventType, eventState, eventDescription; the listening-host upload is
  multipart/form-data (boundary "MIME_boundary") whose JSON part's
  Content-Disposition name is the event type, with Content-Type application/json.
- Public integrations of DS-K1T face terminals (GitHub: AcsEvent search results
  carrying "currTemperature": 36.6, "thermometryUnit": "celsius",
  "isAbnomalTemperature": false, "currentVerifyMode": "cardOrfaceOrPw"; push
  handlers receiving an "event_log" JSON part beside a "Picture" part).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from firstline.access.api import hikvision
from firstline.access.models import AccessEvent, Alert
from firstline.access.services import gate as gate_services
from firstline.access.tests.test_devices import make_gate

URL = "/api/v1/access/devices/hikvision/event"


@pytest.fixture
def gate(world):
    return make_gate(world.a)


@pytest.fixture
def resident_pass(world):
    return gate_services.pass_issue(
        actor=None, resident=world.a.residents[0], now=timezone.now() - timedelta(hours=1)
    )


def alert(*, serial: int = 1203, when=None, **access) -> dict:
    """An EventNotificationAlert for one access event of a face terminal with a thermometer."""
    when = when or timezone.localtime().replace(microsecond=0)
    return {
        "ipAddress": "192.168.1.64",
        "portNo": 80,
        "protocol": "HTTP",
        "macAddress": "44:19:b6:2a:90:11",
        "channelID": 1,
        "dateTime": when.isoformat(),
        "activePostCount": 1,
        "eventType": "AccessControllerEvent",
        "eventState": "active",
        "eventDescription": "Access Controller Event",
        "AccessControllerEvent": {
            "deviceName": "Access Controller",
            "majorEventType": 5,
            "subEventType": 75,
            "name": "",
            "cardReaderNo": 1,
            "doorNo": 1,
            "serialNo": serial,
            "userType": "normal",
            "currentVerifyMode": "cardOrFace",
            "currentEvent": True,
            "frontSerialNo": serial - 1,
            "attendanceStatus": "checkIn",
            "statusValue": 0,
            "mask": "no",
            "helmet": "no",
            "thermometryUnit": "celsius",
            "currTemperature": 36.4,
            "isAbnomalTemperature": False,
            "picturesNumber": 1,
            **access,
        },
    }


def multipart(part_name: str, payload: dict) -> tuple[bytes, str]:
    """The listening-host upload: the JSON part named after the event, then a picture."""
    boundary = "MIME_boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{part_name}"\r\n'
            f"Content-Type: application/json\r\n\r\n{json.dumps(payload)}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff\xe0"
        + b"\x00" * 64
        + b"\xff\xd9"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def push_json(client, gate, payload, *, query=True):
    url = f"{URL}?token={gate.token}" if query else URL
    headers = {} if query else gate.auth
    return client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def test_a_card_swipe_is_the_pass_provisioned_as_that_card(client, world, gate, resident_pass):
    response = push_json(client, gate, alert(cardNo=str(resident_pass.pk), currTemperature=36.46))

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("statusCode", "statusString", "subStatusCode")} == {
        "statusCode": 1,
        "statusString": "OK",
        "subStatusCode": "ok",
    }
    stored = AccessEvent.all_tenants.get()
    assert (
        stored.pass_ref_id,
        stored.resident_id,
        stored.credential,
        stored.temperature,
        stored.direction,
    ) == (resident_pass.pk, world.a.residents[0].pk, "pass", Decimal("36.5"), "in")
    assert (stored.device_id, stored.checkpoint_id, body["event"]["decision"]) == (
        gate.device.pk,
        gate.checkpoint.pk,
        "admit",
    )


def test_multipart_with_a_face_match_and_a_fever(client, world, gate):
    resident = world.a.residents[1]
    payload = alert(
        serial=88,
        employeeNoString=str(resident.pk),
        currTemperature=38.2,
        isAbnomalTemperature=True,
        attendanceStatus="checkOut",
    )
    body, content_type = multipart("AccessControllerEvent", payload)

    response = client.post(URL, body, content_type=content_type, headers=gate.auth)

    assert response.status_code == 200, response.content
    stored = AccessEvent.all_tenants.get()
    assert (
        stored.resident_id,
        stored.credential,
        stored.temperature,
        stored.direction,
        stored.decision,
    ) == (resident.pk, "lookup", Decimal("38.2"), "out", "refer")
    assert Alert.all_tenants.get().message == f"{resident.name} 38.2℃"


def test_multipart_part_named_event_log(client, world, gate, resident_pass):
    body, content_type = multipart(
        "event_log", {"EventNotificationAlert": alert(cardNo=str(resident_pass.pk))}
    )
    assert client.post(URL, body, content_type=content_type, headers=gate.auth).status_code == 200
    assert AccessEvent.all_tenants.get().pass_ref_id == resident_pass.pk


def test_a_retried_notification_is_stored_once(client, world, gate, resident_pass):
    payload = alert(serial=5000, cardNo=str(resident_pass.pk))
    first = push_json(client, gate, payload).json()["event"]
    body, content_type = multipart(
        "AccessControllerEvent", payload
    )  # the same event, sent again another way
    again = client.post(URL, body, content_type=content_type, headers=gate.auth).json()["event"]

    assert AccessEvent.all_tenants.count() == 1
    assert (again["event_id"], again["duplicate"], first["duplicate"]) == (
        first["event_id"],
        True,
        False,
    )


def test_the_same_serial_on_another_device_or_day_is_another_event(
    client, world, gate, resident_pass
):
    other = make_gate(world.a, name="北门")
    payload = alert(serial=7, cardNo=str(resident_pass.pk))
    push_json(client, gate, payload)
    push_json(client, other, payload)
    push_json(
        client,
        gate,
        {
            **payload,
            "dateTime": (timezone.localtime() - timedelta(days=1))  # the day before
            .replace(microsecond=0)
            .isoformat(),
        },
    )
    assert AccessEvent.all_tenants.count() == 3


def test_fahrenheit_is_converted_and_a_misread_dropped(client, world, gate, resident_pass):
    push_json(
        client,
        gate,
        alert(
            serial=1,
            cardNo=str(resident_pass.pk),
            thermometryUnit="fahrenheit",
            currTemperature=98.6,
        ),
    )
    push_json(client, gate, alert(serial=2, cardNo=str(resident_pass.pk), currTemperature=12.0))
    assert list(AccessEvent.all_tenants.order_by("id").values_list("temperature", flat=True)) == [
        Decimal("37.0"),
        None,
    ]


def test_an_unknown_card_and_another_sites_pass_are_unknown_credentials(client, world, gate):
    b_pass = gate_services.pass_issue(actor=None, resident=world.b.residents[0])
    push_json(client, gate, alert(serial=1, cardNo="99999999"))
    push_json(client, gate, alert(serial=2, cardNo=str(b_pass.pk)))
    push_json(client, gate, alert(serial=3, cardNo="18446744073709551613"))  # the "super card"
    rows = list(AccessEvent.all_tenants.order_by("id").values_list("pass_ref_id", "reasons"))
    assert rows == [(None, ["通行证无效或无法识别"])] * 3


@pytest.mark.parametrize(
    "payload",
    [
        {"eventType": "heartBeat", "dateTime": "2020-02-14T08:00:00+08:00"},
        alert(majorEventType=3, subEventType=112),  # an operation (remote login), not a passage
        alert(currTemperature=None),  # the door's own status: neither credential nor temperature
    ],
)
def test_other_notifications_are_acknowledged_and_not_recorded(client, world, gate, payload):
    response = push_json(client, gate, payload)
    assert (response.status_code, response.json()["statusCode"], response.json()["event"]) == (
        200,
        1,
        None,
    )
    assert AccessEvent.all_tenants.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("<EventNotificationAlert/>", "application/xml"),
        (json.dumps(alert(cardNo="1", majorEventType="five")), "application/json"),
        (json.dumps({**alert(cardNo="1"), "dateTime": "yesterday"}), "application/json"),
    ],
)
def test_an_unreadable_notification_is_refused_with_isapi_invalid_content(
    client, world, gate, body, content_type
):
    response = client.post(f"{URL}?token={gate.token}", body, content_type=content_type)
    assert (
        response.status_code,
        response.json()["statusCode"],
        response.json()["statusString"],
    ) == (400, 6, "Invalid Content")
    assert AccessEvent.all_tenants.count() == 0


def test_parse_maps_the_fields():
    when = timezone.localtime().replace(microsecond=0)
    event = hikvision.parse(
        alert(serial=42, when=when, cardNo="17", employeeNoString="3", attendanceStatus="breakOut")
    )
    assert event == hikvision.HikEvent(
        serial_no="42",
        date_time=when.isoformat(),
        device_time=when,
        direction="out",
        card_no="17",
        employee_no="3",
        temperature=Decimal("36.4"),
    )


def test_a_time_without_offset_is_the_servers_local_time():
    event = hikvision.parse({**alert(cardNo="1"), "dateTime": "2020-02-14T08:00:00"})
    assert timezone.localtime(event.device_time).isoformat() == "2020-02-14T08:00:00+08:00"


def test_client_uuid_is_deterministic(world, gate):
    event = hikvision.parse(alert(serial=9, cardNo="1"))
    assert hikvision.client_uuid(gate.device, event) == hikvision.client_uuid(gate.device, event)
    assert hikvision.client_uuid(gate.device, event) == uuid.uuid5(
        hikvision.NAMESPACE, f"{gate.device.pk}:9:{event.date_time}"
    )
