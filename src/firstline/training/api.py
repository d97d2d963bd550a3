"""training API under /api/v1/training/: the catalogue, a learner's own enrolments,
lessons and quizzes, a company's enrolments, roster and figures, and the public
verification of a certificate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.db.models import Count
from django.http import Http404
from ninja import Field, Path, Status
from ninja.pagination import paginate

from firstline.core.api import (
    ROW_ID_MAX,
    Choice,
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.core.roles import Target
from firstline.estates.models import Staff
from firstline.orgs.api import AUTH
from firstline.training import selectors
from firstline.training.models import (
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    LiveSession,
    Question,
)
from firstline.training.selectors import ENROL, FIGURES, LEARN, MANAGE, PROGRESS, own
from firstline.training.services import courses as catalogue
from firstline.training.services import enrolment as enrolling
from firstline.training.services import learning
from firstline.training.services.certificates import certificate_verify

router = ScopedRouter(tags=["training"])
MAX_OPTIONS = 20  # options a question may have


class TrainingCourseOut(Schema):
    id: int
    association_id: int
    title: str
    summary: str
    audience: str
    kind: str
    guide_url: str
    pass_mark: int
    max_attempts: int


@router.get(
    "/courses",
    auth=AUTH,
    response=list[TrainingCourseOut],
    operation_id="list_training_courses",
    summary="List the published courses of one's association (paginated)",
)
@paginate(ScopedPagination)
def courses(request):
    scope = request.scope.for_any_perm(LEARN, ENROL, FIGURES)
    return selectors.courses(scope).order_by("id")


class TrainingEnrolmentOut(Schema):
    id: int
    company_id: int
    site_id: int
    staff_id: int
    staff_name: str = Field(alias="staff.name")
    course_id: int
    course_title: str = Field(alias="course.title")
    state: str
    completed_at: datetime | None


@router.get(
    "/my/enrolments",
    auth=AUTH,
    response=list[TrainingEnrolmentOut],
    operation_id="list_my_training_enrolments",
    summary="List one's own enrolments (a staff login; paginated)",
)
@paginate(ScopedPagination)
def my_enrolments(request):
    perm_scope(request, LEARN)
    return selectors.my_enrolments(request.scope, request.user).order_by("-id")


class TrainingProgressOut(Schema):
    id: int
    company_id: int
    site_id: int
    enrolment_id: int
    lesson_id: int
    lesson_title: str = Field(alias="lesson.title")
    viewed_at: datetime | None
    completed_at: datetime | None
    quiz_passed_at: datetime | None
    attempts: int


def _my_progress(request, pk: int) -> LessonProgress:
    return scoped_object(
        request,
        LessonProgress,
        LEARN,
        pk,
        lambda qs: own(qs, request.user, "enrolment__staff__user").select_related(
            "lesson", "enrolment__course"
        ),
    )


@router.post(
    "/my/progress/{pk}/complete",
    auth=AUTH,
    response=TrainingProgressOut,
    operation_id="complete_training_lesson",
    summary="Mark one's own lesson completed",
)
def lesson_complete(request, pk: RowId):
    progress = _my_progress(request, pk)
    return learning.lesson_complete(actor=request.user, progress=progress)


class TrainingQuestionOut(Schema):
    id: int
    kind: str
    text: str
    options: list[str]


class TrainingQuizOut(Schema):
    progress_id: int
    attempts_left: int
    pass_mark: int
    questions: list[TrainingQuestionOut]


@router.get(
    "/my/progress/{pk}/quiz",
    auth=AUTH,
    response=TrainingQuizOut,
    operation_id="get_training_quiz",
    summary="The questions drawn for one's own next quiz attempt (without answers)",
)
def quiz(request, pk: RowId):
    progress = _my_progress(request, pk)
    return {
        "progress_id": progress.pk,
        "attempts_left": learning.attempts_left(progress),
        "pass_mark": progress.enrolment.course.pass_mark,
        "questions": learning.quiz_questions(progress),
    }


OptionIndex = Annotated[int, Field(ge=0, le=MAX_OPTIONS)]


class TrainingAnswerIn(Schema):
    question_id: RowId
    chosen: list[OptionIndex] = Field(
        ..., max_length=MAX_OPTIONS, description="The chosen options' indexes, from 0."
    )


class TrainingQuizIn(Schema):
    answers: list[TrainingAnswerIn] = Field(..., max_length=100)


class TrainingQuizResultOut(Schema):
    score: int
    passed: bool
    attempts_left: int
    certificate_code: str | None


@router.post(
    "/my/progress/{pk}/quiz",
    auth=AUTH,
    response=TrainingQuizResultOut,
    operation_id="submit_training_quiz",
    summary="Submit one's own quiz: score, pass, attempts left, the certificate once earned",
)
def quiz_submit(request, pk: RowId, payload: TrainingQuizIn):
    progress = _my_progress(request, pk)
    with validation_errors_as_422():
        outcome = learning.quiz_submit(
            actor=request.user,
            progress=progress,
            answers={str(a.question_id): a.chosen for a in payload.answers},
        )
    return {
        "score": outcome.attempt.score,
        "passed": outcome.attempt.passed,
        "attempts_left": outcome.attempts_left,
        "certificate_code": outcome.certificate.code if outcome.certificate else None,
    }


router.scoped_list(
    "/enrolments",
    Enrolment,
    PROGRESS,
    TrainingEnrolmentOut,
    refine=lambda qs: qs.select_related("staff", "course").order_by("-id"),
    name="list_training_enrolments",
    noun="training enrolments",
)


class TrainingEnrolIn(Schema):
    staff_id: RowId
    course_id: RowId


@router.post(
    "/enrolments",
    auth=AUTH,
    response=TrainingEnrolmentOut,
    operation_id="enrol_training_staff",
    summary="Enrol a staff member in a course (company admin, site manager)",
)
def enrol(request, payload: TrainingEnrolIn):
    scope = perm_scope(request, ENROL)
    staff = scoped_object(request, Staff, ENROL, payload.staff_id)
    course = selectors.courses(scope).filter(pk=payload.course_id).first()
    if course is None:
        raise Http404
    with validation_errors_as_422(renames={"staff": "staff_id", "course": "course_id"}):
        enrolment = enrolling.enrolment_create(actor=request.user, staff=staff, course=course)
    return Enrolment.objects.for_scope(scope).select_related("staff", "course").get(pk=enrolment.pk)


class TrainingRosterCell(Schema):
    course_id: int
    state: str
    completed_at: datetime | None


class TrainingRosterRow(Schema):
    staff_id: int
    company_id: int
    site_id: int
    name: str
    position: str
    on_duty: bool
    phone_masked: str
    courses: list[TrainingRosterCell]


@router.get(
    "/roster",
    auth=AUTH,
    response=list[TrainingRosterRow],
    operation_id="training_roster",
    summary="Staff in scope, on duty first, with each front-line course's state (paginated)",
)
@paginate(ScopedPagination)
def roster(request):
    scope = perm_scope(request, PROGRESS)
    return RosterPage(scope, selectors.roster_staff(scope))


class RosterPage:
    """The roster as a sequence the paginator slices: the staff of the page, then
    their enrolments in one query (a fixed number whatever the page size)."""

    def __init__(self, scope, staff):
        self.scope, self.staff = scope, staff

    def __len__(self) -> int:
        return self.staff.count()

    def __getitem__(self, window: slice) -> list[dict]:
        courses, rows = selectors.roster_rows(self.scope, self.staff[window])
        return [
            {
                "staff_id": person.pk,
                "company_id": person.company_id,
                "site_id": person.site_id,
                "name": person.name,
                "position": person.position,
                "on_duty": person.on_duty,
                "phone_masked": person.phone_masked or "",
                "courses": [
                    {
                        "course_id": c.pk,
                        "state": e.state if e else "not_enrolled",
                        "completed_at": e.completed_at if e else None,
                    }
                    for c, e in zip(courses, cells, strict=True)
                ],
            }
            for person, cells in rows
        ]


class TrainingFigureRow(Schema):
    id: int
    name: str
    enrolments: int
    completed: int
    attempts: int
    pass_rate: int | None


class TrainingFiguresOut(Schema):
    by_course: list[TrainingFigureRow]
    by_company: list[TrainingFigureRow]


@router.get(
    "/figures",
    auth=AUTH,
    response=TrainingFiguresOut,
    operation_id="training_figures",
    summary="Enrolments, completions, pass rates by course and company (counts)",
)
def figures(request):
    data = selectors.figures(perm_scope(request, FIGURES))
    return {
        "by_course": [
            {**r, "id": r["course_id"], "name": r["course__title"]} for r in data["by_course"]
        ],
        "by_company": [
            {**r, "id": r["company_id"], "name": r["company__name"]} for r in data["by_company"]
        ],
    }


class TrainingVerifyOut(Schema):
    valid: bool
    name: str
    course: str
    issued: str


@router.get(
    "/certificates/{code}/verify",
    auth=None,
    response=TrainingVerifyOut,
    operation_id="verify_training_certificate",
    summary="Verify a certificate by its code (public; the holder's name masked)",
)
def verify(request, code: str = Path(..., max_length=16, pattern=r"^[A-Za-z0-9]+$")):
    return certificate_verify(code)


# The association's catalogue (training.manage_course): live sessions of its courses,
# and removing or changing lessons and questions. Another association's row is 404.


def _managed(request, model, pk: int, path: str):
    scope = perm_scope(request, MANAGE)
    associations = scope.ids(Target.ASSOCIATION)
    obj = model.objects.filter(**{f"{path}__in": associations}, pk=pk).first()
    if obj is None:
        raise Http404
    return obj


class TrainingSessionOut(Schema):
    id: int
    course_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    meeting_link: str
    place: str
    registered: int


class TrainingSessionIn(Schema):
    title: str = Field(..., min_length=1, max_length=120)
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(..., ge=1, le=32767)
    meeting_link: str = Field("", max_length=300)
    place: str = Field("", max_length=200)


def _session_out(session_id: int) -> LiveSession:
    return LiveSession.objects.annotate(registered=Count("registrations")).get(pk=session_id)


@router.get(
    "/courses/{pk}/sessions",
    auth=AUTH,
    response=list[TrainingSessionOut],
    operation_id="list_training_course_sessions",
    summary="List a course's live sessions with their registrations (association; paginated)",
)
@paginate(ScopedPagination)
def course_sessions(request, pk: int = Path(..., ge=1, le=ROW_ID_MAX)):
    # Path bounds, not RowId: paginate resolves the annotations in its own module.
    course = _managed(request, Course, pk, "association_id")
    return (
        LiveSession.objects.filter(course=course)
        .annotate(registered=Count("registrations"))
        .order_by("starts_at", "id")
    )


@router.post(
    "/courses/{pk}/sessions",
    auth=AUTH,
    response={201: TrainingSessionOut},
    operation_id="create_training_session",
    summary="Schedule a live session of a course: a meeting link or an in-person place",
)
def session_create(request, pk: RowId, payload: TrainingSessionIn):
    course = _managed(request, Course, pk, "association_id")
    with validation_errors_as_422():
        session = catalogue.session_save(actor=request.user, course=course, data=payload.dict())
    return Status(201, _session_out(session.pk))


@router.put(
    "/live-sessions/{pk}",
    auth=AUTH,
    response=TrainingSessionOut,
    operation_id="update_training_session",
    summary="Change a live session (the cap not below those registered)",
)
def session_update(request, pk: RowId, payload: TrainingSessionIn):
    session = _managed(request, LiveSession, pk, "course__association_id")
    with validation_errors_as_422():
        catalogue.session_save(
            actor=request.user, course=session.course, data=payload.dict(), session=session
        )
    return _session_out(session.pk)


@router.delete(
    "/live-sessions/{pk}",
    auth=AUTH,
    response={204: None},
    operation_id="cancel_training_session",
    summary="Cancel a live session not yet ended, with its registrations (audited)",
)
def session_cancel(request, pk: RowId):
    session = _managed(request, LiveSession, pk, "course__association_id")
    with validation_errors_as_422(loc=("path",), renames={"session": "pk"}):
        catalogue.session_cancel(actor=request.user, session=session)
    return Status(204, None)


@router.delete(
    "/lessons/{pk}",
    auth=AUTH,
    response={204: None},
    operation_id="delete_training_lesson",
    summary="Delete a lesson nobody has started (refused with 422 once a learner has)",
)
def lesson_delete(request, pk: RowId):
    lesson = _managed(request, Lesson, pk, "course__association_id")
    with validation_errors_as_422(loc=("path",), renames={"lesson": "pk"}):
        catalogue.lesson_delete(actor=request.user, lesson=lesson)
    return Status(204, None)


class TrainingQuestionIn(Schema):
    kind: Choice(Question.Kind)  # type: ignore[valid-type]
    text: str = Field(..., min_length=1, max_length=300)
    options: list[Annotated[str, Field(max_length=200)]] = Field(
        ..., min_length=2, max_length=MAX_OPTIONS
    )
    answer: list[Annotated[int, Field(ge=0, lt=MAX_OPTIONS)]] = Field(
        ..., min_length=1, max_length=MAX_OPTIONS
    )


class TrainingQuestionFullOut(TrainingQuestionOut):
    lesson_id: int
    answer: list[int]


@router.put(
    "/questions/{pk}",
    auth=AUTH,
    response=TrainingQuestionFullOut,
    operation_id="update_training_question",
    summary="Change a question of a lesson's bank (answers are 0-based option indexes)",
)
def question_update(request, pk: RowId, payload: TrainingQuestionIn):
    question = _managed(request, Question, pk, "lesson__course__association_id")
    with validation_errors_as_422():
        return catalogue.question_edit(actor=request.user, question=question, **payload.dict())


@router.delete(
    "/questions/{pk}",
    auth=AUTH,
    response={204: None},
    operation_id="delete_training_question",
    summary="Delete a question of a lesson's bank (attempts keep what they were asked)",
)
def question_delete(request, pk: RowId):
    question = _managed(request, Question, pk, "lesson__course__association_id")
    catalogue.question_delete(actor=request.user, question=question)
    return Status(204, None)
