"""Alerts of the three sources made directly for the command-centre tests, with the
time they were raised set explicitly (created_at is auto_now_add)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from itertools import count

from django.utils import timezone

from firstline.access.models import AccessEvent, Alert
from firstline.health.models import HealthAlert
from firstline.sanitation.models import OverdueAlert
from firstline.sanitation.tests.rows import make_area, make_entry, make_task

_serial = count(1)


def _at(alert, created_at: datetime | None):
    if created_at is not None:
        type(alert).all_tenants.filter(pk=alert.pk).update(created_at=created_at)
        alert.created_at = created_at
    return alert


def gate_alert(tenant, *, message=None, created_at=None) -> Alert:
    event = AccessEvent.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        client_uuid=uuid.uuid4(),
        direction="in",
        credential="lookup",
        decision="refer",
        resident=tenant.residents[0],
        temperature="37.9",
        device_time=timezone.now(),
    )
    alert = Alert.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        kind=Alert.Kind.FEVER,
        event=event,
        message=message or f"{tenant.residents[0].name} 体温 37.9℃",
    )
    return _at(alert, created_at)


def health_alert(tenant, *, kind=HealthAlert.Kind.MISSED_CHECK, message=None, created_at=None):
    alert = HealthAlert.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        kind=kind,
        key=f"k{next(_serial)}",
        resident=tenant.residents[1],
        message=message or f"{tenant.residents[1].name} 上午体温未上报",
    )
    return _at(alert, created_at)


def overdue_alert(tenant, *, message=None, created_at=None) -> OverdueAlert:
    n = next(_serial)
    area = make_area(tenant, f"{tenant.site.name}{n}号电梯")
    task = make_task(make_entry(area), slot=1, hour=8)
    alert = OverdueAlert.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        task=task,
        message=message or f"{area.name} 08:00 消毒未完成",
    )
    return _at(alert, created_at)


def one_of_each(tenant, *, start: datetime | None = None) -> list:
    """A gate, a health and an overdue alert, a minute apart (newest last)."""
    start = start or timezone.now() - timedelta(hours=1)
    return [
        gate_alert(tenant, created_at=start),
        health_alert(tenant, created_at=start + timedelta(minutes=1)),
        overdue_alert(tenant, created_at=start + timedelta(minutes=2)),
    ]
