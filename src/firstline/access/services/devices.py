"""The gate-device registry: registering a device, its token, heartbeats, and
the API authentication that turns a device token into `request.device`.

A device token ("fld_…") is shown once, when the device is registered or its
token rotated; only its SHA-256 is stored (Device.token_hash). A device acts for
its own site only, and reads nothing: its request scope is empty, so every
scoped list answers it with nothing and every endpoint it may call checks
`device.site_id` itself.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyQuery, HttpBearer

from firstline.access.models import AuditAction, Checkpoint, Device
from firstline.core.api import token_hash
from firstline.core.scope import Scope
from firstline.core.services import audit_record

TOKEN_PREFIX = "fld_"  # noqa: S105 - a prefix, not a secret
# A device that reports (an event or a heartbeat) is marked seen at most this often:
# one UPDATE per device per interval, not one per event.
SEEN_EVERY = timedelta(seconds=30)
# A device posts many events a minute: its token is looked up once per CACHE_SECONDS
# per server process. A rotated or switched-off token is dropped at once in the
# process that changed it and within CACHE_SECONDS in the others.
CACHE_SECONDS = 5.0
CACHE_SIZE = 10_000
_by_token: dict[str, tuple[float, Device]] = {}


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def device_register(
    *, actor, checkpoint: Checkpoint, name: str, kind: str, serial: str = ""
) -> tuple[Device, str]:
    """A new device at `checkpoint`; returns it with its raw token (shown once)."""
    raw = _new_token()
    device = Device(
        company_id=checkpoint.company_id,
        site_id=checkpoint.site_id,
        checkpoint=checkpoint,
        name=name.strip(),
        kind=kind,
        serial=serial.strip(),
        token_hash=token_hash(raw),
    )
    device.full_clean(exclude=["company", "site", "checkpoint", "token_hash"])
    device.save()
    audit_record(
        actor=actor,
        company_id=device.company_id,
        action=AuditAction.DEVICE_REGISTER,
        obj=device,
        changes={
            "checkpoint": [None, checkpoint.pk],
            "name": [None, device.name],
            "kind": [None, kind],
            "serial": [None, device.serial],
        },
    )
    return device, raw


@transaction.atomic
def device_rotate_token(*, actor, device: Device) -> str:
    """A new token for `device`; the old one stops working at once."""
    raw = _new_token()
    Device.all_tenants.filter(pk=device.pk).update(token_hash=token_hash(raw))
    _forget(device.token_hash)
    device.token_hash = token_hash(raw)
    audit_record(
        actor=actor,
        company_id=device.company_id,
        action=AuditAction.DEVICE_ROTATE_TOKEN,
        obj=device,
    )
    return raw


@transaction.atomic
def device_deactivate(*, actor, device: Device) -> Device:
    """Switch a lost or retired device off: its token is refused from now on."""
    if not Device.all_tenants.filter(pk=device.pk, active=True).update(active=False):
        raise ValidationError({"active": _("该设备已停用。")})
    device.active = False
    _forget(device.token_hash)
    audit_record(
        actor=actor,
        company_id=device.company_id,
        action=AuditAction.DEVICE_DEACTIVATE,
        obj=device,
        changes={"active": [True, False]},
    )
    return device


def device_heartbeat(*, device: Device, now: datetime | None = None) -> datetime:
    """Record that the device is alive; one UPDATE, no read-modify-write."""
    now = now or timezone.now()
    Device.all_tenants.filter(pk=device.pk).update(last_seen_at=now)
    device.last_seen_at = now
    return now


def device_seen(*, device: Device, now: datetime | None = None) -> None:
    """Any authenticated request counts as a sign of life, at most once per SEEN_EVERY."""
    now = now or timezone.now()
    if device.last_seen_at is not None and now - device.last_seen_at < SEEN_EVERY:
        return
    # The condition makes concurrent requests of one device write once.
    Device.all_tenants.filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - SEEN_EVERY), pk=device.pk
    ).update(last_seen_at=now)
    device.last_seen_at = now


def device_online(device: Device, now: datetime) -> bool:
    """Online: heard from within Device.ONLINE_SECONDS."""
    return (
        device.last_seen_at is not None
        and (now - device.last_seen_at).total_seconds() <= Device.ONLINE_SECONDS
    )


def device_for_token(raw: str) -> Device | None:
    """The active device holding this token, with its site joined (events need it)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    digest = token_hash(raw)
    now = time.monotonic()
    hit = _by_token.get(digest)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    device = (
        Device.all_tenants.select_related("site").filter(token_hash=digest, active=True).first()
    )
    if device is None:
        _by_token.pop(digest, None)
        return None
    if len(_by_token) >= CACHE_SIZE:
        _by_token.clear()
    _by_token[digest] = (now, device)
    return device


def _forget(digest: str) -> None:
    _by_token.pop(digest, None)


def _authenticate(request: HttpRequest, raw: str) -> Device | None:
    device = device_for_token(raw)
    if device is None:
        return None
    device_seen(device=device)
    request.device = device
    # A device is no user: it reads no tenant lists, whatever the endpoint.
    request.scope = Scope.empty()
    return device


class DeviceTokenAuth(HttpBearer):
    """`Authorization: Bearer fld_…`: a gate device's own token."""

    openapi_description = "Gate device token (fld_…), issued when the device is registered."

    def authenticate(self, request: HttpRequest, token: str):
        return _authenticate(request, token)


class DeviceTokenQuery(APIKeyQuery):
    """`?token=fld_…`, for vendor devices whose push settings cannot add a header
    (Hikvision's HTTP listening host). Use it over HTTPS only: a URL is logged."""

    param_name = "token"
    openapi_description = (
        "Gate device token in the query string, for devices that cannot send headers."
    )

    def authenticate(self, request: HttpRequest, key: str | None):
        return _authenticate(request, key or "")
