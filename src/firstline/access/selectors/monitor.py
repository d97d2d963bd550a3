"""Reads of the access monitoring pages: the gate log with its joins and filters,
alerts and follow-ups with theirs, and the day and quota figures of the statistics
page. Querysets come in already scoped; each function adds its joins or runs a
fixed number of aggregate queries, whatever the number of events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncHour
from django.utils import timezone

from firstline.access.models import AccessEvent, AccessPolicy, Decision, Direction, FollowUp
from firstline.access.services.decision import Rules, period_start

# What a log row shows; everything else (sealed blobs of the resident, audit columns) stays in the table.
LOG_FIELDS = (
    "company_id",
    "site_id",
    "checkpoint_id",
    "resident_id",
    "household_id",
    "pass_ref_id",
    "direction",
    "credential",
    "plate",
    "temperature",
    "decision",
    "reasons",
    "policy_version",
    "device_time",
    "site__name",
    "checkpoint__name",
    "resident__name",
    "pass_ref__holder_name",
    "household__unit",
    "household__room",
    "household__building__name",
)


def site_zone() -> tzinfo:
    """The time zone a site's days and hours are counted in. Sites keep no zone of
    their own: every one is in the platform's zone (settings.TIME_ZONE)."""
    return timezone.get_default_timezone()


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day, as aware datetimes."""
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- lists ---------------------------------------------------------------------------


def event_list(events: QuerySet) -> QuerySet:
    """Gate events, newest first, with what a row shows joined in the one query."""
    return (
        events.select_related("site", "checkpoint", "resident", "pass_ref", "household__building")
        .only(*LOG_FIELDS)
        .order_by("-device_time", "-id")
    )


def event_filter(
    events: QuerySet,
    *,
    site_id: int | None = None,
    decisions: tuple[str, ...] = (),
    direction: str = "",
    day: date | None = None,
) -> QuerySet:
    if site_id:
        events = events.filter(site_id=site_id)
    if decisions:
        events = events.filter(decision__in=decisions)
    if direction:
        events = events.filter(direction=direction)
    if day:
        start, end = day_bounds(day, site_zone())
        events = events.filter(device_time__gte=start, device_time__lt=end)
    return events


def decision_counts(events: QuerySet) -> dict[str, int]:
    """Events per decision: one GROUP BY query."""
    return dict(events.order_by().values_list("decision").annotate(n=Count("id")))


def alert_list(alerts: QuerySet) -> QuerySet:
    """Open alerts first, newest first within each group."""
    return (
        alerts.select_related("site", "event", "event__checkpoint", "acknowledged_by")
        .annotate(
            acknowledged=Case(
                When(acknowledged_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("acknowledged", "-created_at", "-id")
    )


def followup_list(followups: QuerySet) -> QuerySet:
    """Open items first, oldest open item first (it has waited longest)."""
    return (
        followups.select_related(
            "site", "event", "event__checkpoint", "resident", "resident__household__building"
        )
        .annotate(
            done=Case(
                When(status=FollowUp.Status.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("done", "created_at", "id")
    )


# --- the statistics page ------------------------------------------------------------------


@dataclass
class DayStats:
    """A site's gate on one local day: admitted entries and exits per hour, and the
    events not admitted (denied or referred) per hour, with the day's totals."""

    entries: list[int] = field(default_factory=lambda: [0] * 24)
    exits: list[int] = field(default_factory=lambda: [0] * 24)
    held: list[int] = field(default_factory=lambda: [0] * 24)
    by_decision: dict[str, int] = field(default_factory=dict)
    fevers: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_decision.values())

    @property
    def entries_total(self) -> int:
        return sum(self.entries)

    @property
    def exits_total(self) -> int:
        return sum(self.exits)


def day_stats(events: QuerySet, alerts: QuerySet, *, day: date) -> DayStats:
    """Two queries: one GROUP BY (local hour, direction, decision), one count of fever alerts."""
    zone = site_zone()
    start, end = day_bounds(day, zone)
    rows = (
        events.filter(device_time__gte=start, device_time__lt=end)
        .annotate(hour=TruncHour("device_time", tzinfo=zone))
        .order_by()
        .values_list("hour", "direction", "decision")
        .annotate(n=Count("id"))
    )
    stats = DayStats(by_decision={d: 0 for d in Decision.values})
    for hour, direction, decision, n in rows:
        h = timezone.localtime(hour, zone).hour
        stats.by_decision[decision] += n
        if decision != Decision.ADMIT:
            stats.held[h] += n
        elif direction == Direction.IN:
            stats.entries[h] += n
        else:
            stats.exits[h] += n
    stats.fevers = alerts.filter(event__device_time__gte=start, event__device_time__lt=end).count()
    return stats


@dataclass
class QuotaUse:
    """How a site's households stand against the outing quota in one period."""

    policy: AccessPolicy
    period_start: datetime
    period_end: datetime
    households: int  # households of the site
    out: int  # households that went out at least once in the period
    used_up: int  # households that reached the quota
    outings: int  # admitted exits counted against the quota

    @property
    def used_up_percent(self) -> int:
        return round(self.used_up * 100 / self.households) if self.households else 0

    @property
    def out_percent(self) -> int:
        return round(self.out * 100 / self.households) if self.households else 0


def quota_use(
    events: QuerySet, households: QuerySet, *, policy: AccessPolicy | None, at: datetime
) -> QuotaUse | None:
    """Households of one site against the quota of the policy in force at `at`, in the
    period containing it: one aggregate over the per-household counts, one count of
    households. None when the policy sets no quota."""
    if policy is None or policy.outing_quota is None:
        return None
    rules = Rules.from_policy(policy)
    start = period_start(rules, timezone.localtime(at, site_zone()))
    end = start + timedelta(days=rules.outing_period_days)
    # The same events the gate decision counts (services._outings): admitted exits on foot.
    per_household = (
        events.filter(
            direction=Direction.OUT,
            decision=Decision.ADMIT,
            household__isnull=False,
            device_time__gte=start,
            device_time__lt=end,
        )
        .exclude(credential=AccessEvent.Credential.PLATE)
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
    )
    figures = per_household.aggregate(
        out=Count("household_id"),
        outings=Sum("n"),
        used_up=Count("household_id", filter=Q(n__gte=policy.outing_quota)),
    )
    return QuotaUse(
        policy=policy,
        period_start=start,
        period_end=end,
        households=households.count(),
        out=figures["out"] or 0,
        used_up=figures["used_up"] or 0,
        outings=figures["outings"] or 0,
    )
