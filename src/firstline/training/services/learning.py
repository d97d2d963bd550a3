"""Learning: a lesson viewed and completed, its quiz drawn and submitted (score, pass
mark, attempts left), and the certificate issued when every lesson is completed and
every quiz passed. The caller read the progress row in the learner's scope."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.training.models import (
    AuditAction,
    Certificate,
    Enrolment,
    LessonProgress,
    Question,
    QuizAttempt,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


def quiz_questions(progress: LessonProgress) -> list[Question]:
    """The questions of this attempt: drawn from the lesson's bank, the same draw for
    the same attempt number (so a reload shows the same quiz)."""
    bank = list(Question.objects.filter(lesson_id=progress.lesson_id).order_by("id"))
    drawn = progress.enrolment.course.questions_drawn or len(bank)
    rng = random.Random(f"{progress.pk}:{progress.attempts}")
    return sorted(rng.sample(bank, min(drawn, len(bank))), key=lambda q: q.pk)


def attempts_left(progress: LessonProgress) -> int:
    return max(0, progress.enrolment.course.max_attempts - progress.attempts)


def _lock(progress: LessonProgress) -> LessonProgress:
    return (
        LessonProgress.all_tenants.select_for_update()
        .select_related("enrolment__course", "lesson")
        .get(pk=progress.pk)
    )


@transaction.atomic
def lesson_view(*, progress: LessonProgress) -> None:
    """The learner opened the lesson (first time only)."""
    LessonProgress.all_tenants.filter(pk=progress.pk, viewed_at__isnull=True).update(
        viewed_at=timezone.now()
    )


@transaction.atomic
def lesson_complete(*, actor, progress: LessonProgress) -> LessonProgress:
    progress = _lock(progress)
    if progress.completed_at is None:
        now = timezone.now()
        progress.viewed_at = progress.viewed_at or now
        progress.completed_at = now
        progress.save(update_fields=["viewed_at", "completed_at", "updated_at"])
        audit_record(
            actor=actor,
            company_id=progress.company_id,
            action=AuditAction.LESSON_COMPLETE,
            obj=progress,
        )
        _maybe_certify(actor=actor, enrolment_id=progress.enrolment_id, now=now)
    return progress


@dataclass(frozen=True)
class Outcome:
    attempt: QuizAttempt
    attempts_left: int
    certificate: Certificate | None


def _score(questions: list[Question], answers: dict[str, list[int]]) -> int:
    if not questions:
        return 100
    right = sum(1 for q in questions if sorted(answers.get(str(q.pk), [])) == sorted(q.answer))
    return round(100 * right / len(questions))


@transaction.atomic
def quiz_submit(*, actor, progress: LessonProgress, answers: dict[str, list[int]]) -> Outcome:
    """`answers` maps a question's id to the chosen option indexes. The lesson must be
    completed first; a passed quiz, or one without attempts left, takes no more."""
    progress = _lock(progress)
    course = progress.enrolment.course
    if progress.completed_at is None:
        raise ValidationError({"answers": [_("请先学完本课时再参加测验。")]})
    if progress.quiz_passed_at is not None:
        raise ValidationError({"answers": [_("本课时测验已通过。")]})
    if progress.attempts >= course.max_attempts:
        raise ValidationError({"answers": [_("测验次数已用完。")]})
    questions = quiz_questions(progress)
    asked = {str(q.pk) for q in questions}
    extra = set(answers) - asked
    if extra:
        raise ValidationError({"answers": [_("作答中有本次测验之外的题目。")]})
    for q in questions:
        chosen = answers.get(str(q.pk), [])
        if any(not isinstance(i, int) or not 0 <= i < len(q.options) for i in chosen):
            raise ValidationError({"answers": [_("选项超出范围：%(q)s") % {"q": q.text}]})
        if q.kind == Question.Kind.SINGLE and len(chosen) > 1:
            raise ValidationError({"answers": [_("单选题只能选一项：%(q)s") % {"q": q.text}]})
    score = _score(questions, answers)
    passed = score >= course.pass_mark
    now = timezone.now()
    attempt = QuizAttempt.all_tenants.create(
        company_id=progress.company_id,
        site_id=progress.site_id,
        progress=progress,
        questions=[q.pk for q in questions],
        answers={k: sorted(v) for k, v in answers.items()},
        score=score,
        passed=passed,
    )
    LessonProgress.all_tenants.filter(pk=progress.pk).update(
        attempts=F("attempts") + 1, quiz_passed_at=now if passed else None
    )
    progress.refresh_from_db()
    audit_record(
        actor=actor,
        company_id=progress.company_id,
        action=AuditAction.QUIZ_SUBMIT,
        obj=progress,
        changes={"score": [None, score], "passed": [None, passed]},
    )
    certificate = (
        _maybe_certify(actor=actor, enrolment_id=progress.enrolment_id, now=now) if passed else None
    )
    return Outcome(attempt, attempts_left(progress), certificate)


def _maybe_certify(*, actor, enrolment_id: int, now) -> Certificate | None:
    """Complete the enrolment and issue its certificate once every lesson is completed
    and every lesson with questions has its quiz passed."""
    enrolment = (
        Enrolment.all_tenants.select_for_update().select_related("course").get(pk=enrolment_id)
    )
    if enrolment.state == Enrolment.State.COMPLETED:
        return None
    with_quiz = set(
        Question.objects.filter(lesson__course_id=enrolment.course_id).values_list(
            "lesson_id", flat=True
        )
    )
    for row in LessonProgress.all_tenants.filter(enrolment_id=enrolment.pk):
        if row.completed_at is None or (row.lesson_id in with_quiz and row.quiz_passed_at is None):
            return None
    enrolment.state = Enrolment.State.COMPLETED
    enrolment.completed_at = now
    enrolment.save(update_fields=["state", "completed_at", "updated_at"])
    certificate = Certificate.all_tenants.create(
        company_id=enrolment.company_id,
        site_id=enrolment.site_id,
        enrolment=enrolment,
        code=new_code(),
        issued_at=now,
    )
    audit_record(
        actor=actor,
        company_id=enrolment.company_id,
        action=AuditAction.CERTIFICATE_ISSUE,
        obj=certificate,
        changes={"course": [None, enrolment.course.title]},
    )
    return certificate
