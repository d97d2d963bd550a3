"""The device registry: tokens, heartbeats, online status, and the device API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.access.models import AuditAction, Checkpoint, Device
from firstline.access.services import devices
from firstline.core.api import token_hash
from firstline.core.models import AuditEvent
from firstline.testing.world import PASSWORD, Tenant


@dataclass
class Gate:
    checkpoint: Checkpoint
    device: Device
    token: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def make_gate(tenant: Tenant, *, name: str = "南门") -> Gate:
    """A checkpoint of the tenant's site with one registered temperature gate."""
    checkpoint = Checkpoint.all_tenants.create(company=tenant.company, site=tenant.site, name=name)
    device, token = devices.device_register(
        actor=None,
        checkpoint=checkpoint,
        name=f"{name}测温门",
        kind="temperature",
        serial=f"DS-K1T671-{tenant.site.pk}",
    )
    return Gate(checkpoint, device, token)


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_register_returns_the_token_once_and_stores_only_its_hash(world):
    checkpoint = Checkpoint.all_tenants.create(
        company=world.a.company, site=world.a.site, name="北门"
    )
    admin = world.a.users["company_admin"]

    device, raw = devices.device_register(
        actor=admin, checkpoint=checkpoint, name=" 北门闸机 ", kind="turnstile", serial="SN1"
    )

    stored = Device.all_tenants.get(pk=device.pk)
    assert raw.startswith("fld_") and len(raw) > 40
    assert (stored.token_hash, stored.name, stored.company_id, stored.site_id) == (
        token_hash(raw),
        "北门闸机",
        world.a.company.pk,
        world.a.site.pk,
    )
    assert raw not in str(Device.all_tenants.filter(pk=device.pk).values().get())
    audit = AuditEvent.objects.get(object_type="access.device")
    assert (audit.action, audit.actor_id, audit.object_id) == (
        AuditAction.DEVICE_REGISTER,
        admin.pk,
        str(device.pk),
    )


def test_register_refuses_an_unknown_kind_and_stores_nothing(world):
    checkpoint = Checkpoint.all_tenants.create(
        company=world.a.company, site=world.a.site, name="北门"
    )
    with pytest.raises(ValidationError) as exc:
        devices.device_register(actor=None, checkpoint=checkpoint, name="x", kind="toaster")
    assert list(exc.value.message_dict) == ["kind"]
    assert Device.all_tenants.count() == 0


def test_rotating_the_token_stops_the_old_one_at_once(world):
    gate = make_gate(world.a)
    assert devices.device_for_token(gate.token).pk == gate.device.pk  # now cached
    new = devices.device_rotate_token(actor=None, device=gate.device)
    assert devices.device_for_token(gate.token) is None
    assert devices.device_for_token(new).pk == gate.device.pk


def test_a_deactivated_device_or_a_user_token_is_no_device(world):
    gate = make_gate(world.a)
    assert devices.device_for_token(gate.token).pk == gate.device.pk  # now cached
    devices.device_deactivate(actor=None, device=gate.device)
    assert devices.device_for_token(gate.token) is None
    assert devices.device_for_token("fl_" + gate.token[4:]) is None  # a personal API token's prefix


def test_a_token_is_looked_up_once_per_cache_period(world, django_assert_num_queries):
    gate = make_gate(world.a)
    with django_assert_num_queries(1):
        for _ in range(3):
            assert devices.device_for_token(gate.token).pk == gate.device.pk


def test_heartbeat_and_online_status(world):
    gate = make_gate(world.a)
    now = timezone.now()
    assert devices.device_online(gate.device, now) is False

    devices.device_heartbeat(device=gate.device, now=now)

    stored = Device.all_tenants.get(pk=gate.device.pk)
    assert stored.last_seen_at == now
    assert devices.device_online(stored, now + timedelta(seconds=Device.ONLINE_SECONDS)) is True
    assert (
        devices.device_online(stored, now + timedelta(seconds=Device.ONLINE_SECONDS + 1)) is False
    )


def test_any_device_request_marks_it_seen_at_most_every_30_seconds(
    world, django_assert_num_queries
):
    gate = make_gate(world.a)
    now = timezone.now()
    devices.device_seen(device=gate.device, now=now)
    with django_assert_num_queries(0):
        devices.device_seen(device=gate.device, now=now + timedelta(seconds=29))
    devices.device_seen(device=gate.device, now=now + timedelta(seconds=31))
    assert Device.all_tenants.get(pk=gate.device.pk).last_seen_at == now + timedelta(seconds=31)


# --- the API --------------------------------------------------------------------------------


def test_api_register_lists_and_heartbeats(client, world):
    checkpoint = Checkpoint.all_tenants.create(
        company=world.a.company, site=world.a.site, name="东门"
    )
    login(client, world.a.users["site_manager"])

    created = client.post(
        "/api/v1/access/devices",
        {
            "checkpoint_id": checkpoint.pk,
            "name": "东门人脸机",
            "kind": "face",
            "serial": "DS-K1T341",
        },
        content_type="application/json",
    )
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["token"].startswith("fld_")
    assert (body["site_id"], body["checkpoint_id"], body["online"], body["last_seen_at"]) == (
        world.a.site.pk,
        checkpoint.pk,
        False,
        None,
    )
    client.logout()

    beat = client.post(
        "/api/v1/access/devices/heartbeat", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert beat.status_code == 200
    assert beat.json()["device_id"] == body["id"]

    login(client, world.a.users["site_manager"])
    [listed] = client.get("/api/v1/access/devices").json()["items"]
    assert (listed["id"], listed["online"]) == (body["id"], True)
    assert "token" not in listed and "token_hash" not in listed


def test_api_register_needs_the_right_and_the_checkpoint_in_scope(client, world):
    a_checkpoint = Checkpoint.all_tenants.create(
        company=world.a.company, site=world.a.site, name="东门"
    )
    payload = {"checkpoint_id": a_checkpoint.pk, "name": "x", "kind": "qr"}

    login(client, world.a.users["guard"])  # guards check people in; they do not register devices
    assert (
        client.post("/api/v1/access/devices", payload, content_type="application/json").status_code
        == 403
    )
    client.logout()
    login(client, world.b.users["company_admin"])
    assert (
        client.post("/api/v1/access/devices", payload, content_type="application/json").status_code
        == 404
    )
    assert Device.all_tenants.count() == 0


def test_heartbeat_is_for_devices_only(client, world):
    login(client, world.a.users["site_manager"])
    assert client.post("/api/v1/access/devices/heartbeat").status_code == 401


def test_api_rotate_and_deactivate(client, world):
    gate = make_gate(world.a)
    login(client, world.a.users["company_admin"])

    rotated = client.post(f"/api/v1/access/devices/{gate.device.pk}/rotate-token")
    assert rotated.status_code == 200
    new_token = rotated.json()["token"]
    client.logout()
    assert client.post("/api/v1/access/devices/heartbeat", headers=gate.auth).status_code == 401
    assert (
        client.post(
            "/api/v1/access/devices/heartbeat", headers={"Authorization": f"Bearer {new_token}"}
        ).status_code
        == 200
    )

    login(client, world.a.users["company_admin"])
    off = client.post(f"/api/v1/access/devices/{gate.device.pk}/deactivate")
    assert (off.status_code, off.json()["active"]) == (200, False)
    again = client.post(f"/api/v1/access/devices/{gate.device.pk}/deactivate")
    assert (again.status_code, again.json()) == (
        422,
        {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", "payload", "active"],
                    "msg": "该设备已停用。",
                }
            ]
        },
    )
    client.logout()
    assert (
        client.post(
            "/api/v1/access/devices/heartbeat", headers={"Authorization": f"Bearer {new_token}"}
        ).status_code
        == 401
    )
