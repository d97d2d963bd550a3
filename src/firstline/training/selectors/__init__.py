"""Reads of the training app: the catalogue a user may take, a learner's own
enrolments, the roster of completions, the figures."""

from __future__ import annotations

from django.db.models import Count, Q

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Staff
from firstline.orgs.models import Membership
from firstline.training.models import (
    Course,
    Enrolment,
    LessonProgress,
    LiveSession,
    QuizAttempt,
)

LEARN = "training.learn"
ENROL = "training.enrol_staff"
PROGRESS = "training.view_progress"
FIGURES = "training.view_figures"
MANAGE = "training.manage_course"


def association_ids(scope: Scope) -> list[int]:
    """The associations whose catalogue this scope reaches: its association grants and
    the associations its companies are members of."""
    ids = set(scope.ids(Target.ASSOCIATION))
    if scope.company_ids:
        ids |= set(
            Membership.objects.filter(company_id__in=scope.company_ids).values_list(
                "association_id", flat=True
            )
        )
    return sorted(ids)


def courses(scope: Scope, *, published_only: bool = True):
    qs = Course.objects.filter(association_id__in=association_ids(scope))
    return qs.filter(published=True) if published_only else qs


def sessions(scope: Scope):
    return LiveSession.objects.filter(
        course__association_id__in=association_ids(scope)
    ).select_related("course")


def own(qs, user, path: str = "staff__user"):
    """A learner's own rows of a scoped queryset (a login learns its own enrolments)."""
    return qs.filter(**{path: user})


def my_enrolments(scope: Scope, user):
    return own(Enrolment.objects.for_scope(scope.for_perm(LEARN)), user).select_related(
        "course", "staff", "certificate"
    )


def my_progress(scope: Scope, user):
    return own(
        LessonProgress.objects.for_scope(scope.for_perm(LEARN)), user, "enrolment__staff__user"
    ).select_related("lesson", "enrolment__course", "enrolment__staff")


def roster_staff(scope: Scope, *, site_id: int | None = None, on_duty_only: bool = False):
    """The staff the scope reaches, on duty first (one site with `site_id`)."""
    staff = (
        Staff.objects.for_scope(scope)
        .select_related("site")
        .order_by("-on_duty", "site__name", "name", "id")
    )
    if site_id is not None:
        staff = staff.filter(site_id=site_id)
    if on_duty_only:
        staff = staff.filter(on_duty=True)
    return staff


def roster_rows(scope: Scope, staff) -> tuple[list, list]:
    """(front-line courses, [(staff, [enrolment or None per course])]) for these staff
    rows: two queries whatever their number."""
    staff = list(staff)
    frontline = list(courses(scope).filter(kind=Course.Kind.FRONTLINE).order_by("id"))
    enrolments = {
        (e.staff_id, e.course_id): e
        for e in Enrolment.objects.for_scope(scope).filter(
            staff_id__in=[s.pk for s in staff], course__in=frontline
        )
    }
    return frontline, [(s, [enrolments.get((s.pk, c.pk)) for c in frontline]) for s in staff]


def figures(scope: Scope) -> dict:
    """Enrolments, completions and quiz pass rates by course and by company (counts)."""
    enrolments = Enrolment.objects.for_scope(scope)
    attempts = QuizAttempt.objects.for_scope(scope)
    count = {
        "enrolments": Count("id"),
        "completed": Count("id", filter=Q(state=Enrolment.State.COMPLETED)),
    }
    by_course = list(
        enrolments.values("course_id", "course__title").annotate(**count).order_by("course_id")
    )
    by_company = list(
        enrolments.values("company_id", "company__name").annotate(**count).order_by("company_id")
    )
    quiz = {"attempts": Count("id"), "passed": Count("id", filter=Q(passed=True))}
    pass_course = {
        r["progress__enrolment__course_id"]: r
        for r in attempts.values("progress__enrolment__course_id").annotate(**quiz)
    }
    pass_company = {r["company_id"]: r for r in attempts.values("company_id").annotate(**quiz)}
    for rows, key, rates in (
        (by_course, "course_id", pass_course),
        (by_company, "company_id", pass_company),
    ):
        for row in rows:
            q = rates.get(row[key], {"attempts": 0, "passed": 0})
            row["attempts"] = q["attempts"]
            row["pass_rate"] = round(100 * q["passed"] / q["attempts"]) if q["attempts"] else None
    return {"by_course": by_course, "by_company": by_company}
