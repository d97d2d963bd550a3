"""Sanitation rows made directly for tests: areas, plan entries and tasks, without the
guide library, the plan services or the generator (another module's), so what a test
sees is exactly what it made. The cleaner's and the compliance tests build on these."""

from __future__ import annotations

import secrets
from datetime import datetime, time

from django.utils import timezone

from firstline.sanitation.models import Area, PlanEntry, Task


def make_area(tenant, name="1栋1号电梯", kind="lift", *, site=None, device=None) -> Area:
    """An area at the tenant's site, in its building; or at `site`, another site of the
    tenant's company, with no building."""
    site = site or tenant.site
    return Area.all_tenants.create(
        company_id=site.company_id,
        site=site,
        name=name,
        kind=kind,
        building=tenant.building if site == tenant.site else None,
        qr_token=secrets.token_hex(16),
        device=device,
    )


def make_entry(area: Area, code="lift-car", title="电梯轿厢及按钮消毒", times=3) -> PlanEntry:
    return PlanEntry.all_tenants.create(
        company_id=area.company_id,
        site_id=area.site_id,
        area=area,
        code=code,
        title=title,
        method="含氯消毒剂擦拭按钮及轿厢内壁",
        disinfectant="含氯消毒剂",
        concentration="500 mg/L",
        times_per_day=times,
    )


def at(day, hour: int, minute: int = 0) -> datetime:
    """That time of `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def make_task(entry: PlanEntry, day=None, slot=1, hour=10, *, due_at=None, **extra) -> Task:
    """One slot of the entry, due at `hour` of `day` (today) unless `due_at` says when.
    A task made done counts as the cleaner's unless `source` says otherwise."""
    day = day or timezone.localdate()
    if extra.get("state") == Task.State.DONE:
        extra.setdefault("source", Task.Source.CLEANER)
    return Task.all_tenants.create(
        company_id=entry.company_id,
        site_id=entry.site_id,
        entry=entry,
        area_id=entry.area_id,
        day=day,
        slot=slot,
        due_at=due_at or at(day, hour),
        **extra,
    )
