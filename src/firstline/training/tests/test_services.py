"""The training services, given / when / then: enrolment (one, self, from a workbook,
all or nothing), lesson and quiz (score, pass mark, attempts), the certificate once
everything is passed, live-session cap and attendance, reminders once, video ranges."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from firstline.core.importing import ImportRejected
from firstline.core.models import AuditEvent
from firstline.estates.models import Staff
from firstline.testing.world import World
from firstline.training.models import (
    Certificate,
    Enrolment,
    LessonProgress,
    LiveSession,
    QuizAttempt,
    Registration,
)
from firstline.training.services import enrolment as enrolling
from firstline.training.services import learning, media, sessions
from firstline.training.tests.furnish import furnish

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def answers(progress, right: bool = True) -> dict[str, list[int]]:
    return {
        str(q.pk): (q.answer if right else [len(q.options) - 1])
        for q in learning.quiz_questions(progress)
    }


def test_enrolment_makes_a_progress_row_per_lesson_and_refuses_twice(world: World):
    admin = world.a.users["company_admin"]
    cleaner = Staff.all_tenants.create(
        company=world.a.company, site=world.a.site, name="保洁王", position="cleaner"
    )
    enrolment = enrolling.enrolment_create(
        actor=admin, staff=cleaner, course=world.training_management
    )
    assert (enrolment.company_id, enrolment.site_id, enrolment.state) == (
        world.a.company.pk,
        world.a.site.pk,
        Enrolment.State.ENROLLED,
    )
    assert LessonProgress.all_tenants.filter(enrolment=enrolment).count() == 1
    assert AuditEvent.objects.filter(action="training.enrol").count() == 1
    with pytest.raises(ValidationError) as exc:
        enrolling.enrolment_create(actor=admin, staff=cleaner, course=world.training_management)
    assert "staff" in exc.value.message_dict
    assert Enrolment.all_tenants.filter(staff=cleaner).count() == 1


def _workbook(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.title = "培训报名"
    ws.append(["员工编号", "姓名", "课程编号"])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_import_is_all_or_nothing_with_errors_by_row(world: World):
    admin = world.a.users["company_admin"]
    staff_qs = Staff.all_tenants.filter(company=world.a.company)
    courses = world.training_course.__class__.objects.all()
    course = world.training_management.pk
    bad = _workbook(
        [
            [world.a.staff.pk, world.a.staff.name, course],
            [world.b.staff.pk, world.b.staff.name, course],  # another company's
            [world.a.sibling.staff.pk, "别人", course],
        ]
    )
    with pytest.raises(ImportRejected) as exc:
        enrolling.enrolments_import(actor=admin, staff_qs=staff_qs, courses_qs=courses, path=bad)
    assert [(e.row, e.field) for e in exc.value.errors] == [(3, "员工编号"), (4, "姓名")]
    assert not Enrolment.all_tenants.filter(course_id=course).exists()
    good = _workbook(
        [
            [world.a.staff.pk, world.a.staff.name, course],
            [world.a.sibling.staff.pk, world.a.sibling.staff.name, course],
        ]
    )
    assert (
        enrolling.enrolments_import(actor=admin, staff_qs=staff_qs, courses_qs=courses, path=good)
        == 2
    )
    assert Enrolment.all_tenants.filter(course_id=course).count() == 2


def test_quiz_needs_the_lesson_scores_and_limits_attempts(world: World):
    guard = world.a.users["guard"]
    progress = world.a.progress
    with pytest.raises(ValidationError):
        learning.quiz_submit(actor=guard, progress=progress, answers={})
    learning.lesson_complete(actor=guard, progress=progress)
    first = learning.quiz_submit(actor=guard, progress=progress, answers=answers(progress, False))
    assert (first.attempt.score, first.attempt.passed, first.attempts_left) == (0, False, 1)
    assert first.certificate is None
    progress.refresh_from_db()
    second = learning.quiz_submit(actor=guard, progress=progress, answers=answers(progress))
    assert (second.attempt.score, second.attempt.passed, second.attempts_left) == (100, True, 0)
    enrolment = Enrolment.all_tenants.get(pk=world.a.enrolment.pk)
    assert enrolment.state == Enrolment.State.COMPLETED
    assert second.certificate == Certificate.all_tenants.get(enrolment=enrolment)
    assert len(second.certificate.code) == 12
    with pytest.raises(ValidationError):  # passed: no more attempts taken
        learning.quiz_submit(actor=guard, progress=progress, answers=answers(progress))
    assert QuizAttempt.all_tenants.filter(progress=progress).count() == 2


def test_no_attempts_left_after_the_maximum(world: World):
    guard = world.a.users["guard"]
    progress = world.a.progress
    learning.lesson_complete(actor=guard, progress=progress)
    for _ in range(2):
        progress.refresh_from_db()
        learning.quiz_submit(actor=guard, progress=progress, answers=answers(progress, False))
    progress.refresh_from_db()
    with pytest.raises(ValidationError):
        learning.quiz_submit(actor=guard, progress=progress, answers=answers(progress))
    assert not Certificate.all_tenants.exists()


def test_session_cap_and_attendance(world: World):
    LiveSession.objects.filter(pk=world.training_session.pk).update(capacity=4)
    cleaner = Staff.all_tenants.create(
        company=world.a.company, site=world.a.site, name="保洁王", position="cleaner"
    )
    enrolment = enrolling.enrolment_create(actor=None, staff=cleaner, course=world.training_course)
    with pytest.raises(ValidationError) as exc:  # the furnished four hold every seat
        sessions.session_register(actor=None, session=world.training_session, enrolment=enrolment)
    assert exc.value.message_dict == {"session": ["名额已满。"]}
    LiveSession.objects.filter(pk=world.training_session.pk).update(capacity=5)
    registration = sessions.session_register(
        actor=None, session=world.training_session, enrolment=enrolment
    )
    assert Registration.all_tenants.filter(session=world.training_session).count() == 5
    sessions.session_attend(actor=None, registration=registration)
    first = Registration.all_tenants.get(pk=registration.pk).attended_at
    sessions.session_attend(actor=None, registration=registration)
    assert Registration.all_tenants.get(pk=registration.pk).attended_at == first


def test_reminders_are_sent_once(world: World):
    guard = world.a.users["guard"]
    guard.email = "guard@example.org"
    guard.save()
    now = timezone.now()
    early = sessions.reminders_send(now=now - timedelta(days=2))
    assert early == {"reminded": 0, "mails": 0}
    assert sessions.reminders_send(now=now) == {"reminded": 4, "mails": 1}
    assert [m.to for m in mail.outbox] == [["guard@example.org"]]
    assert sessions.reminders_send(now=now) == {"reminded": 0, "mails": 0}
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("bytes=0-9", (0, 9)),
        ("bytes=90-", (90, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=95-200", (95, 99)),
        ("bytes=100-", False),
        ("bytes=5-2", None),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
    ],
)
def test_byte_range(header, expected):
    assert media.byte_range(header, 100) == expected


def test_video_upload_reads_the_type_from_the_bytes(world: World):
    fake = SimpleUploadedFile("lesson.mp4", b"not a video at all", content_type="video/mp4")
    with pytest.raises(ValidationError) as exc:
        media.check_video(fake)
    assert list(exc.value.message_dict) == ["video"]
    mp4 = SimpleUploadedFile(
        "lesson.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, content_type="video/mp4"
    )
    assert media.check_video(mp4) == "video/mp4"
