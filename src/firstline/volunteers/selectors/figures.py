"""The figures of the front line for a scope and a local day, and its alerts: what
the association's dashboard and the command centre (reports, the floor above) call.

    figures(scope, day)   people on duty, checks done and red, kit units and kit per
                          person-day, incidents, infections (reported: a number, or
                          None when no site reported), support tasks due/done/overdue,
                          medical waste handed over (kg), hours on duty
    points(scope, day)    the same day per hospital or isolation point (support tasks)
    alerts(scope)         open safety alerts (staff reds, support tasks overdue)
    overdue_tasks(scope)  support tasks past due, not handed over

A fixed number of queries whatever the size of the scope. Every read is scoped with
`volunteers.view_duty`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.utils import timezone

from firstline.core.scope import Scope
from firstline.volunteers.models import (
    Attendance,
    ExposureIncident,
    HealthCheck,
    InfectionReport,
    KitIssue,
    SafetyAlert,
    Shift,
    SupportTask,
)

DUTY = "volunteers.view_duty"
OPEN_STATES = (SupportTask.State.OPEN, SupportTask.State.HANDOVER)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _duty(scope: Scope) -> Scope:
    return scope.for_perm(DUTY)


def overdue_q(now: datetime | None = None) -> Q:
    return Q(state__in=OPEN_STATES, due_at__lt=now or timezone.now())


def with_overdue(tasks, now: datetime | None = None):
    return tasks.annotate(overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))


def figures(scope: Scope, day: date | None = None) -> dict:
    day = day or timezone.localdate()
    scope = _duty(scope)
    start, end = day_bounds(day)
    now = timezone.now()
    shifts = set(
        Shift.objects.for_scope(scope)
        .filter(state=Shift.State.PLANNED, starts_at__lt=end, ends_at__gt=start)
        .values_list("deployment_id", flat=True)
        .distinct()
    )
    present = set(
        Attendance.objects.for_scope(scope)
        .filter(check_in_at__lt=end)
        .filter(Q(check_out_at__isnull=True) | Q(check_out_at__gt=start))
        .values_list("deployment_id", flat=True)
        .distinct()
    )
    on_duty = len(shifts | present)
    checks = (
        HealthCheck.objects.for_scope(scope)
        .filter(day=day)
        .aggregate(done=Count("id"), red=Count("id", filter=Q(result=HealthCheck.Result.RED)))
    )
    kit = (
        KitIssue.objects.for_scope(scope)
        .filter(day=day)
        .aggregate(units=Sum("quantity"), people=Count("deployment_id", distinct=True))
    )
    incidents = ExposureIncident.objects.for_scope(scope).aggregate(
        today=Count("id", filter=Q(occurred_at__gte=start, occurred_at__lt=end)),
        open=Count("id", filter=Q(state=ExposureIncident.State.OPEN)),
    )
    infections = (
        InfectionReport.objects.for_scope(scope)
        .filter(day=day)
        .aggregate(total=Sum("infections"), sites=Count("id"))
    )
    tasks = SupportTask.objects.for_scope(scope).aggregate(
        due=Count("id", filter=Q(due_at__gte=start, due_at__lt=end)),
        done=Count("id", filter=Q(done_at__gte=start, done_at__lt=end)),
        overdue=Count("id", filter=overdue_q(now)),
        waste=Sum(
            "weight_kg",
            filter=Q(
                done_at__gte=start,
                done_at__lt=end,
                task_type__kind="medical_waste",
            ),
        ),
    )
    minutes = (
        Attendance.objects.for_scope(scope)
        .filter(check_out_at__gte=start, check_out_at__lt=end)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    units = kit["units"] or 0
    return {
        "day": day,
        "on_duty": on_duty,
        "checks_done": checks["done"],
        "checks_red": checks["red"],
        "checks_missing": max(on_duty - checks["done"], 0),
        "kit_units": units,
        "kit_per_person_day": round(units / on_duty, 2) if on_duty else None,
        "incidents": incidents["today"],
        "incidents_open": incidents["open"],
        # None: no site reported for the day; 0 is a reported zero.
        "infections": infections["total"] if infections["sites"] else None,
        "infection_reports": infections["sites"],
        "tasks_due": tasks["due"],
        "tasks_done": tasks["done"],
        "tasks_overdue": tasks["overdue"],
        "waste_kg": tasks["waste"] or Decimal("0"),
        "hours": round(minutes / 60, 1),
    }


def points(scope: Scope, day: date | None = None) -> list[dict]:
    """Per hospital or isolation point: support tasks due, done and overdue, medical
    waste handed over (kg) on the day; one grouped query."""
    day = day or timezone.localdate()
    start, end = day_bounds(day)
    now = timezone.now()
    rows = (
        SupportTask.objects.for_scope(_duty(scope))
        .filter(
            Q(due_at__gte=start, due_at__lt=end)
            | Q(done_at__gte=start, done_at__lt=end)
            | overdue_q(now)
        )
        .values("site_id", "site__name", "site__site_type")
        .annotate(
            due=Count("id", filter=Q(due_at__gte=start, due_at__lt=end)),
            done=Count("id", filter=Q(done_at__gte=start, done_at__lt=end)),
            overdue=Count("id", filter=overdue_q(now)),
            waste=Sum(
                "weight_kg",
                filter=Q(done_at__gte=start, done_at__lt=end, task_type__kind="medical_waste"),
            ),
        )
        .order_by("site__name", "site_id")
    )
    return [
        {
            "site_id": r["site_id"],
            "site_name": r["site__name"],
            "site_type": r["site__site_type"],
            "due": r["due"],
            "done": r["done"],
            "overdue": r["overdue"],
            "waste_kg": r["waste"] or Decimal("0"),
        }
        for r in rows
    ]


def alerts(scope: Scope, *, limit: int = 50):
    """Open (unacknowledged) safety alerts, newest first: staff reds and support tasks
    overdue. A queryset of SafetyAlert (the AlertModel columns the command centre's
    feed reads: message, site, created_at, acknowledged_at, assigned_to)."""
    return (
        SafetyAlert.objects.for_scope(_duty(scope))
        .filter(acknowledged_at__isnull=True)
        .select_related("site")
        .order_by("-created_at", "-id")[:limit]
    )


def overdue_tasks(scope: Scope):
    return with_overdue(
        SupportTask.objects.for_scope(_duty(scope)).filter(overdue_q())
    ).select_related("site", "task_type")
