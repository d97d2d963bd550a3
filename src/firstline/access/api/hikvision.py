"""Hikvision ISAPI access-control event notifications → GateInput.

A Hikvision access controller or face terminal whose HTTP listening host points
at /api/v1/access/devices/hikvision/event POSTs one EventNotificationAlert per
access event, either as JSON (application/json) or as multipart/form-data whose
JSON part is named after the event ("AccessControllerEvent"; some face-terminal
firmware names it "event_log"), usually followed by a "Picture" part we ignore.
Field names follow Hikvision's ISAPI and Device Network SDK access-control
developer guides (see tests/test_hikvision.py for the sources):

    {"eventType": "AccessControllerEvent", "dateTime": "2020-02-14T08:01:30+08:00",
     "AccessControllerEvent": {"majorEventType": 5, "subEventType": 75, "serialNo": 1203,
                               "cardNo": "42", "employeeNoString": "7",
                               "currTemperature": 36.6, "thermometryUnit": "celsius",
                               "attendanceStatus": "checkIn", ...}}

How each field maps (docs/device-events.md, "Hikvision"):

- cardNo → the pass whose id it is (we provision the pass id as the card number
  on the device); the event then goes through the same signed-pass check as a
  scanned QR code, so revocation and expiry apply.
- employeeNoString (when there is no card) → the resident with that id.
- currTemperature (also accepted: currentTemperature) in thermometryUnit → °C,
  rounded to 0.1; a reading outside 30–45 °C is a misread and dropped, but one
  that is no finite number (NaN, Infinity, 1e999) or outside 0–100 °C is no
  reading at all and the notification is refused. The device's
  isAbnomalTemperature flag is not used: the site's policy threshold is.
- attendanceStatus checkIn/breakIn/overtimeIn → "in", checkOut/breakOut/
  overtimeOut → "out", anything else (or none) → "in".
- dateTime → device time (no offset: the server's time zone); a time ahead of the
  server's clock by more than the allowed skew, or older than the retention period,
  is refused (services.gate.device_time_refusal), as on POST /events.
- Text holding a NUL character or a lone surrogate anywhere refuses the notification.
- serialNo → the client UUID, uuid5 of (device id, serialNo, dateTime): a
  notification the device sends again is the same event, stored once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.http import HttpRequest
from django.utils import timezone

from firstline.access.models import Device, Direction
from firstline.access.services.gate import GateInput, pass_token, site_pass
from firstline.core.validators import bad_text_path

# Event types of an access event; anything else (heartBeat, door status, video
# events) is acknowledged and not recorded.
EVENT_TYPES = frozenset({"AccessControllerEvent", "AcsEvent"})
JSON_PARTS = ("AccessControllerEvent", "AcsEvent", "event_log")
MAJOR_EVENT = 5  # majorEventType: 1 alarm, 2 exception, 3 operation, 5 event
NAMESPACE = uuid.UUID("5d3c8a4e-2f61-4b0e-9a57-7c1f0e4b6a21")  # Firstline's Hikvision events
TEMPERATURE_RANGE = (Decimal("30.0"), Decimal("45.0"))
# Any reading a thermometer could give, in °C; beyond it (or a sensor's 1e999) the
# notification is broken, not the person's temperature.
PLAUSIBLE_RANGE = (Decimal("0"), Decimal("100"))
UNKNOWN_CARD = "HIK.card."  # not a Firstline pass: the decision reads it as an unknown credential


class NotAnAlert(ValueError):
    """The request body is not an EventNotificationAlert we can read."""


@dataclass(frozen=True)
class HikEvent:
    """The parts of one access event the gate decision needs."""

    serial_no: str
    date_time: str  # as sent: part of the idempotency key
    device_time: datetime
    direction: str
    card_no: str = ""
    employee_no: str = ""
    temperature: Decimal | None = None


def alert_from_request(request: HttpRequest) -> dict:
    """The EventNotificationAlert object of a push, whether JSON or multipart."""
    content_type = (request.content_type or "").lower()
    if content_type.startswith("multipart/"):
        for name in JSON_PARTS:
            if name in request.POST:
                return _object(request.POST[name])
        for upload in request.FILES.values():
            if (upload.content_type or "").startswith("application/json"):
                return _object(upload.read().decode("utf-8", "replace"))
        raise NotAnAlert(f"no JSON part named {' or '.join(JSON_PARTS)}")
    if content_type in ("application/xml", "text/xml"):
        raise NotAnAlert("XML notifications are not read: set the device's event format to JSON")
    return _object(request.body.decode("utf-8", "replace"))


def _object(text: str) -> dict:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise NotAnAlert("the body is not JSON") from None
    if not isinstance(data, dict):
        raise NotAnAlert("the body is not a JSON object")
    # Some firmware wraps the alert in its XML root's name.
    inner = data.get("EventNotificationAlert")
    return inner if isinstance(inner, dict) else data


def parse(alert: dict) -> HikEvent | None:
    """The access event in `alert`, or None for a notification that is no gate
    event (a heartbeat, an alarm, a door left open, a swipe with neither a
    credential nor a temperature). Raises NotAnAlert for an unreadable one."""
    event_type = alert.get("eventType")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        return None
    bad = bad_text_path(alert)
    if bad is not None:
        where = ".".join(str(p) for p in bad) or "the notification"
        raise NotAnAlert(f"{where} holds a NUL character or an unpaired surrogate")
    body = alert.get("AccessControllerEvent") or alert.get("AcsEvent") or {}
    if not isinstance(body, dict):
        raise NotAnAlert("AccessControllerEvent is not an object")

    def field(name: str):
        # The alert-stream variant puts some fields at the top level.
        value = body.get(name)
        return alert.get(name) if value is None else value

    major = field("majorEventType")
    if major is not None and _int(major, "majorEventType") != MAJOR_EVENT:
        return None
    card_no = str(field("cardNo") or "").strip()
    employee_no = str(field("employeeNoString") or field("employeeNo") or "").strip()
    temperature = _celsius(
        field("currTemperature")
        if field("currTemperature") is not None
        else field("currentTemperature"),
        str(field("thermometryUnit") or "celsius"),
    )
    if not card_no and not employee_no and temperature is None:
        return None
    date_time = str(alert.get("dateTime") or field("time") or "")
    serial = field("serialNo")
    return HikEvent(
        serial_no="" if serial is None else str(serial),
        date_time=date_time,
        device_time=_device_time(date_time),
        direction=_direction(field("attendanceStatus")),
        card_no=card_no,
        employee_no=employee_no,
        temperature=temperature,
    )


def _int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e999)
        raise NotAnAlert(f"{name} is not a number") from None


def _device_time(text: str) -> datetime:
    if not text:
        return timezone.now()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise NotAnAlert("dateTime is not an ISO 8601 time") from None
    return at if timezone.is_aware(at) else timezone.make_aware(at)


def _direction(status) -> str:
    status = str(status or "").lower()
    if status.endswith("out"):
        return Direction.OUT
    return Direction.IN


def _celsius(value, unit: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        reading = Decimal(str(value))
    except InvalidOperation:
        raise NotAnAlert("currTemperature is not a number") from None
    if not reading.is_finite() or abs(reading) > 1000:  # NaN, Infinity, JSON's 1e999
        raise NotAnAlert(f"currTemperature {str(value)[:32]} is not a temperature reading")
    unit = unit.lower()
    if unit == "fahrenheit":
        reading = (reading - 32) * 5 / 9
    elif unit == "kelvin":
        reading = reading - Decimal("273.15")
    if not PLAUSIBLE_RANGE[0] <= reading <= PLAUSIBLE_RANGE[1]:
        raise NotAnAlert(
            f"currTemperature {str(value)[:32]} ({unit[:16]}) is not a plausible reading"
        )
    reading = reading.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    low, high = TEMPERATURE_RANGE
    return reading if low <= reading <= high else None


def client_uuid(device: Device, event: HikEvent) -> uuid.UUID:
    """The same notification sent again gives the same UUID; the event's own time
    is in the key so a counter reset after a device reset starts no collisions."""
    if event.serial_no:
        key = f"{device.pk}:{event.serial_no}:{event.date_time}"
    else:
        key = f"{device.pk}:-:{event.date_time}:{event.card_no}:{event.employee_no}:{event.temperature}"
    return uuid.uuid5(NAMESPACE, key)


def gate_input(event: HikEvent, *, device: Device) -> GateInput:
    """The gate event for `event` at `device`'s checkpoint (one query for a card)."""
    token, resident_id = "", None
    if event.card_no:
        token = _card_token(device.site_id, event.card_no)
    elif _row_id(event.employee_no) is not None:
        resident_id = _row_id(event.employee_no)
    elif event.employee_no:
        token = UNKNOWN_CARD + event.employee_no
    return GateInput(
        client_uuid=client_uuid(device, event),
        direction=event.direction,
        device_time=event.device_time,
        token=token,
        resident_id=resident_id,
        temperature=event.temperature,
        checkpoint_id=device.checkpoint_id,
    )


def _card_token(site_id: int, card_no: str) -> str:
    """The signed token of the pass provisioned as this card, so the card goes
    through the same checks as a scanned QR code; an unknown card stays unknown."""
    pass_id = _row_id(card_no)
    pass_ = site_pass(site_id=site_id, pass_id=pass_id) if pass_id is not None else None
    return pass_token(pass_) if pass_ is not None else UNKNOWN_CARD + card_no


def _row_id(text: str) -> int | None:
    """A card or employee number that can be a row id (special cards such as
    18446744073709551613, the "super card", cannot)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value < 2**63 else None


def ack(path: str, *, ok: bool = True, message: str = "") -> dict:
    """ISAPI's ResponseStatus, which the device expects back (HTTP 200 = delivered)."""
    if ok:
        return {"requestURL": path, "statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}
    return {
        "requestURL": path,
        "statusCode": 6,
        "statusString": "Invalid Content",
        "subStatusCode": "badJsonContent",
        "errorMsg": message,
    }
