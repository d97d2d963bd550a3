"""The association's catalogue: a course saved, a lesson added (a video checked by
its bytes and size), a question added to a lesson's bank."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.training.models import (
    AuditAction,
    Course,
    Lesson,
    LessonProgress,
    LiveSession,
    Question,
    Registration,
)
from firstline.training.services.media import check_video

COURSE_FIELDS = (
    "title",
    "summary",
    "audience",
    "kind",
    "guide_url",
    "pass_mark",
    "questions_drawn",
    "max_attempts",
    "published",
)


@transaction.atomic
def course_save(*, actor, association_id: int, data: dict, course: Course | None = None) -> Course:
    course = course or Course(association_id=association_id)
    for name in COURSE_FIELDS:
        if name in data:
            setattr(course, name, data[name])
    if not 0 < course.pass_mark <= 100:
        raise ValidationError({"pass_mark": [_("及格分须在 1 到 100 之间。")]})
    if course.max_attempts < 1:
        raise ValidationError({"max_attempts": [_("至少可测验一次。")]})
    course.save()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=course,
        changes={"title": [None, course.title]},
    )
    return course


@transaction.atomic
def lesson_add(*, actor, course: Course, data: dict, video=None) -> Lesson:
    kind = data["kind"]
    if kind == Lesson.Kind.VIDEO and video is None:
        raise ValidationError({"video": [_("视频课时须上传视频文件。")]})
    if kind == Lesson.Kind.LIVE and not data.get("meeting_link"):
        raise ValidationError({"meeting_link": [_("直播课时须填写会议链接。")]})
    if video is not None:
        check_video(video)
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one position at a time
    last = Lesson.objects.filter(course=course).aggregate(n=Max("position"))["n"] or 0
    lesson = Lesson(
        course=course,
        position=last + 1,
        title=data["title"],
        kind=kind,
        meeting_link=data.get("meeting_link", ""),
        body=data.get("body", ""),
        duration_minutes=data.get("duration_minutes") or 10,
    )
    if video is not None:
        lesson.video.save(video.name[-80:], video, save=False)
    lesson.save()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=lesson,
        changes={"lesson": [None, lesson.title]},
    )
    return lesson


@transaction.atomic
def question_add(
    *, actor, lesson: Lesson, kind: str, text: str, options: list[str], answer: list[int]
) -> Question:
    options = _question_checked(kind, options, answer)
    question = Question.objects.create(
        lesson=lesson, kind=kind, text=text, options=options, answer=sorted(set(answer))
    )
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=question,
        changes={"question": [None, text]},
    )
    return question


@transaction.atomic
def lesson_edit(*, actor, lesson: Lesson, data: dict, video=None) -> Lesson:
    """The lesson's title, form, link, text and length; a new video replaces the old
    one. Its position and its learners' progress stay."""
    kind = data.get("kind", lesson.kind)
    if kind == Lesson.Kind.VIDEO and video is None and not lesson.video:
        raise ValidationError({"video": [_("视频课时须上传视频文件。")]})
    if kind == Lesson.Kind.LIVE and not data.get("meeting_link", lesson.meeting_link):
        raise ValidationError({"meeting_link": [_("直播课时须填写会议链接。")]})
    if video is not None:
        check_video(video)
    before = lesson.title
    for name in ("title", "kind", "meeting_link", "body", "duration_minutes"):
        if data.get(name) is not None:
            setattr(lesson, name, data[name])
    if video is not None:
        lesson.video.save(video.name[-80:], video, save=False)
    lesson.save()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=lesson,
        changes={"lesson": [before, lesson.title]},
    )
    return lesson


@transaction.atomic
def lesson_delete(*, actor, lesson: Lesson) -> None:
    """Only a lesson nobody has started: once a learner has progress on it, deleting
    it would lose that progress (and change what completes the course), so it is
    refused with a message; the lesson is edited instead."""
    Course.objects.select_for_update().filter(pk=lesson.course_id).first()
    if LessonProgress.all_tenants.filter(lesson=lesson).exists():
        raise ValidationError(
            {"lesson": [_("已有学员学习这节课时，不能删除（以免丢失学习进度）；请修改它。")]}
        )
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=lesson,
        changes={"lesson": [lesson.title, None]},
    )
    course_id, position = lesson.course_id, lesson.position
    lesson.delete()
    for later in Lesson.objects.filter(course_id=course_id, position__gt=position).order_by(
        "position"
    ):
        later.position -= 1
        later.save(update_fields=["position"])


def _question_checked(kind: str, options: list[str], answer: list[int]) -> list[str]:
    options = [o.strip() for o in options if o.strip()]
    if len(options) < 2:
        raise ValidationError({"options": [_("至少两个选项。")]})
    if not answer or any(not 0 <= i < len(options) for i in answer):
        raise ValidationError({"answer": [_("答案须是选项的序号。")]})
    if kind == Question.Kind.SINGLE and len(answer) != 1:
        raise ValidationError({"answer": [_("单选题只有一个答案。")]})
    return options


@transaction.atomic
def question_edit(
    *, actor, question: Question, kind: str, text: str, options: list[str], answer: list[int]
) -> Question:
    """Attempts already made keep the questions they were given (stored with them)."""
    question.options = _question_checked(kind, options, answer)
    before = question.text
    question.kind, question.text, question.answer = kind, text, sorted(set(answer))
    question.save()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=question,
        changes={"question": [before, text]},
    )
    return question


@transaction.atomic
def question_delete(*, actor, question: Question) -> None:
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=question,
        changes={"question": [question.text, None]},
    )
    question.delete()


def _session_checked(session: LiveSession) -> None:
    if session.starts_at is None or session.ends_at is None:
        raise ValidationError({"starts_at": [_("请填写开始和结束时间。")]})
    for name in ("starts_at", "ends_at"):
        moment = getattr(session, name)
        if not 2000 <= moment.year <= 2100:  # also keeps the conversion to UTC in range
            raise ValidationError({name: [_("时间须在 2000 到 2100 年之间。")]})
        if timezone.is_naive(moment):  # an API client's local time: the site's zone
            setattr(session, name, timezone.make_aware(moment))
    if session.meeting_link:
        try:
            URLValidator(schemes=["https", "http"])(session.meeting_link)
        except ValidationError:
            raise ValidationError({"meeting_link": [_("会议链接须是网址。")]}) from None
    if session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": [_("结束时间须晚于开始时间。")]})
    if not session.meeting_link and not session.place:
        raise ValidationError({"meeting_link": [_("请填写会议链接或线下地点。")]})
    if session.capacity < 1:
        raise ValidationError({"capacity": [_("名额至少为 1。")]})


@transaction.atomic
def session_save(
    *, actor, course: Course, data: dict, session: LiveSession | None = None
) -> LiveSession:
    """A live session scheduled or changed. The cap cannot go below the learners
    already registered (the row is locked as registration locks it)."""
    if session is None:
        session = LiveSession(course=course, checkin_code=secrets.token_hex(8))
    else:
        session = LiveSession.objects.select_for_update().get(pk=session.pk)
    for name in ("title", "starts_at", "ends_at", "capacity", "meeting_link", "place"):
        if name in data and data[name] is not None:
            setattr(session, name, data[name])
    _session_checked(session)
    if session.pk:
        taken = Registration.all_tenants.filter(session=session).count()
        if session.capacity < taken:
            raise ValidationError(
                {"capacity": [_("已有 %(n)d 人报名，名额不能少于此数。") % {"n": taken}]}
            )
    session.save()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=session,
        changes={"session": [None, session.title]},
    )
    return session


@transaction.atomic
def session_cancel(*, actor, session: LiveSession) -> int:
    """The session is removed with its registrations (the audit row keeps it).
    Returns how many registrations went with it."""
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": [_("已结束的直播课不能取消。")]})
    taken = Registration.all_tenants.filter(session=session).count()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.COURSE_SAVE,
        obj=session,
        changes={"session": [session.title, None], "registrations": [taken, 0]},
    )
    Registration.all_tenants.filter(session=session).delete()
    session.delete()
    return taken
