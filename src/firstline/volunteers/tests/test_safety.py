"""Staff safety: kit drawn from the site's stock through the supplies ledger (the
balance falls, the entries are there, the chain verifies and reconciles); a red daily
check takes the person off the next shifts and raises the alert; incidents; the
infection count is a reported number, never assumed."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from firstline.orgs.selectors import scope_for_user
from firstline.supplies.models import Balance, LedgerEntry, Location
from firstline.supplies.selectors.donations import reconciliation
from firstline.supplies.services import ledger
from firstline.supplies.tests.shipping import item
from firstline.volunteers.models import HealthCheck, KitIssue, SafetyAlert, Shift
from firstline.volunteers.selectors.figures import alerts, figures
from firstline.volunteers.tests.furnish import furnish, stock_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    return furnish(world)


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def site_balance(site, thing) -> int:
    return sum(
        Balance.all_tenants.filter(
            location__site_id=site.pk, location__kind=Location.Kind.SITE, item=thing
        ).values_list("quantity", flat=True)
    )


def test_kit_issued_lowers_site_stock_and_shows_in_ledger(client, world):
    t = world.a
    n95 = item()
    stock_site(world, t.site, n95, 100)
    assert site_balance(t.site, n95) == 100
    client.force_login(t.users["site_manager"])
    body = {
        "deployment_id": t.deployment.pk,
        "item_id": n95.pk,
        "quantity": 5,
        "shift_id": t.shift.pk,
    }
    response = post(client, "/api/v1/volunteers/kit", body)
    assert response.status_code == 200, response.content
    issue = KitIssue.all_tenants.get(pk=response.json()["id"])
    assert site_balance(t.site, n95) == 95
    entries = list(issue.entries.all())
    assert [e.kind for e in entries] == [LedgerEntry.Kind.CONSUME] and entries[0].quantity == 5
    assert f"#{issue.pk}" in entries[0].reason
    assert response.json()["ledger_seqs"] == [entries[0].seq]
    assert ledger.verify(world.association.pk) == [] and ledger.reconcile() == []
    # The site's ledger page lists it (the company's own entries).
    ids = LedgerEntry.objects.for_scope(scope_for_user(t.users["site_manager"])).values_list(
        "pk", flat=True
    )
    assert entries[0].pk in set(ids)
    # The coordinator's reconciliation shows the site's row at 95, no mismatch.
    report = reconciliation(scope_for_user(world.users["association_admin"]), world.association.pk)
    assert report["mismatches"] == [] and report["problems"] == []
    site_rows = [r for r in report["rows"] if r["location"] == t.site.name]
    assert [(r["cached"], r["summed"]) for r in site_rows] == [(95, 95)]
    # More than the site holds: refused, nothing written.
    too_many = post(client, "/api/v1/volunteers/kit", body | {"quantity": 96})
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"][-1] == "quantity"
    assert (
        site_balance(t.site, n95) == 95
        and KitIssue.all_tenants.filter(deployment=t.deployment).count() == 2
    )
    # Another site's person: 404, nothing written.
    other = post(
        client,
        "/api/v1/volunteers/kit",
        body | {"deployment_id": t.sibling.deployment.pk, "shift_id": None},
    )
    assert other.status_code == 404
    client.force_login(t.users["volunteer"])
    assert post(client, "/api/v1/volunteers/kit", body).status_code == 403
    assert site_balance(t.site, n95) == 95
    # Kit per person-day: 5 issued + 2 furnished, one person on duty at the site.
    client.force_login(t.users["site_manager"])
    f = client.get("/api/v1/volunteers/figures").json()["figures"]
    assert f["kit_units"] == 7 and f["kit_per_person_day"] == 7.0


def test_red_check_removes_next_shift_and_raises_alert(client, world):
    t = world.a
    now = timezone.now()
    tomorrow = Shift.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=t.deployment,
        starts_at=now + timedelta(hours=20),
        ends_at=now + timedelta(hours=28),
    )
    next_week = Shift.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=t.deployment,
        starts_at=now + timedelta(days=6),
        ends_at=now + timedelta(days=6, hours=8),
    )
    client.force_login(t.users["health_officer"])
    green = post(
        client,
        "/api/v1/volunteers/checks",
        {"deployment_id": t.sibling.deployment.pk, "temperature": "36.5"},
    )
    assert green.status_code == 404  # another site's person
    red = post(
        client,
        "/api/v1/volunteers/checks",
        {"deployment_id": t.deployment.pk, "temperature": "38.2", "symptoms": ["cough"]},
    )
    assert red.status_code == 200, red.content
    assert red.json()["result"] == "red" and red.json()["shifts_removed"] == 2
    tomorrow.refresh_from_db()
    next_week.refresh_from_db()
    t.shift.refresh_from_db()
    assert tomorrow.state == Shift.State.REMOVED and t.shift.state == Shift.State.REMOVED
    assert next_week.state == Shift.State.PLANNED  # beyond the next 72 hours
    alert = SafetyAlert.all_tenants.get(health_check_id=red.json()["id"])
    assert alert.kind == "red_check" and alert.site_id == t.site.pk
    assert t.volunteer.name not in alert.message and "38.2" in alert.message
    # The manager's alerts carry it; the other company's do not.

    assert alert in list(alerts(scope_for_user(t.users["site_manager"])))
    assert alert not in list(alerts(scope_for_user(world.b.users["company_admin"])))
    page = client.get("/volunteers/alerts/")
    assert page.status_code == 200 and "38.2" in page.content.decode()
    # One check a day.
    again = post(
        client,
        "/api/v1/volunteers/checks",
        {"deployment_id": t.deployment.pk, "temperature": "36.5"},
    )
    assert again.status_code == 422
    bad = post(
        client,
        "/api/v1/volunteers/checks",
        {"deployment_id": t.staff_deployment.pk, "temperature": "50"},
    )
    assert bad.status_code == 422
    f = figures(scope_for_user(t.users["site_manager"]))
    assert f["checks_red"] == 1 and f["checks_done"] == 2
    # The form page says what happened.
    client.force_login(t.users["site_manager"])
    page = client.post(
        "/volunteers/checks/new/",
        {"deployment": t.sibling.deployment.pk, "temperature": "36.5"},
    )
    assert page.status_code == 200  # not a choice at this site
    assert HealthCheck.all_tenants.filter(deployment=t.sibling.deployment).count() == 0


def test_infections_are_reported_not_assumed(client, world):
    from firstline.volunteers.models import InfectionReport

    InfectionReport.all_tenants.all().delete()
    scope = scope_for_user(world.a.users["site_manager"])
    assert figures(scope)["infections"] is None
    client.force_login(world.a.users["site_manager"])
    today = str(timezone.localdate())
    assert (
        post(
            client,
            "/api/v1/volunteers/infections",
            {"site_id": world.a.site.pk, "day": today, "infections": -1},
        ).status_code
        == 422
    )
    ok = post(
        client,
        "/api/v1/volunteers/infections",
        {"site_id": world.a.site.pk, "day": today, "infections": 0},
    )
    assert ok.status_code == 200
    assert figures(scope)["infections"] == 0 and figures(scope)["infection_reports"] == 1
    future = str(timezone.localdate() + timedelta(days=2))
    assert (
        post(
            client,
            "/api/v1/volunteers/infections",
            {"site_id": world.a.site.pk, "day": future, "infections": 0},
        ).status_code
        == 422
    )
    # The association reads its members' reports (a count, no person).
    assert figures(scope_for_user(world.users["association_admin"]))["infection_reports"] == 1


def test_incident_follow_up_and_close(client, world):
    t = world.a
    client.force_login(t.users["site_manager"])
    url = f"/api/v1/volunteers/incidents/{t.incident.pk}/follow-ups"
    assert (
        post(client, url, {"note": "结案", "outcome": "pending", "close": True}).status_code == 422
    )
    ok = post(
        client, url, {"note": "14天观察期满，核酸阴性", "outcome": "not_infected", "close": True}
    )
    assert ok.status_code == 200 and ok.json()["state"] == "closed"
    assert len(ok.json()["follow_ups"]) == 1
    assert post(client, url, {"note": "再跟进", "outcome": "not_infected"}).status_code == 422
    assert Decimal("1") == 1
