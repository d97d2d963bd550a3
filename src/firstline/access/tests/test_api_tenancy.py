"""Every access API endpoint through the shared tenancy checks (the ones that name
their site or resident in the body too), or, for the endpoints only a device calls,
checked explicitly."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from firstline.access.models import AccessEvent, Checkpoint, Device, Pass
from firstline.access.services import gate as gate_services
from firstline.access.tests.test_devices import login, make_gate
from firstline.testing.tenancy import Api, TenancyCases, api_paths


def _pass(tenant) -> Pass:
    return Pass.all_tenants.get(site=tenant.site)


def _device(tenant) -> Device:
    return Device.all_tenants.get(site=tenant.site)


def _event(tenant) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "direction": "in",
        "site_id": tenant.site.pk,
        "device_time": timezone.now().isoformat(),
    }


@pytest.fixture
def world(world):
    """The shared world, with a checkpoint, a device, a pass and an event at each of
    company a's sites and at b's first."""
    for tenant in (*world.a.corners, world.b):
        gate = make_gate(tenant)
        gate_services.pass_issue(actor=None, resident=tenant.residents[0])
        gate_services.events_record(
            site=tenant.site,
            device=gate.device,
            inputs=[
                gate_services.GateInput(
                    client_uuid=uuid.uuid4(),
                    direction="in",
                    device_time=timezone.now(),
                    resident_id=tenant.residents[0].pk,
                    checkpoint_id=gate.checkpoint.pk,
                )
            ],
        )
    return world


class TestAccessApiTenancy(TenancyCases):
    api = [
        Api("/api/v1/access/events", viewer="guard"),
        Api("/api/v1/access/passes", viewer="guard"),
        Api("/api/v1/access/devices", viewer="site_manager"),
        Api("/api/v1/access/checkpoints", viewer="site_manager"),
        Api("/api/v1/access/sites/{id}/keys", obj=lambda t: t.site, viewer="guard"),
        Api("/api/v1/access/sites/{id}/revoked", obj=lambda t: t.site, viewer="guard"),
        Api(
            "/api/v1/access/passes/{id}/revoke",
            obj=_pass,
            viewer="site_manager",
            method="post",
            body={"reason": "搬离"},
        ),
        Api(
            "/api/v1/access/devices/{id}/rotate-token",
            obj=_device,
            viewer="company_admin",
            method="post",
        ),
        Api(
            "/api/v1/access/devices/{id}/deactivate",
            obj=_device,
            viewer="company_admin",
            method="post",
        ),
        # The site or the resident named in the body.
        Api(
            "/api/v1/access/events",
            viewer="guard",
            site_role="guard",
            method="post",
            body=_event,
        ),
        Api(
            "/api/v1/access/events/batch",
            viewer="guard",
            site_role="guard",
            method="post",
            body=lambda t: {"site_id": t.site.pk, "events": [_event(t)]},
        ),
        Api(
            "/api/v1/access/passes/verify",
            viewer="guard",
            site_role="guard",
            method="post",
            body=lambda t: {"site_id": t.site.pk, "token": "FL1.x.y"},
        ),
        Api(
            "/api/v1/access/passes",
            viewer="site_manager",
            method="post",
            body=lambda t: {"resident_id": t.residents[1].pk},
        ),
        Api(
            "/api/v1/access/devices",
            method="post",
            body=lambda t: {
                "checkpoint_id": Checkpoint.all_tenants.get(site=t.site).pk,
                "name": "西门闸机",
                "kind": "turnstile",
            },
        ),
    ]
    explicit = {
        "POST /api/v1/access/devices/heartbeat": (
            "test_device_only_endpoints_refuse_users_and_strangers"
        ),
        "POST /api/v1/access/devices/hikvision/event": (
            "test_device_only_endpoints_refuse_users_and_strangers"
        ),
    }


def test_every_access_api_path_is_covered():
    paths = {p for p in api_paths() if p.startswith("/api/v1/access/")}
    covered = {
        e.path.replace("{id}", "{site_id}" if "/sites/" in e.path else "{pk}")
        for e in TestAccessApiTenancy.api
    }
    device_only = {op.split(" ")[1] for op in TestAccessApiTenancy.explicit}
    assert paths - covered - device_only == set()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/v1/access/events",
            lambda t: {
                "client_uuid": str(uuid.uuid4()),
                "direction": "in",
                "site_id": t.site.pk,
                "device_time": timezone.now().isoformat(),
            },
        ),
        ("/api/v1/access/events/batch", lambda t: {"site_id": t.site.pk, "events": []}),
        ("/api/v1/access/passes/verify", lambda t: {"site_id": t.site.pk, "token": "FL1.x.y"}),
    ],
)
def test_body_site_endpoints(client, world, path, body):
    """Anonymous → 401; a's guard on b's site → 404; a's guard on a's site → 200;
    and nothing is written by the refused ones."""
    before = AccessEvent.all_tenants.count()
    assert client.post(path, body(world.a), content_type="application/json").status_code == 401
    login(client, world.a.users["guard"])
    assert client.post(path, body(world.b), content_type="application/json").status_code == 404
    assert AccessEvent.all_tenants.count() == before
    assert client.post(path, body(world.a), content_type="application/json").status_code == 200


def test_device_only_endpoints_refuse_users_and_strangers(client, world):
    login(client, world.a.users["company_admin"])
    assert client.post("/api/v1/access/devices/heartbeat").status_code == 401
    assert (
        client.post(
            "/api/v1/access/devices/hikvision/event", {}, content_type="application/json"
        ).status_code
        == 401
    )
    client.logout()
    assert (
        client.post(
            "/api/v1/access/devices/hikvision/event?token=fld_nope",
            {},
            content_type="application/json",
        ).status_code
        == 401
    )
