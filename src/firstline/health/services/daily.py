"""The per-site, per-day health counts (HealthDailyCount): what the daily report
reads, and what stays after the retention purge has deleted the rows counted.

Each figure is one aggregate query over the days asked for, grouped by site and
local day; the rows are then written with one upsert on (site, day)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from firstline.health.models import (
    Declaration,
    HealthAlert,
    HealthDailyCount,
    IsolationCase,
    IsolationCheck,
    Status,
    SupportRequest,
)

FIGURES = [
    "declarations",
    "green",
    "yellow",
    "red",
    "isolation_new",
    "isolation_active",
    "isolation_released",
    "checks",
    "missed_checks",
    "support_requested",
    "support_done",
]

Key = tuple[int, int, date]  # company_id, site_id, day


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _by_day(qs, field: str, first: date, last: date, site_ids, **extra):
    """Rows of `qs` whose datetime `field` falls in [first, last] (local days),
    counted per company, site and local day, with `extra` filtered counts."""
    qs = qs.filter(
        **{f"{field}__gte": start_of(first), f"{field}__lt": start_of(last + timedelta(days=1))}
    )
    if site_ids is not None:
        qs = qs.filter(site_id__in=sorted(site_ids))
    return (
        qs.annotate(d=TruncDate(field, tzinfo=timezone.get_default_timezone()))
        .order_by()
        .values("company_id", "site_id", "d")
        .annotate(n=Count("id"), **extra)
    )


def _by_date(qs, field: str, first: date, last: date, site_ids):
    qs = qs.filter(**{f"{field}__gte": first, f"{field}__lte": last})
    if site_ids is not None:
        qs = qs.filter(site_id__in=sorted(site_ids))
    return qs.order_by().values("company_id", "site_id", field).annotate(n=Count("id"))


def daily_counts_compute(days: Iterable[date], *, site_ids=None) -> dict[Key, dict[str, int]]:
    """{(company, site, day): {figure: count}} for the days given (only non-zero groups)."""
    days = sorted(set(days))
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    if not days:
        return {}
    first, last = days[0], days[-1]
    wanted = set(days)

    def put(row, day, **values):
        if day in wanted:
            out[(row["company_id"], row["site_id"], day)].update(values)

    for row in _by_day(
        Declaration.all_tenants,
        "submitted_at",
        first,
        last,
        site_ids,
        green=Count("id", filter=Q(status=Status.GREEN)),
        yellow=Count("id", filter=Q(status=Status.YELLOW)),
        red=Count("id", filter=Q(status=Status.RED)),
    ):
        put(
            row,
            row["d"],
            declarations=row["n"],
            green=row["green"],
            yellow=row["yellow"],
            red=row["red"],
        )
    for row in _by_date(IsolationCase.all_tenants, "start_date", first, last, site_ids):
        put(row, row["start_date"], isolation_new=row["n"])
    for row in _by_day(IsolationCase.all_tenants, "released_at", first, last, site_ids):
        put(row, row["d"], isolation_released=row["n"])
    for row in _by_date(IsolationCheck.all_tenants, "day", first, last, site_ids):
        put(row, row["day"], checks=row["n"])
    missed = HealthAlert.all_tenants.filter(kind=HealthAlert.Kind.MISSED_CHECK)
    for row in _by_day(missed, "due_at", first, last, site_ids):
        put(row, row["d"], missed_checks=row["n"])
    for row in _by_day(SupportRequest.all_tenants, "requested_at", first, last, site_ids):
        put(row, row["d"], support_requested=row["n"])
    for row in _by_day(SupportRequest.all_tenants, "done_at", first, last, site_ids):
        put(row, row["d"], support_done=row["n"])
    # Active at the end of the day: started by then, not released by then. A range
    # condition per day, so one grouped query per day asked for.
    for day in days:
        qs = IsolationCase.all_tenants.filter(start_date__lte=day).filter(
            Q(released_at__isnull=True) | Q(released_at__gte=start_of(day + timedelta(days=1)))
        )
        if site_ids is not None:
            qs = qs.filter(site_id__in=sorted(site_ids))
        for row in qs.order_by().values("company_id", "site_id").annotate(n=Count("id")):
            put(row, day, isolation_active=row["n"])
    return dict(out)


def daily_counts_rollup(days: Iterable[date], *, site_ids=None, only_missing: bool = False) -> int:
    """Write the counts of the days given: one upsert on (site, day). Rows already
    stored for those days are rewritten (a figure that fell to zero is stored as
    zero); with `only_missing`, stored rows are left as they are — the purge uses it
    so that counts taken before earlier purges are never recomputed smaller."""
    days = sorted(set(days))
    if not days:
        return 0
    counts = daily_counts_compute(days, site_ids=site_ids)
    stored = HealthDailyCount.all_tenants.filter(day__in=days)
    if site_ids is not None:
        stored = stored.filter(site_id__in=sorted(site_ids))
    existing = set(stored.values_list("company_id", "site_id", "day"))
    keys = set(counts) - existing if only_missing else set(counts) | existing
    rows = [
        HealthDailyCount(
            company_id=company_id,
            site_id=site_id,
            day=day,
            **counts.get((company_id, site_id, day), dict.fromkeys(FIGURES, 0)),
        )
        for company_id, site_id, day in sorted(keys)
    ]
    if rows:
        HealthDailyCount.all_tenants.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["site", "day"],
            update_fields=[*FIGURES, "updated_at"],
            batch_size=500,
        )
    return len(rows)
