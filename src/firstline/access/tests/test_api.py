"""The access API: gate events (single and batch), the event list, passes and
their verification, as devices and users call them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, Checkpoint, FollowUp, Pass
from firstline.access.services import devices, passes
from firstline.access.services import gate as gate_services
from firstline.access.tests.test_devices import login, make_gate

EVENTS = "/api/v1/access/events"
BATCH = "/api/v1/access/events/batch"


@pytest.fixture
def gate(world):
    return make_gate(world.a)


def event(**overrides) -> dict:
    base = {
        "client_uuid": str(uuid.uuid4()),
        "direction": "in",
        "device_time": timezone.now().isoformat(),
        "temperature": 36.5,
    }
    return {**base, **overrides}


def post(client, url, body, headers=None):
    return client.post(url, body, content_type="application/json", headers=headers or {})


# --- single events --------------------------------------------------------------------------


def test_a_device_posts_an_event_and_it_is_stored(client, world, gate):
    resident = world.a.residents[0]
    body = event(site_id=world.a.site.pk, resident_id=resident.pk)

    response = post(client, EVENTS, body, gate.auth)

    assert response.status_code == 200, response.content
    stored = AccessEvent.all_tenants.get()
    assert response.json() == {
        "client_uuid": body["client_uuid"],
        "event_id": stored.pk,
        "decision": "admit",
        "reasons": ["核验通过"],
        "duplicate": False,
        "resident_name": resident.name,
        "household_label": "1栋1单元301",
    }
    assert (
        stored.device_id,
        stored.checkpoint_id,
        stored.resident_id,
        stored.temperature,
        stored.recorded_by_id,
    ) == (gate.device.pk, gate.checkpoint.pk, resident.pk, pytest.approx(36.5), None)


def test_a_fever_refers_and_alerts_the_site_manager(client, world, gate):
    resident = world.a.residents[1]
    response = post(
        client,
        EVENTS,
        event(site_id=world.a.site.pk, resident_id=resident.pk, temperature="38.26"),
        gate.auth,
    )

    assert response.status_code == 200
    assert (response.json()["decision"], response.json()["reasons"]) == (
        "refer",
        ["体温 38.3℃，达到或超过 37.3℃"],
    )
    alert = Alert.all_tenants.get()
    assert (alert.event_id, alert.message) == (
        response.json()["event_id"],
        f"{resident.name} 38.3℃",
    )
    assert FollowUp.all_tenants.get().resident_id == resident.pk


def test_a_replayed_event_is_acknowledged_and_not_stored_again(client, world, gate):
    body = event(site_id=world.a.site.pk, resident_id=world.a.residents[0].pk)
    first = post(client, EVENTS, body, gate.auth).json()
    again = post(client, EVENTS, body, gate.auth).json()
    assert AccessEvent.all_tenants.count() == 1
    assert (again["event_id"], again["decision"], again["duplicate"], first["duplicate"]) == (
        first["event_id"],
        "admit",
        True,
        False,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"device_time": "2020-02-14T08:00:00"},
            "device_time",
        ),  # naive: which zone was the device in?
        ({"direction": "sideways"}, "direction"),
        ({"temperature": 29.9}, "temperature"),
        ({"temperature": 45.1}, "temperature"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"temprature": 36.6}, "temprature"),  # a misspelt field is refused, not ignored
    ],
)
def test_a_malformed_event_is_refused_by_field_and_nothing_stored(
    client, world, gate, change, field
):
    response = post(client, EVENTS, event(site_id=world.a.site.pk, **change), gate.auth)
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    assert AccessEvent.all_tenants.count() == 0


def test_a_checkpoint_of_another_site_is_refused(client, world, gate):
    other = make_gate(world.b).checkpoint
    response = post(
        client, EVENTS, event(site_id=world.a.site.pk, checkpoint_id=other.pk), gate.auth
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "checkpoint_id"]
    assert AccessEvent.all_tenants.count() == 0


def test_a_device_of_company_b_cannot_post_to_company_a(client, world, gate):
    b_gate = make_gate(world.b)
    single = post(
        client,
        EVENTS,
        event(site_id=world.a.site.pk, resident_id=world.a.residents[0].pk),
        b_gate.auth,
    )
    batch = post(client, BATCH, {"site_id": world.a.site.pk, "events": [event()]}, b_gate.auth)
    assert (single.status_code, batch.status_code) == (404, 404)
    assert AccessEvent.all_tenants.count() == 0


@pytest.mark.parametrize(
    ("role", "tenant", "status"),
    [
        ("guard", "a", 200),
        ("site_manager", "a", 200),
        ("guard", "b", 404),  # another company's site looks like no site
        ("cleaner", "a", 404),  # no check-in right at the site
        ("resident", "a", 404),
    ],
)
def test_users_post_events_to_sites_where_they_check_people_in(client, world, role, tenant, status):
    login(client, getattr(world, tenant).users[role])
    response = post(
        client, EVENTS, event(site_id=world.a.site.pk, resident_id=world.a.residents[0].pk)
    )
    assert response.status_code == status
    assert AccessEvent.all_tenants.count() == (1 if status == 200 else 0)
    if status == 200:
        stored = AccessEvent.all_tenants.get()
        assert (stored.recorded_by_id, stored.device_id) == (world.a.users[role].pk, None)


def test_a_device_cannot_read_events(client, world, gate):
    post(client, EVENTS, event(site_id=world.a.site.pk), gate.auth)
    assert client.get(EVENTS, headers=gate.auth).status_code == 401


# --- batches --------------------------------------------------------------------------------


def test_a_batch_reports_the_malformed_event_by_index_and_stores_the_others(client, world, gate):
    items = [
        event(resident_id=world.a.residents[0].pk),
        event(direction="sideways"),
        event(resident_id=world.a.residents[1].pk),
    ]

    response = post(client, BATCH, {"site_id": world.a.site.pk, "events": items}, gate.auth)

    assert response.status_code == 200
    body = response.json()
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "direction")]
    assert "'in' or 'out'" in body["errors"][0]["message"]
    assert [(r["index"], r["client_uuid"], r["duplicate"]) for r in body["results"]] == [
        (0, items[0]["client_uuid"], False),
        (2, items[2]["client_uuid"], False),
    ]
    assert sorted(
        str(u) for u in AccessEvent.all_tenants.values_list("client_uuid", flat=True)
    ) == sorted([items[0]["client_uuid"], items[2]["client_uuid"]])


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"device_time": "2020-02-14 08:00:00"}, "device_time"),
        ({"temperature": "hot"}, "temperature"),
        ({"resident_id": 0}, "resident_id"),
    ],
)
def test_batch_errors_name_the_field(client, world, gate, bad, field):
    body = {"site_id": world.a.site.pk, "events": [event(), event(**bad)]}
    response = post(client, BATCH, body, gate.auth).json()
    assert [(e["index"], e["field"]) for e in response["errors"]] == [(1, field)]
    assert AccessEvent.all_tenants.count() == 1


def test_a_batch_item_that_is_not_an_object_or_names_a_foreign_checkpoint(client, world, gate):
    foreign = make_gate(world.b).checkpoint
    body = {"site_id": world.a.site.pk, "events": ["in", event(checkpoint_id=foreign.pk), event()]}
    response = post(client, BATCH, body, gate.auth).json()
    assert [(e["index"], e["field"]) for e in response["errors"]] == [(0, ""), (1, "checkpoint_id")]
    assert [r["index"] for r in response["results"]] == [2]


def test_replaying_a_batch_stores_nothing_new(client, world, gate):
    body = {
        "site_id": world.a.site.pk,
        "events": [event(resident_id=world.a.residents[0].pk), event(), event(temperature=38.0)],
    }
    first = post(client, BATCH, body, gate.auth).json()
    rows = (
        AccessEvent.all_tenants.count(),
        Alert.all_tenants.count(),
        FollowUp.all_tenants.count(),
    )

    again = post(client, BATCH, body, gate.auth).json()

    assert rows == (3, 1, 1)
    assert (
        AccessEvent.all_tenants.count(),
        Alert.all_tenants.count(),
        FollowUp.all_tenants.count(),
    ) == rows
    assert [r["duplicate"] for r in again["results"]] == [True, True, True]
    assert [(r["event_id"], r["decision"]) for r in again["results"]] == [
        (r["event_id"], r["decision"]) for r in first["results"]
    ]


def test_a_batch_over_1000_is_refused_whole(client, world, gate):
    response = post(
        client,
        BATCH,
        {"site_id": world.a.site.pk, "events": [event() for _ in range(1001)]},
        gate.auth,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "events"]
    assert AccessEvent.all_tenants.count() == 0


def test_a_batch_of_1000_is_stored_with_a_fixed_number_of_queries(
    client, world, gate, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(devices, "CACHE_SECONDS", 0)  # count the device's own lookup too
    post(
        client, BATCH, {"site_id": world.a.site.pk, "events": [event()]}, gate.auth
    )  # the device is marked seen
    start = timezone.now() - timedelta(hours=1)
    items = [
        event(
            resident_id=world.a.residents[n % 2].pk,
            device_time=(start + timedelta(seconds=3 * n)).isoformat(),  # across 50 minutes
        )
        for n in range(1000)
    ]
    # device; the stored uuids, the policy stamps, the residents with their health
    # status (those three in one round trip on PostgreSQL); savepoint; insert; release
    with django_assert_num_queries(7):
        response = post(client, BATCH, {"site_id": world.a.site.pk, "events": items}, gate.auth)
    assert response.status_code == 200
    assert AccessEvent.all_tenants.count() == 1001


# --- the event list -------------------------------------------------------------------------


def test_event_list_is_newest_first_and_filters(client, world, gate):
    now, resident = timezone.now(), world.a.residents[0].pk
    items = [
        event(device_time=(now - timedelta(minutes=m)).isoformat(), temperature=t, direction=d,
              resident_id=resident)
        for m, t, d in [(3, 36.5, "in"), (1, 38.5, "in"), (2, 36.7, "out")]
    ]  # fmt: skip
    post(client, BATCH, {"site_id": world.a.site.pk, "events": items}, gate.auth)
    login(client, world.a.users["health_officer"])

    everything = client.get(EVENTS).json()
    referred = client.get(EVENTS, {"decision": "refer"}).json()
    going_out = client.get(EVENTS, {"direction": "out", "site_id": world.a.site.pk}).json()
    elsewhere = client.get(EVENTS, {"site_id": world.b.site.pk}).json()

    assert [e["client_uuid"] for e in everything["items"]] == [
        items[1]["client_uuid"],
        items[2]["client_uuid"],
        items[0]["client_uuid"],
    ]
    first = everything["items"][0]
    assert (first["temperature"], first["device_id"], first["checkpoint_id"], first["site_id"]) == (
        38.5,
        gate.device.pk,
        gate.checkpoint.pk,
        world.a.site.pk,
    )
    assert sorted(first) == sorted([
        "id", "company_id", "site_id", "client_uuid", "checkpoint_id", "device_id", "direction",
        "credential", "decision", "reasons", "pass_id", "resident_id", "household_id", "plate",
        "temperature", "policy_version", "device_time", "server_time",
    ])  # fmt: skip
    assert [e["client_uuid"] for e in referred["items"]] == [items[1]["client_uuid"]]
    assert [e["client_uuid"] for e in going_out["items"]] == [items[2]["client_uuid"]]
    assert elsewhere["items"] == []


# --- passes ---------------------------------------------------------------------------------


@pytest.fixture
def issued(client, world):
    login(client, world.a.users["site_manager"])
    response = post(client, "/api/v1/access/passes", {"resident_id": world.a.residents[0].pk})
    assert response.status_code == 200, response.content
    client.logout()
    return response.json()


def verify(client, site, token, headers):
    return post(
        client, "/api/v1/access/passes/verify", {"site_id": site.pk, "token": token}, headers
    )


def test_an_issued_pass_verifies_on_the_server_and_offline_with_the_published_keys(
    client, world, gate, issued
):
    assert (issued["holder_name"], issued["resident_id"]) == (
        world.a.residents[0].name,
        world.a.residents[0].pk,
    )

    online = verify(client, world.a.site, issued["token"], gate.auth).json()
    keys = client.get(f"/api/v1/access/sites/{world.a.site.pk}/keys", headers=gate.auth).json()
    claims = passes.verify(
        issued["token"],
        public_keys={k["kid"]: k["public_key"] for k in keys},
        site_id=world.a.site.pk,
        now=timezone.now(),
    )

    assert online == {
        "valid": True,
        "status": "valid",
        "pass_id": issued["id"],
        "holder_name": world.a.residents[0].name,
        "valid_until": online["valid_until"],
    }
    assert claims.pass_id == issued["id"]


def test_a_tampered_pass_is_not_valid(client, world, gate, issued):
    head, payload, signature = issued["token"].split(".")
    forged = passes.b64e(passes.b64d(payload).replace(b'"p":', b'"p":9'))
    response = verify(client, world.a.site, f"{head}.{forged}.{signature}", gate.auth)
    assert response.json() == {
        "valid": False,
        "status": "unknown",
        "pass_id": None,
        "holder_name": None,
        "valid_until": None,
    }


def test_a_revoked_pass_is_not_valid(client, world, gate, issued):
    login(client, world.a.users["site_manager"])
    revoked = post(client, f"/api/v1/access/passes/{issued['id']}/revoke", {"reason": "搬离小区"})
    client.logout()

    response = verify(client, world.a.site, issued["token"], gate.auth).json()
    revocations = client.get(
        f"/api/v1/access/sites/{world.a.site.pk}/revoked", headers=gate.auth
    ).json()

    assert (revoked.status_code, revoked.json()["revoked_reason"]) == (200, "搬离小区")
    assert (response["valid"], response["status"], response["pass_id"]) == (
        False,
        "revoked",
        issued["id"],
    )
    assert [r["pass_id"] for r in revocations] == [issued["id"]]


def test_another_sites_pass_and_another_companys_device(client, world, gate, issued):
    b_gate = make_gate(world.b)
    assert (
        verify(client, world.b.site, issued["token"], b_gate.auth).json()["status"] == "other_site"
    )
    assert verify(client, world.a.site, issued["token"], b_gate.auth).status_code == 404
    assert (
        client.get(f"/api/v1/access/sites/{world.a.site.pk}/keys", headers=b_gate.auth).status_code
        == 404
    )


def test_issuing_and_revoking_need_the_right(client, world, issued):
    login(client, world.a.users["guard"])
    assert (
        post(client, "/api/v1/access/passes", {"resident_id": world.a.residents[1].pk}).status_code
        == 403
    )
    assert (
        post(client, f"/api/v1/access/passes/{issued['id']}/revoke", {"reason": "x"}).status_code
        == 403
    )
    client.logout()
    login(client, world.b.users["company_admin"])
    assert (
        post(client, "/api/v1/access/passes", {"resident_id": world.a.residents[1].pk}).status_code
        == 404
    )
    assert (
        post(client, f"/api/v1/access/passes/{issued['id']}/revoke", {"reason": "x"}).status_code
        == 404
    )
    assert list(Pass.all_tenants.values_list("pk", "revoked_at")) == [(issued["id"], None)]


def test_a_scanned_pass_posted_by_the_device_admits(client, world, gate, issued):
    response = post(
        client, EVENTS, event(site_id=world.a.site.pk, token=issued["token"]), gate.auth
    ).json()
    stored = AccessEvent.all_tenants.get()
    assert (response["decision"], stored.pass_ref_id, stored.credential) == (
        "admit",
        issued["id"],
        "pass",
    )


def test_a_visitor_pass_verifies_once_used(client, world, gate):
    visitor = gate_services.pass_issue_visitor(
        actor=None,
        household=world.a.household,
        name="访客王",
        day_start=timezone.now() - timedelta(hours=1),
    )
    token = gate_services.pass_token(visitor)
    post(client, EVENTS, event(site_id=world.a.site.pk, token=token), gate.auth)
    assert verify(client, world.a.site, token, gate.auth).json()["status"] == "used"


def test_checkpoints_are_listed_for_device_set_up(client, world, gate):
    Checkpoint.all_tenants.create(company=world.a.company, site=world.a.site, name="北门")
    login(client, world.a.users["company_admin"])
    names = [c["name"] for c in client.get("/api/v1/access/checkpoints").json()["items"]]
    assert names == ["北门", "南门"]


@pytest.mark.parametrize("path", [EVENTS, "/api/v1/access/passes", "/api/v1/access/devices"])
def test_lists_run_a_fixed_number_of_queries(client, world, gate, path):
    login(client, world.a.users["company_admin"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = queries()
    post(
        client,
        BATCH,
        {"site_id": world.a.site.pk, "events": [event() for _ in range(30)]},
        gate.auth,
    )
    for n in range(30):
        gate_services.pass_issue_visitor(
            actor=None, household=world.a.household, name=f"访客{n}", day_start=timezone.now()
        )
        make_gate(world.a, name=f"门{n}")
    assert queries() == few
