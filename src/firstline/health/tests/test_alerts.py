"""Health alerts: raising is idempotent per (company, kind, key); acknowledging once."""

from __future__ import annotations

from firstline.health.models import HealthAlert
from firstline.health.services.alerts import alert_acknowledge, alerts_raise


def alert(tenant, key="1"):
    return HealthAlert(
        company_id=tenant.company.pk,
        site_id=tenant.site.pk,
        kind="urgent_support",
        key=key,
        message="求助",
    )


def test_raising_twice_keeps_one_row_per_company(world):
    alerts_raise([alert(world.a), alert(world.b)])
    alerts_raise([alert(world.a), alert(world.a, key="2")])
    assert HealthAlert.all_tenants.filter(company=world.a.company).count() == 2
    assert HealthAlert.all_tenants.filter(company=world.b.company).count() == 1


def test_acknowledge_once(world):
    alerts_raise([alert(world.a)])
    row = HealthAlert.all_tenants.get()
    user = world.a.users["health_officer"]
    assert alert_acknowledge(actor=user, alert=row) is True
    assert alert_acknowledge(actor=user, alert=row) is False
    row.refresh_from_db()
    assert row.acknowledged_by == user and row.acknowledged_at
