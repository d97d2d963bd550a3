"""The retention purge: health data is deleted a configurable number of days
(settings.HEALTH_RETENTION_DAYS) after it stops being needed, and the per-day counts
survive it.

What goes, once older than the retention period:
- declarations that are no longer a resident's current one (their places go with
  them), and consents no declaration refers to any more;
- isolation cases released that long ago, with their checks and alerts;
- support requests done or cancelled that long ago (their proof photos are deleted
  from storage after the commit);
- follow-up calls of screening work items closed that long ago;
- vulnerable-resident check calls;
- acknowledged alerts not tied to a case (urgent support, red screening);
- the record of text messages sent (masked phone, purpose, the provider's answer): it
  is kept for disputes and the provider's bill, not for ever. A notice's link to its
  message falls to empty; the notice keeps its own counts.

On PostgreSQL the isolation checks are partitioned by month (core/partitions.py):
a month wholly before the cutoff is detached and dropped, its checks of cases not
purged now (still open, or released since the cutoff) first put back. The rest goes
row by row, as on SQLite.

Before deleting, every (site, day) the doomed rows were counted on gets its
HealthDailyCount row if it has none yet, so the daily report keeps its figures.
Rows already counted are not recounted: an earlier purge may have deleted part of
what they counted."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from firstline.core import partitions
from firstline.health.models import (
    Consent,
    Declaration,
    FollowUpCall,
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    SmsMessage,
    SupportRequest,
    VulnerableCheck,
    WorkItem,
)
from firstline.health.services.daily import daily_counts_rollup


@dataclass
class PurgeResult:
    cutoff: object
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)
    days_counted: int = 0
    months: list[partitions.Dropped] = field(default_factory=list)  # PostgreSQL

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _local(dt) -> date:
    return timezone.localdate(dt, timezone.get_default_timezone())


def doomed(cutoff) -> dict[str, object]:
    """The querysets of what the purge deletes, in deletion order (children first)."""
    done = (SupportRequest.State.DONE, SupportRequest.State.CANCELLED)
    old_cases = IsolationCase.all_tenants.filter(
        state=IsolationCase.State.RELEASED, released_at__lt=cutoff
    )
    old_declarations = Declaration.all_tenants.filter(current=False, submitted_at__lt=cutoff)
    return {
        "isolation_checks": IsolationCheck.all_tenants.filter(case__in=old_cases),
        "health_alerts": HealthAlert.all_tenants.filter(case__in=old_cases)
        | HealthAlert.all_tenants.filter(
            case__isnull=True, acknowledged_at__isnull=False, created_at__lt=cutoff
        ),
        "support_requests": SupportRequest.all_tenants.filter(
            state__in=done, updated_at__lt=cutoff
        ),
        "isolation_cases": old_cases,
        "declarations": old_declarations,
        "follow_up_calls": FollowUpCall.all_tenants.filter(
            work_item__state=WorkItem.State.CLOSED, work_item__closed_at__lt=cutoff
        ),
        "vulnerable_checks": VulnerableCheck.all_tenants.filter(called_at__lt=cutoff),
        "sms_messages": SmsMessage.all_tenants.filter(created_at__lt=cutoff),
    }


def _touched_days(cutoff) -> tuple[set[date], set[int]]:
    """The local days (and sites) the doomed rows are counted on in HealthDailyCount."""
    days: set[date] = set()
    sites: set[int] = set()
    parts = doomed(cutoff)
    for site_id, at in parts["declarations"].values_list("site_id", "submitted_at"):
        sites.add(site_id)
        days.add(_local(at))
    for site_id, start, released in parts["isolation_cases"].values_list(
        "site_id", "start_date", "released_at"
    ):
        sites.add(site_id)
        day, last = start, _local(released)
        while day <= last:  # counted as active on every day of the case
            days.add(day)
            day += timedelta(days=1)
    for site_id, day in parts["isolation_checks"].values_list("site_id", "day"):
        sites.add(site_id)
        days.add(day)
    for site_id, due in (
        parts["health_alerts"].filter(due_at__isnull=False).values_list("site_id", "due_at")
    ):
        sites.add(site_id)
        days.add(_local(due))
    for site_id, requested, done_at in parts["support_requests"].values_list(
        "site_id", "requested_at", "done_at"
    ):
        sites.add(site_id)
        days.add(_local(requested))
        if done_at:
            days.add(_local(done_at))
    return days, sites


def purge_health_data(*, days: int | None = None, dry_run: bool = False, now=None) -> PurgeResult:
    retention = settings.HEALTH_RETENTION_DAYS if days is None else days
    if retention < 1:
        raise ValueError("retention must be at least one day")
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention)
    result = PurgeResult(cutoff=cutoff, dry_run=dry_run)
    if dry_run:
        for name, qs in doomed(cutoff).items():
            result.deleted[name] = qs.count()
        result.deleted["consents"] = _orphan_consents(cutoff, exclude_doomed=True).count()
        return result
    with transaction.atomic():
        touched, sites = _touched_days(cutoff)
        result.days_counted = daily_counts_rollup(touched, site_ids=sites, only_missing=True)
        parts = doomed(cutoff)
        photos = [
            name
            for name in parts["support_requests"]
            .exclude(proof_photo="")
            .values_list("proof_photo", flat=True)
            if name
        ]
        # Inside the purge's transaction (after the roll-up above), so counts and drops
        # commit together; the detach's lock on the checks table is held until then,
        # which the nightly run at 03:00 can afford.
        result.deleted["isolation_checks"] = 0
        result.months = partitions.drop_months_before(
            partitions.of("health.IsolationCheck"),
            cutoff,
            keep=functools.partial(
                _keep_checks_of_kept_cases, cutoff=cutoff, deleted=result.deleted
            ),
        )
        for name, qs in parts.items():
            # Django's delete: cascades (places, checks) and SET NULLs (work items'
            # declaration, requests' case) are applied as the models declare them.
            result.deleted[name] = result.deleted.get(name, 0) + qs.order_by().delete()[0]
        result.deleted["consents"] = _orphan_consents(cutoff).order_by().delete()[0]
        transaction.on_commit(lambda: _delete_files(photos))
    return result


def _keep_checks_of_kept_cases(cursor, month: str, *, cutoff, deleted: dict[str, int]) -> int:
    """With a month of checks detached: put back those of cases this purge keeps (not
    released before the cutoff) and count the rest as deleted; returns how many were
    kept. Names from the models; values parameters."""
    checks, cases = IsolationCheck._meta.db_table, IsolationCase._meta.db_table
    cursor.execute(f"SELECT count(*) FROM {month}")  # noqa: S608
    rows = cursor.fetchone()[0]
    cursor.execute(
        f"INSERT INTO {checks} SELECT m.* FROM {month} m WHERE NOT EXISTS"  # noqa: S608
        f" (SELECT 1 FROM {cases} c WHERE c.id = m.case_id AND c.state = %s"
        " AND c.released_at < %s)",
        [IsolationCase.State.RELEASED, cutoff],
    )
    kept = cursor.rowcount
    deleted["isolation_checks"] += rows - kept
    return kept


def _orphan_consents(cutoff, *, exclude_doomed: bool = False):
    """Consents older than the cutoff that no (remaining) declaration refers to."""
    refs = Declaration.all_tenants.filter(consent_id=OuterRef("pk"))
    if exclude_doomed:
        refs = refs.exclude(current=False, submitted_at__lt=cutoff)
    return Consent.all_tenants.filter(given_at__lt=cutoff).exclude(Exists(refs))


def _delete_files(names: list[str]) -> None:
    field = SupportRequest._meta.get_field("proof_photo")
    for name in names:
        field.storage.delete(name)
