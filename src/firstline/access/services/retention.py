"""The gate's retention purge. A gate event names a person, the moment they passed
and often their temperature: whereabouts and health data, which DESIGN.md keeps only
for a retention period (settings.GATE_RETENTION_DAYS). Visitors and deliveries name
people too.

What goes, once older than the retention period:
- gate events, by the time they happened (device time), with their acknowledged
  alerts and finished follow-ups. An event whose alert is still unacknowledged or
  whose follow-up is still open stays until that work is done: the purge never
  takes a case from under the officer;
- visitors expected before the cutoff day, and visitor passes that expired before it;
- deliveries dropped before the cutoff.

Events inside any site's outing-quota period are never deleted, whatever the setting:
the quota counts them (services._outings), and deleting them would let a household go
out again. Events go in chunks, each in its own transaction, so a large purge holds
no long lock and the gates keep recording while it runs.

On PostgreSQL the event table is partitioned by month of device time
(core/partitions.py): a month wholly before the cutoff is detached and dropped, in
milliseconds whatever its size, after its events with open work are put back (they
land in the DEFAULT partition) and the alerts and follow-ups of the others deleted.
What is left before the cutoff (the cutoff's own month, DEFAULT, SQLite) is deleted
row by row as above."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from firstline.access.models import (
    AccessEvent,
    AccessPolicy,
    Alert,
    Delivery,
    FollowUp,
    Pass,
    Visitor,
)
from firstline.core import partitions

CHUNK = 20_000


@dataclass
class GatePurgeResult:
    cutoff: datetime
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)
    months: list[partitions.Dropped] = field(default_factory=list)  # PostgreSQL

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def gate_cutoff(retention_days: int, now: datetime) -> datetime:
    """The moment before which gate rows go: the retention period, or the longest
    outing-quota period of any policy (plus a day for its calendar edges) if longer."""
    if retention_days < 1:
        raise ValueError("retention must be at least one day")
    longest = AccessPolicy.all_tenants.aggregate(days=Max("outing_period_days"))["days"] or 0
    return now - timedelta(days=max(retention_days, longest + 1))


def _old_events(cutoff: datetime) -> QuerySet:
    """Events older than the cutoff whose alerts and follow-ups are all dealt with."""
    open_alert = Alert.all_tenants.filter(event_id=OuterRef("pk"), acknowledged_at__isnull=True)
    open_follow_up = FollowUp.all_tenants.filter(
        event_id=OuterRef("pk"), status=FollowUp.Status.OPEN
    )
    return (
        AccessEvent.all_tenants.filter(device_time__lt=cutoff)
        .exclude(Exists(open_alert))
        .exclude(Exists(open_follow_up))
    )


def _without_children(events: QuerySet) -> QuerySet:
    return events.exclude(Exists(Alert.all_tenants.filter(event_id=OuterRef("pk")))).exclude(
        Exists(FollowUp.all_tenants.filter(event_id=OuterRef("pk")))
    )


def _any_of(subquery: QuerySet) -> tuple[str, tuple]:
    """`= ANY(ARRAY(…))` on PostgreSQL: the subquery runs once and its ids are looked up
    by index. As `IN (…)`, PostgreSQL hashed the subquery and scanned the whole event
    table for every chunk. SQLite plans `IN (…)` that way by itself."""
    sql, params = subquery.query.sql_with_params()
    if connection.vendor == "postgresql":
        return f"= ANY(ARRAY({sql}))", params
    return f"IN ({sql})", params


def _delete_chunk(events: QuerySet, deleted: dict[str, int], cutoff: datetime) -> int:
    """One transaction: the alerts and follow-ups of the first CHUNK events, then the
    first CHUNK events left with none; returns how many events went.

    Three DELETEs with subqueries, in the (company, site, device_time) index's order,
    and no ids through Python: Django's delete() would load every event to look for
    cascades, and 20,000 ids as parameters cost more than the deleting. An alert
    acknowledged meanwhile leaves its event for the next chunk instead of failing the
    foreign key."""
    first = events.order_by("device_time").values("pk")[:CHUNK]
    childless = _without_children(events).order_by("device_time").values("pk")[:CHUNK]
    # The events' own DELETE also bounds their time: on PostgreSQL it then probes
    # only the partitions before the cutoff, not every month's index for each id.
    steps = (
        ("alerts", Alert, "event_id", first, "", []),
        ("follow_ups", FollowUp, "event_id", first, "", []),
        ("events", AccessEvent, "id", childless, " AND device_time < %s", [cutoff]),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for name, model, column, subquery, bound, bound_params in steps:
            condition, params = _any_of(subquery)
            # Table and column names from the models; values only as parameters.
            sql = f"DELETE FROM {model._meta.db_table} WHERE {column} {condition}{bound}"  # noqa: S608
            cursor.execute(sql, [*params, *bound_params])
            count = cursor.rowcount  # read before the cursor closes (psycopg: -1 after)
            deleted[name] += count
    return count  # the events'


def _keep_open_work(cursor, month: str, *, deleted: dict[str, int]) -> int:
    """With a month's events detached: put back those whose alert or follow-up is still
    open, delete the alerts and follow-ups of the rest; returns how many were kept.
    Both look events up from the (few) alerts and follow-ups by the month's primary
    key, never reading the month through. Names from the models; values parameters."""
    alerts, follow_ups = Alert._meta.db_table, FollowUp._meta.db_table
    open_work = (
        f"SELECT event_id FROM {alerts} WHERE acknowledged_at IS NULL"  # noqa: S608
        f" UNION SELECT event_id FROM {follow_ups} WHERE status = %s"
    )
    kept = f"SELECT * FROM {month} WHERE id IN ({open_work})"  # noqa: S608
    cursor.execute(f"CREATE TEMP TABLE _kept ON COMMIT DROP AS {kept}", [FollowUp.Status.OPEN])
    for name, table in (("alerts", alerts), ("follow_ups", follow_ups)):
        of_month = f"SELECT 1 FROM {month} e WHERE e.id = c.event_id"  # noqa: S608
        cursor.execute(
            f"DELETE FROM {table} c WHERE EXISTS ({of_month})"  # noqa: S608
            " AND NOT EXISTS (SELECT 1 FROM _kept k WHERE k.id = c.event_id)"
        )
        deleted[name] += cursor.rowcount
    cursor.execute(f"INSERT INTO {AccessEvent._meta.db_table} SELECT * FROM _kept")  # noqa: S608
    count = cursor.rowcount
    cursor.execute("DROP TABLE _kept")
    return count


def _others(cutoff: datetime) -> dict[str, QuerySet]:
    """What goes beside the events, in deletion order (visitors before their passes)."""
    day = timezone.localdate(cutoff, timezone.get_default_timezone())
    return {
        "visitors": Visitor.all_tenants.filter(expected_on__lt=day),
        "visitor_passes": Pass.all_tenants.filter(kind=Pass.Kind.VISITOR, valid_until__lt=cutoff),
        "deliveries": Delivery.all_tenants.filter(dropped_at__lt=cutoff),
    }


def purge_gate_data(
    *, days: int | None = None, dry_run: bool = False, now: datetime | None = None
) -> GatePurgeResult:
    retention = settings.GATE_RETENTION_DAYS if days is None else days
    cutoff = gate_cutoff(retention, now or timezone.now())
    result = GatePurgeResult(cutoff=cutoff, dry_run=dry_run)
    events = _old_events(cutoff)
    if dry_run:
        ids = events.values("pk")
        result.deleted["alerts"] = Alert.all_tenants.filter(event_id__in=ids).count()
        result.deleted["follow_ups"] = FollowUp.all_tenants.filter(event_id__in=ids).count()
        result.deleted["events"] = events.count()
        for name, qs in _others(cutoff).items():
            result.deleted[name] = qs.count()
        return result
    result.deleted.update(alerts=0, follow_ups=0, events=0)
    result.months = partitions.drop_months_before(
        partitions.of("access.AccessEvent"),
        cutoff,
        keep=functools.partial(_keep_open_work, deleted=result.deleted),
    )
    # Site by site, so each chunk is found through the (company, site, device_time)
    # index instead of a scan past the rows already deleted; only the sites with events
    # left before the cutoff (after whole months went, few or none).
    old_sites = (
        AccessEvent.all_tenants.filter(device_time__lt=cutoff)
        .order_by("company_id", "site_id")
        .values_list("company_id", "site_id")
        .distinct()
    )
    for company_id, site_id in list(old_sites):
        of_site = events.filter(company_id=company_id, site_id=site_id)
        while _delete_chunk(of_site, result.deleted, cutoff) == CHUNK:
            pass  # a short chunk was the site's last
    with transaction.atomic():
        for name, qs in _others(cutoff).items():
            result.deleted[name] = qs.order_by().delete()[0]
    return result
