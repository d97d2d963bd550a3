"""Enrolling staff in a course: one by one (company admin or site manager, for staff
their scope reaches), from a workbook (all rows or none, every problem named by row),
or oneself (a login that is a Staff row). Every lesson's progress row is made with the
enrolment, so a learner's lesson pages exist from the start."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.core.importing import (
    Column,
    RowError,
    SheetSpec,
    cell_text,
    read_sheet,
    rejected,
    template_workbook,
)
from firstline.core.services import audit_record
from firstline.estates.models import Staff
from firstline.training.models import AuditAction, Course, Enrolment, Lesson, LessonProgress

MAX_ROWS = 2_000
SHEET = SheetSpec(
    name="培训报名",
    columns=(
        Column("员工编号", "staff_id", "Staff number (as on the staff list)", 12),
        Column("姓名", "name", "Name, as a check", 12),
        Column("课程编号", "course_id", "Course number", 10),
    ),
    notes={
        "staff_id": gettext_lazy("必填，员工名单上的编号"),
        "name": gettext_lazy("必填，须与编号对应的员工姓名一致"),
        "course_id": gettext_lazy("必填，课程列表上的编号"),
    },
)


def template() -> bytes:
    return template_workbook([SHEET], max_rows=MAX_ROWS)


def _create(*, actor, staff: Staff, course: Course) -> Enrolment:
    enrolment = Enrolment.all_tenants.create(
        company_id=staff.company_id,
        site_id=staff.site_id,
        staff=staff,
        course=course,
        enrolled_by=actor if getattr(actor, "pk", None) else None,
    )
    LessonProgress.all_tenants.bulk_create(
        LessonProgress(
            company_id=staff.company_id, site_id=staff.site_id, enrolment=enrolment, lesson=lesson
        )
        for lesson in Lesson.objects.filter(course=course).order_by("position")
    )
    return enrolment


def _check_course(course: Course) -> None:
    if not course.published:
        raise ValidationError({"course": [_("课程尚未发布。")]})


@transaction.atomic
def enrolment_create(*, actor, staff: Staff, course: Course) -> Enrolment:
    """`staff` was read in the caller's scope (training.enrol_staff or oneself)."""
    _check_course(course)
    if Enrolment.all_tenants.filter(
        company_id=staff.company_id, staff=staff, course=course
    ).exists():
        raise ValidationError({"staff": [_("该员工已报名这门课程。")]})
    try:
        with transaction.atomic():
            enrolment = _create(actor=actor, staff=staff, course=course)
    except IntegrityError:  # a concurrent enrolment of the same person
        raise ValidationError({"staff": [_("该员工已报名这门课程。")]}) from None
    audit_record(
        actor=actor,
        company_id=staff.company_id,
        action=AuditAction.ENROL,
        obj=enrolment,
        changes={"course": [None, course.title], "staff": [None, staff.name]},
    )
    return enrolment


def enrolment_self(*, actor, course: Course) -> Enrolment:
    """A login that is a Staff row enrols itself."""
    staff = Staff.all_tenants.filter(user=actor).order_by("id").first()
    if staff is None:
        raise ValidationError({"course": [_("您的账号不是在册员工，请由单位为您报名。")]})
    return enrolment_create(actor=actor, staff=staff, course=course)


@transaction.atomic
def enrolments_import(*, actor, staff_qs, courses_qs, path: Path | str) -> int:
    """`staff_qs` and `courses_qs`: what the caller's scope reaches. One bad row and
    nothing is written. Returns the enrolments made."""
    rows = read_sheet(path, SHEET, max_rows=MAX_ROWS)
    errors: list[RowError] = []
    wanted: list[tuple[int, int, int, str]] = []
    for number, raw in rows:
        text = {k: cell_text(v) for k, v in raw.items()}
        ids = {}
        for field in ("staff_id", "course_id"):
            if not text[field].isdigit() or len(text[field]) > 12:
                errors.append(RowError(number, SHEET.header_of[field], _("须为编号（数字）")))
            else:
                ids[field] = int(text[field])
        if len(ids) == 2:
            wanted.append((number, ids["staff_id"], ids["course_id"], text["name"]))
    staff = staff_qs.in_bulk([w[1] for w in wanted])
    courses = courses_qs.filter(published=True).in_bulk([w[2] for w in wanted])
    taken = set(
        Enrolment.all_tenants.filter(staff_id__in=list(staff)).values_list("staff_id", "course_id")
    )
    seen: dict[tuple[int, int], int] = {}
    cleaned = []
    for number, staff_id, course_id, name in wanted:
        person, course = staff.get(staff_id), courses.get(course_id)
        if person is None:
            errors.append(RowError(number, "员工编号", _("不是您可报名的员工")))
        elif person.name != name:
            errors.append(RowError(number, "姓名", _("与员工编号不符")))
        if course is None:
            errors.append(RowError(number, "课程编号", _("没有这门已发布的课程")))
        if person is None or course is None or person.name != name:
            continue
        key = (staff_id, course_id)
        if key in seen:
            errors.append(RowError(number, "课程编号", _("与第 %(n)d 行重复") % {"n": seen[key]}))
        elif key in taken:
            errors.append(RowError(number, "课程编号", _("该员工已报名这门课程")))
        else:
            seen[key] = number
            cleaned.append((person, course))
    if errors:
        raise rejected(errors, [SHEET])
    if not cleaned:
        raise ValidationError({"file": _("文件中没有报名。")})
    for person, course in cleaned:
        _create(actor=actor, staff=person, course=course)
    for company_id in {p.company_id for p, _c in cleaned}:
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.ENROL_IMPORT,
            obj=cleaned[0][1],
            changes={"rows": [None, sum(1 for p, _c in cleaned if p.company_id == company_id)]},
        )
    return len(cleaned)
