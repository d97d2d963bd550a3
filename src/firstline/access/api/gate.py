"""API of the access app (mounted at /api/v1/access): gate events from devices and
pages, passes and their offline verification, the device registry, and the
Hikvision push adapter. docs/device-events.md is the device integrator's guide.

Who may call what:
- reads (event, pass, device and checkpoint lists) are scoped lists for users;
  a device token is refused there (401): a device reads no tenant data;
- gate writes and pass checks take a device token (its own site only) or a user
  with the permission over the site; anything else answers 404, as for a site
  that does not exist.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Status
from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator
from pydantic import ValidationError as PydanticValidationError

from firstline.access.api import hikvision
from firstline.access.models import AccessEvent, Checkpoint, Device, Pass
from firstline.access.services import gate, passes
from firstline.access.services.devices import (
    DeviceTokenAuth,
    DeviceTokenQuery,
    device_deactivate,
    device_heartbeat,
    device_online,
    device_register,
    device_rotate_token,
)
from firstline.access.services.gate import GateInput
from firstline.core.api import (
    RowId,
    Schema,
    ScopedRouter,
    Text,
    scoped_object,
    unprocessable,
    validation_errors_as_422,
)
from firstline.core.validators import BAD_TEXT
from firstline.estates.models import Resident, Site
from firstline.orgs.api import AUTH

DEVICE_OR_USER = [DeviceTokenAuth(), *AUTH]
DEVICE_ONLY = [DeviceTokenAuth()]
MAX_BATCH = 1000


# --- events ------------------------------------------------------------------------------


# The event schemas in and out are plain pydantic models, not ninja Schemas: a batch
# validates up to 1,000 items each way, and the Schema's attribute-access wrapper
# makes that several times slower.
class EventItem(BaseModel):
    """One gate event as a device or an offline page reports it."""

    model_config = ConfigDict(extra="forbid")

    client_uuid: uuid.UUID = Field(
        description="Made by the device; a replay of the same UUID is stored once."
    )
    direction: Literal["in", "out"]
    device_time: AwareDatetime = Field(
        description="ISO 8601 with a UTC offset; a time without one is refused."
    )
    token: Text | None = Field(
        None, max_length=512, description="A scanned pass (FL1.… QR content)."
    )
    resident_id: RowId | None = Field(None, description="The resident the guard looked up.")
    plate: Text | None = Field(
        None, max_length=16, description="A plate read by a car-park camera."
    )
    temperature: Decimal | None = Field(
        None, ge=Decimal("30.0"), le=Decimal("45.0"), description="°C, 30.0–45.0; rounded to 0.1."
    )
    checkpoint_id: RowId | None = Field(
        None, description="A checkpoint of the site; a device's own by default."
    )

    @field_validator("temperature")
    @classmethod
    def _tenths(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def gate_input(self, checkpoint_id: int | None) -> GateInput:
        return GateInput(
            client_uuid=self.client_uuid,
            direction=self.direction,
            device_time=self.device_time,
            token=self.token or "",
            resident_id=self.resident_id,
            plate=(self.plate or "").strip(),
            temperature=self.temperature,
            checkpoint_id=checkpoint_id,
        )


class EventIn(EventItem):
    site_id: RowId


class BatchIn(BaseModel):
    site_id: RowId
    events: list[Any] = Field(
        max_length=MAX_BATCH,
        description=(
            f"Up to {MAX_BATCH:,} EventItem objects, each validated on its own: a malformed one is reported "
            "in `errors` by its index and the others are stored."
        ),
        json_schema_extra={"items": EventItem.model_json_schema()},
    )


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_uuid: uuid.UUID
    event_id: int
    decision: str
    reasons: list[str]
    duplicate: bool = Field(
        description="True when this UUID was stored before: the original result is returned."
    )
    resident_name: str
    household_label: str


class BatchResultOut(EventOut):
    index: int = Field(description="Position of the event in the request's `events`.")


class BatchErrorOut(BaseModel):
    index: int
    field: str = Field(
        description="The offending field (dotted path); empty when the item itself is not an object."
    )
    message: str


class BatchOut(BaseModel):
    results: list[BatchResultOut]
    errors: list[BatchErrorOut]


class EventRow(Schema):
    id: int
    company_id: int
    site_id: int
    client_uuid: uuid.UUID
    checkpoint_id: int | None
    device_id: int | None
    direction: str
    credential: str
    decision: str
    reasons: list[str]
    pass_id: int | None = Field(None, alias="pass_ref_id")
    resident_id: int | None
    household_id: int | None
    plate: str
    temperature: float | None
    policy_version: int | None
    device_time: datetime
    server_time: datetime


class EventFilter(Schema):
    site_id: RowId | None = None
    checkpoint_id: RowId | None = None
    decision: Literal["admit", "deny", "refer"] | None = None
    direction: Literal["in", "out"] | None = None


def _gate_site(request: HttpRequest, site_id: int, permission: str) -> Site:
    """The site a gate write or check is for: a device's own, or one where the user
    holds `permission`; 404 otherwise, like a site that does not exist."""
    device = getattr(request, "device", None)
    if device is not None:
        if device.site_id != site_id:
            raise Http404
        return device.site
    site = Site.objects.for_scope(request.scope.for_perm(permission)).filter(pk=site_id).first()
    if site is None:
        raise Http404
    return site


def _known_checkpoints(
    request: HttpRequest, site: Site, items: list[EventItem]
) -> tuple[set[int], int | None]:
    """Which of the items' checkpoint ids belong to the site (one query at most),
    and the default checkpoint (a device's own)."""
    device = getattr(request, "device", None)
    default = device.checkpoint_id if device is not None else None
    wanted = {i.checkpoint_id for i in items if i.checkpoint_id is not None} - {default}
    known = gate.site_checkpoint_ids(site_id=site.pk, ids=wanted) if wanted else set()
    if default is not None:
        known.add(default)
    return known, default


NOT_A_CHECKPOINT = "not a checkpoint of this site"


def _recorder(request: HttpRequest) -> dict:
    """Who records the events: the device whose token was sent, or else the signed-in
    user (a device's request never loads a session or a user)."""
    device = getattr(request, "device", None)
    if device is not None:
        return {"device": device, "actor": None}
    return {"device": None, "actor": request.user if request.user.is_authenticated else None}


router = ScopedRouter(tags=["access"])


@router.post(
    "/events", auth=DEVICE_OR_USER, response=EventOut, summary="Record one gate event (idempotent)"
)
def event_record(request, payload: EventIn):
    """Decides and stores the event; answers after the commit. A replayed
    client_uuid is not stored again: its original result comes back with duplicate=true."""
    site = _gate_site(request, payload.site_id, "access.check_in")
    window = gate.device_time_window(timezone.now())
    if (refusal := gate.device_time_refusal(payload.device_time, window)) is not None:
        raise unprocessable(DjangoValidationError({"device_time": refusal}))
    known, default = _known_checkpoints(request, site, [payload])
    if payload.checkpoint_id is not None and payload.checkpoint_id not in known:
        raise unprocessable(DjangoValidationError({"checkpoint_id": NOT_A_CHECKPOINT}))
    item = payload.gate_input(payload.checkpoint_id or default)
    [result] = gate.events_record(
        site=site,
        inputs=[item],
        **_recorder(request),
    )
    # EventOut as documented, written directly (as the batch's results are).
    return HttpResponse(json.dumps(_event_out(result)), content_type="application/json")


def _event_out(result: gate.GateResult) -> dict:
    return {
        "client_uuid": str(result.client_uuid),
        "event_id": result.event_id,
        "decision": str(result.decision),
        "reasons": result.reasons,
        "duplicate": result.duplicate,
        "resident_name": result.resident_name,
        "household_label": result.household_label,
    }


@router.post(
    "/events/batch",
    auth=DEVICE_OR_USER,
    response=BatchOut,
    summary=f"Record up to {MAX_BATCH:,} gate events (idempotent, item by item validation)",
)
def event_record_batch(request, payload: BatchIn):
    """Each event is validated on its own: the valid ones are decided and stored in
    one transaction, the malformed ones come back in `errors`. Replaying a batch
    stores nothing new (duplicate=true)."""
    site = _gate_site(request, payload.site_id, "access.check_in")
    device = getattr(request, "device", None)
    default = device.checkpoint_id if device is not None else None
    valid: list[tuple[int, EventItem | GateInput]] = []
    errors: list[dict] = []
    window = gate.device_time_window(timezone.now())
    for index, raw in enumerate(payload.events):
        item = _plain_item(raw, default)  # the usual well-formed event, without pydantic
        if item is None:
            try:
                item = EventItem.model_validate(raw)
            except PydanticValidationError as exc:
                errors.extend(
                    {
                        "index": index,
                        "field": ".".join(str(p) for p in e["loc"]),
                        "message": e["msg"],
                    }
                    for e in exc.errors(include_url=False)
                )
                continue
        if (refusal := gate.device_time_refusal(item.device_time, window)) is not None:
            errors.append({"index": index, "field": "device_time", "message": refusal})
        else:
            valid.append((index, item))
    known, default = _known_checkpoints(request, site, [item for _i, item in valid])
    accepted: list[tuple[int, GateInput]] = []
    for index, item in valid:
        if item.checkpoint_id is not None and item.checkpoint_id not in known:
            errors.append({"index": index, "field": "checkpoint_id", "message": NOT_A_CHECKPOINT})
        elif isinstance(item, GateInput):  # its checkpoint defaulted already
            accepted.append((index, item))
        else:
            accepted.append((index, item.gate_input(item.checkpoint_id or default)))
    stored = gate.events_record(
        site=site,
        inputs=[g for _i, g in accepted],
        **_recorder(request),
    )
    errors.sort(key=lambda e: e["index"])
    # BatchOut as documented, written directly: no model per item on the way out.
    results = [
        {**_event_out(r), "index": index} for (index, _g), r in zip(accepted, stored, strict=True)
    ]
    return HttpResponse(
        json.dumps({"results": results, "errors": errors}), content_type="application/json"
    )


# --- the lean check of a batch item ------------------------------------------------------
#
# A batch of 1,000 well-formed events is the normal case; pydantic costs ~15 µs an item
# there. `_plain_item` accepts only what EventItem surely accepts, in the plain forms
# devices send (canonical ISO 8601 with an offset, a 36-character UUID, JSON numbers),
# and gives the same values; anything else, valid or not, goes through EventItem, so
# what is accepted and every error message stay EventItem's.

EVENT_KEYS = frozenset(EventItem.model_fields)
REQUIRED_KEYS = frozenset(k for k, f in EventItem.model_fields.items() if f.is_required())
ISO_AWARE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
ROW_ID_MAX = 2**63 - 1
TEMPERATURE_MIN, TEMPERATURE_MAX, TENTH = Decimal("30.0"), Decimal("45.0"), Decimal("0.1")


def _row_id(value) -> bool:
    return value is None or (type(value) is int and 1 <= value <= ROW_ID_MAX)


def _plain_item(raw, default_checkpoint: int | None) -> GateInput | None:
    """The GateInput of a plainly well-formed batch item, or None to let EventItem judge."""
    if type(raw) is not dict or not REQUIRED_KEYS <= raw.keys() <= EVENT_KEYS:
        return None
    direction, at, client_uuid = raw["direction"], raw["device_time"], raw["client_uuid"]
    if direction not in ("in", "out") or type(direction) is not str:
        return None
    if type(at) is not str or not ISO_AWARE.fullmatch(at):
        return None
    if type(client_uuid) is not str or not UUID_TEXT.fullmatch(client_uuid):
        return None
    token, plate = raw.get("token"), raw.get("plate")
    if token is not None and (type(token) is not str or len(token) > 512 or BAD_TEXT.search(token)):
        return None
    if plate is not None and (type(plate) is not str or len(plate) > 16 or BAD_TEXT.search(plate)):
        return None
    resident_id, checkpoint_id = raw.get("resident_id"), raw.get("checkpoint_id")
    if not (_row_id(resident_id) and _row_id(checkpoint_id)):
        return None
    temperature = raw.get("temperature")
    if temperature is not None:
        if type(temperature) not in (int, float) or not math.isfinite(temperature):
            return None
        temperature = Decimal(str(temperature))
        if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
            return None
        temperature = temperature.quantize(TENTH, rounding=ROUND_HALF_UP)
    try:  # the pattern lets 30 February, hour 25 or offset +25:00 through
        device_time = datetime.fromisoformat(at)
    except ValueError:
        return None
    return GateInput(
        client_uuid=uuid.UUID(client_uuid),
        direction=direction,
        device_time=device_time,
        token=token or "",
        resident_id=resident_id,
        plate=(plate or "").strip(),
        temperature=temperature,
        checkpoint_id=checkpoint_id or default_checkpoint,
    )


router.scoped_list(
    "/events",
    AccessEvent,
    "access.view_event",
    EventRow,
    filters=EventFilter,
    name="list_access_events",
    noun="gate events",
)


# --- passes ------------------------------------------------------------------------------


class PassIssueIn(Schema):
    resident_id: RowId
    days: int = Field(
        gate.DEFAULT_PASS_DAYS, ge=1, le=366, description="Validity in days from now."
    )


class PassOut(Schema):
    id: int
    company_id: int
    site_id: int
    kind: str
    resident_id: int | None
    household_id: int
    holder_name: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    revoked_reason: str


class PassIssuedOut(PassOut):
    token: str = Field(
        description="The QR content (FL1.<payload>.<signature>); verifiable offline."
    )


class PassRevokeIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class PassVerifyIn(Schema):
    site_id: RowId
    token: str = Field(max_length=512)


class PassVerifyOut(Schema):
    valid: bool
    status: str = Field(
        description="valid, unknown, other_site, not_yet_valid, expired, revoked or used"
    )
    pass_id: int | None = None
    holder_name: str | None = None
    valid_until: datetime | None = None


class PassFilter(Schema):
    site_id: RowId | None = None
    resident_id: RowId | None = None
    kind: Literal["resident", "visitor"] | None = None


class SiteKeyOut(Schema):
    kid: str
    public_key: str = Field(description="base64url of the 32 raw bytes of the Ed25519 public key")


class RevokedOut(Schema):
    pass_id: int
    revoked_at: datetime


router.scoped_list(
    "/passes", Pass, "access.view_pass", PassOut, filters=PassFilter, name="list_access_passes"
)


@router.post(
    "/passes", response=PassIssuedOut, summary="Issue a resident's pass (an earlier one is revoked)"
)
def pass_issue(request, payload: PassIssueIn):
    resident = scoped_object(
        request,
        Resident,
        "access.issue_pass",
        payload.resident_id,
        refine=lambda qs: qs.select_related("site"),
    )
    pass_ = gate.pass_issue(actor=request.user, resident=resident, days=payload.days)
    pass_.token = gate.pass_token(pass_)
    return pass_


@router.post(
    "/passes/verify",
    auth=DEVICE_OR_USER,
    response=PassVerifyOut,
    summary="Check a pass on the server, revocation and one-time use included",
)
def pass_verify(request, payload: PassVerifyIn):
    site = _gate_site(request, payload.site_id, "access.view_pass")
    return _pass_status(site=site, token=payload.token, now=timezone.now())


@router.post("/passes/{pk}/revoke", response=PassOut, summary="Revoke a pass")
def pass_revoke(request, pk: RowId, payload: PassRevokeIn):
    pass_ = scoped_object(request, Pass, "access.issue_pass", pk)
    with validation_errors_as_422():
        return gate.pass_revoke(actor=request.user, pass_=pass_, reason=payload.reason)


@router.get(
    "/sites/{site_id}/keys",
    auth=DEVICE_OR_USER,
    response=list[SiteKeyOut],
    summary="The site's pass-signing public keys, for offline verification",
)
def site_keys(request, site_id: RowId):
    site = _gate_site(request, site_id, "access.view_pass")
    return [
        {"kid": kid, "public_key": key}
        for kid, key in sorted(gate.site_public_keys(site.pk).items())
    ]


@router.get(
    "/sites/{site_id}/revoked",
    auth=DEVICE_OR_USER,
    response=list[RevokedOut],
    summary="Revoked passes not yet expired: the revocation list an offline device keeps",
)
def site_revoked(request, site_id: RowId):
    site = _gate_site(request, site_id, "access.view_pass")
    rows = gate.site_revoked_passes(site_id=site.pk, now=timezone.now())
    return [{"pass_id": pk, "revoked_at": at} for pk, at in rows]


def _pass_status(*, site: Site, token: str, now: datetime) -> dict:
    """Offline checks (signature, site, validity window), then what only the server
    knows: the pass row, its revocation and one-time use."""
    try:
        claims = passes.verify(
            token, public_keys=gate.site_public_keys(site.pk), site_id=site.pk, now=now
        )
    except passes.InvalidPass as exc:
        return {"valid": False, "status": exc.status}
    row = gate.site_pass(site_id=site.pk, pass_id=claims.pass_id)
    if row is None:
        return {"valid": False, "status": "unknown"}
    status = "valid"
    if row.revoked_at is not None and row.revoked_at <= now:
        status = "revoked"
    elif row.kind == Pass.Kind.VISITOR and row.used_at is not None:
        status = "used"
    elif now >= row.valid_until:
        status = "expired"
    return {
        "valid": status == "valid",
        "status": status,
        "pass_id": row.pk,
        "holder_name": row.holder_name,
        "valid_until": row.valid_until,
    }


# --- devices -----------------------------------------------------------------------------


class CheckpointOut(Schema):
    id: int
    company_id: int
    site_id: int
    name: str
    kind: str


class CheckpointFilter(Schema):
    site_id: RowId | None = None


class DeviceOut(Schema):
    id: int
    company_id: int
    site_id: int
    checkpoint_id: int | None = Field(description="None for a UV lamp or a drone.")
    name: str
    kind: str
    serial: str
    active: bool
    last_seen_at: datetime | None
    online: bool

    @staticmethod
    def resolve_online(obj) -> bool:
        return device_online(obj, timezone.now())


class DeviceCreatedOut(DeviceOut):
    token: str = Field(description="The device's token (fld_…): shown once, stored only as a hash.")


class DeviceIn(Schema):
    checkpoint_id: RowId
    name: str = Field(min_length=1, max_length=64)
    kind: Literal["face", "temperature", "qr", "plate", "turnstile"]
    serial: str = Field("", max_length=64)


class DeviceFilter(Schema):
    site_id: RowId | None = None
    checkpoint_id: RowId | None = None
    active: bool | None = None


class TokenOut(Schema):
    token: str


class HeartbeatOut(Schema):
    server_time: datetime
    device_id: int


router.scoped_list(
    "/checkpoints",
    Checkpoint,
    "access.manage_device",
    CheckpointOut,
    filters=CheckpointFilter,
    name="list_access_checkpoints",
)
router.scoped_list(
    "/devices",
    Device,
    "access.manage_device",
    DeviceOut,
    filters=DeviceFilter,
    name="list_access_devices",
    noun="gate devices",
)


@router.post(
    "/devices",
    response=DeviceCreatedOut,
    summary="Register a gate device (its token is shown once)",
)
def device_create(request, payload: DeviceIn):
    checkpoint = scoped_object(request, Checkpoint, "access.manage_device", payload.checkpoint_id)
    with validation_errors_as_422():
        device, raw = device_register(
            actor=request.user,
            checkpoint=checkpoint,
            name=payload.name,
            kind=payload.kind,
            serial=payload.serial,
        )
    device.token = raw
    return device


@router.post(
    "/devices/heartbeat", auth=DEVICE_ONLY, response=HeartbeatOut, summary="A device's sign of life"
)
def device_heartbeat_post(request):
    return {"server_time": device_heartbeat(device=request.device), "device_id": request.device.pk}


@router.post(
    "/devices/{pk}/rotate-token",
    response=TokenOut,
    summary="Give a device a new token (the old one stops)",
)
def device_token_rotate(request, pk: RowId):
    device = scoped_object(request, Device, "access.manage_device", pk)
    return {"token": device_rotate_token(actor=request.user, device=device)}


@router.post(
    "/devices/{pk}/deactivate",
    response=DeviceOut,
    summary="Switch a device off: its token is refused",
)
def device_switch_off(request, pk: RowId):
    device = scoped_object(request, Device, "access.manage_device", pk)
    with validation_errors_as_422():
        return device_deactivate(actor=request.user, device=device)


# --- Hikvision -------------------------------------------------------------------------------


class HikvisionAck(Schema):
    """ISAPI's ResponseStatus, plus the gate result when the notification was an access event."""

    requestURL: str  # ISAPI names
    statusCode: int
    statusString: str
    subStatusCode: str
    errorMsg: str | None = None
    event: EventOut | None = None


HIKVISION_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "description": "EventNotificationAlert (JSON)"}
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "AccessControllerEvent": {
                        "type": "string",
                        "description": "EventNotificationAlert JSON (or a part named event_log)",
                    },
                    "Picture": {"type": "string", "format": "binary", "description": "ignored"},
                },
            }
        },
    },
}


@router.post(
    "/devices/hikvision/event",
    auth=[DeviceTokenAuth(), DeviceTokenQuery()],
    response={200: HikvisionAck, 400: HikvisionAck},
    openapi_extra={"requestBody": HIKVISION_BODY},
    summary="Hikvision ISAPI access-control event notification (HTTP listening host)",
)
def hikvision_event(request):
    """Point the device's HTTP listening host here with ?token=<device token>.
    Access events are recorded like POST /events; other notifications (heartbeats,
    alarms, door status) are acknowledged and not recorded."""
    device = request.device
    try:
        event = hikvision.parse(hikvision.alert_from_request(request))
    except hikvision.NotAnAlert as exc:
        return Status(400, hikvision.ack(request.path, ok=False, message=str(exc)))
    if event is None:
        return Status(200, hikvision.ack(request.path))
    window = gate.device_time_window(timezone.now())
    if (refusal := gate.device_time_refusal(event.device_time, window)) is not None:
        return Status(400, hikvision.ack(request.path, ok=False, message=f"dateTime is {refusal}"))
    [result] = gate.events_record(
        site=device.site, inputs=[hikvision.gate_input(event, device=device)], device=device
    )
    return Status(200, {**hikvision.ack(request.path), "event": result})
