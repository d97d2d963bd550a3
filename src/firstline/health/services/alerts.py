"""Health alerts: raised by the isolation checks, the missed-check job and urgent
support requests; acknowledged by the health officer.

Raising goes through `alerts_raise`, an insert that ignores a (company, kind, key)
already stored: the same alert raised twice stays one row, so callers never need
to look first and the periodic job can run as often as the scheduler likes."""

from __future__ import annotations

from django.db.models import F

# Acknowledging is the same for every alert model: one conditional update and its
# audit row, in core. Re-exported so the health pages and API call it from here.
from firstline.core.services import alert_acknowledge  # noqa: F401
from firstline.health.models import HealthAlert

BATCH = 1000


def alerts_raise(alerts: list[HealthAlert]) -> int:
    """Insert the alerts not stored yet; returns how many were offered."""
    if alerts:
        HealthAlert.all_tenants.bulk_create(alerts, ignore_conflicts=True, batch_size=BATCH)
    return len(alerts)


def alert_list(qs):
    """The alert list's joins: site and resident names, the acknowledger; open first."""
    return qs.select_related("site", "resident", "acknowledged_by").order_by(
        F("acknowledged_at").asc(nulls_first=True), "-created_at", "-id"
    )
