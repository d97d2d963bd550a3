"""The test world furnished for training: the association's published front-line
course (one document lesson with two questions) and a management course, and at every
corner (a, a.sibling, b, b.sibling) its staff member (the guard on the staff list) has
the guard's login, is enrolled in the front-line course and holds a registration for an
upcoming online session. Rows are made directly; the services are tested on their own."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from firstline.estates.models import Staff
from firstline.testing.world import World
from firstline.training.models import (
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    LiveSession,
    Question,
    Registration,
)


def make_course(world: World, *, title: str = "门岗值守与人员排查", kind=Course.Kind.FRONTLINE):
    course = Course.objects.create(
        association=world.association,
        title=title,
        summary="小区封闭管理下的门岗值守",
        audience="门岗、保安",
        kind=kind,
        guide_url="/site/guides/residential/",
        pass_mark=50,
        questions_drawn=2,
        max_attempts=2,
        published=True,
    )
    lesson = Lesson.objects.create(
        course=course, position=1, title="测温与登记", kind=Lesson.Kind.DOCUMENT, body="逐人测温"
    )
    Question.objects.create(
        lesson=lesson, text="体温达到多少需复测？", options=["37.3℃", "36℃"], answer=[0]
    )
    Question.objects.create(
        lesson=lesson,
        kind=Question.Kind.MULTIPLE,
        text="进入小区须出示哪些？",
        options=["通行证", "健康码", "会员卡"],
        answer=[0, 1],
    )
    return course


def enrol(staff: Staff, course: Course) -> Enrolment:
    enrolment = Enrolment.all_tenants.create(
        company_id=staff.company_id, site_id=staff.site_id, staff=staff, course=course
    )
    for lesson in course.lessons.all():
        LessonProgress.all_tenants.create(
            company_id=staff.company_id, site_id=staff.site_id, enrolment=enrolment, lesson=lesson
        )
    return enrolment


def furnish(world: World) -> World:
    course = make_course(world)
    world.training_course = course
    world.training_management = make_course(
        world, title="疫情期间物业企业管理", kind=Course.Kind.MANAGEMENT
    )
    now = timezone.now()
    session = LiveSession.objects.create(
        course=course,
        title="门岗值守直播答疑",
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=3),
        capacity=10,
        meeting_link="https://meeting.example.org/j/123",
        checkin_code="T1",
    )
    world.training_session = session
    for corner in (world.a, world.a.sibling, world.b, world.b.sibling):
        Staff.all_tenants.filter(pk=corner.staff.pk).update(user=corner.users["guard"])
        corner.staff.user = corner.users["guard"]
        corner.training_management_id = world.training_management.pk
        corner.enrolment = enrol(corner.staff, course)
        corner.progress = corner.enrolment.progress.get()
        corner.registration = Registration.all_tenants.create(
            company_id=corner.company.pk,
            site_id=corner.site.pk,
            session=session,
            enrolment=corner.enrolment,
        )
    return world
