"""Check-in and check-out by the site's QR code: only where and when deployed, once per
client UUID (a replay answers the original), with the phone's time (a scan made
offline and sent later keeps when it was made); hours add up."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from firstline.volunteers.models import Attendance, Scan
from firstline.volunteers.services.duty import site_token
from firstline.volunteers.services.safety import check_record
from firstline.volunteers.tests.furnish import furnish

pytestmark = pytest.mark.django_db
URL = "/api/v1/volunteers/scans"


@pytest.fixture
def world(world):
    return furnish(world)


def scan(client, token, kind, at=None, client_uuid=None):
    body = {"client_uuid": str(client_uuid or uuid.uuid4()), "token": token, "kind": kind}
    if at is not None:
        body["at"] = at.isoformat()
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_scan_only_where_deployed(client, world):
    t = world.a
    token = site_token(t.site)
    assert scan(client, token, "in").status_code == 401
    client.force_login(t.users["guard"])
    assert scan(client, token, "in").status_code == 403
    client.force_login(t.users["volunteer"])
    elsewhere = scan(client, site_token(world.b.site), "in")
    assert elsewhere.status_code == 422 and elsewhere.json()["detail"][0]["loc"][-1] == "token"
    assert scan(client, token[:-3] + "abc", "in").status_code == 422
    assert scan(client, token, "out").status_code == 422  # not checked in
    assert not Attendance.all_tenants.filter(
        deployment=t.deployment, check_out_at__isnull=True
    ).exists()

    # Offline: scanned two hours ago, sent now: the attendance keeps the scan's time.
    made = timezone.now() - timedelta(hours=2)
    first_uuid = uuid.uuid4()
    response = scan(client, token, "in", at=made, client_uuid=first_uuid)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["duplicate"] is False and body["site_id"] == t.site.pk
    attendance = Attendance.all_tenants.get(pk=body["attendance_id"])
    assert abs((attendance.check_in_at - made).total_seconds()) < 1
    assert attendance.shift_id == t.shift.pk
    # The queue replays it: stored once, the original answer.
    replay = scan(client, token, "in", at=timezone.now(), client_uuid=first_uuid)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.json()["attendance_id"] == attendance.pk
    assert Scan.objects.filter(client_uuid=first_uuid).count() == 1
    # Someone else's UUID: refused.
    client.force_login(t.sibling.users["volunteer"])
    assert scan(client, site_token(t.sibling.site), "in", client_uuid=first_uuid).status_code == 422
    client.force_login(t.users["volunteer"])

    out = scan(client, token, "out", at=made + timedelta(minutes=90))
    assert out.status_code == 200 and out.json()["hours"] == 1.5
    attendance.refresh_from_db()
    assert attendance.minutes == 90
    me = client.get("/api/v1/volunteers/me").json()
    assert me["hours"] == 9.5  # 8 h yesterday + 1.5 h now
    # A time in the future or a week old: refused.
    assert scan(client, token, "in", at=timezone.now() + timedelta(hours=1)).status_code == 422
    assert scan(client, token, "in", at=timezone.now() - timedelta(days=8)).status_code == 422


def test_a_red_check_refuses_the_check_in(client, world):
    t = world.a
    check_record(
        actor=None,
        deployment=t.deployment,
        temperature=__import__("decimal").Decimal("38.1"),
        symptoms=[],
    )
    client.force_login(t.users["volunteer"])
    response = scan(client, site_token(t.site), "in")
    assert response.status_code == 422
    assert "异常" in response.json()["detail"][0]["msg"]
    assert not Attendance.all_tenants.filter(
        deployment=t.deployment, check_out_at__isnull=True
    ).exists()
