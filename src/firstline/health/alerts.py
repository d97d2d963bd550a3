"""Health alerts: raised by the isolation checks, the missed-check job and urgent
support requests; acknowledged by the health officer.

Raising goes through `alerts_raise`, an insert that ignores a (company, kind, key)
already stored: the same alert raised twice stays one row, so callers never need
to look first and the periodic job can run as often as the scheduler likes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from firstline.core.services import audit_record

from .models import HealthAlert

BATCH = 1000


def alerts_raise(alerts: list[HealthAlert]) -> int:
    """Insert the alerts not stored yet; returns how many were offered."""
    if alerts:
        HealthAlert.all_tenants.bulk_create(alerts, ignore_conflicts=True, batch_size=BATCH)
    return len(alerts)


def alert_acknowledge(*, actor, alert: HealthAlert) -> bool:
    """Mark an open alert seen. False (nothing written) when already acknowledged."""
    now = timezone.now()
    with transaction.atomic():
        updated = HealthAlert.all_tenants.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor, updated_at=now
        )
        if updated:
            audit_record(
                actor=actor,
                company_id=alert.company_id,
                action="acknowledge",
                obj=alert,
                changes={"acknowledged_at": [None, now.isoformat()]},
            )
    return bool(updated)


def alert_list(qs):
    """The alert list's joins: site and resident names, the acknowledger; open first."""
    return qs.select_related("site", "resident", "acknowledged_by").order_by(
        F("acknowledged_at").asc(nulls_first=True), "-created_at", "-id"
    )
