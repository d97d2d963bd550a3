"""The demo's training (issue #22): the association's two front-line courses (gate
duty; protective kit and disinfection) linked to its guides where they exist, and a
management course, each with lessons and a question bank; the staff of the first
sites enrolled, with a month of progress (lessons completed, quiz attempts passed and
failed, certificates), and two live sessions (one held, with attendance; one coming,
with registrations).

Rows are written directly with bulk_create (backdated), the way the world's other
steps write history; its randomness is its own stream."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firstline.estates.models import Site, Staff
from firstline.orgs.models import Association, Company
from firstline.publishing.models import GuidePage
from firstline.training.models import (
    Certificate,
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    LiveSession,
    Question,
    QuizAttempt,
    Registration,
)
from firstline.training.services.learning import new_code

DAYS = 30
SITES_ENROLLED = 4

# (title, kind, audience, guide slug, summary, lessons); a lesson: (title, kind, minutes,
# body, questions); a question: (text, options, answer indexes).
COURSES = (
    (
        "门岗值守与人员排查",
        Course.Kind.FRONTLINE,
        "门岗、保安、秩序维护员",
        "residential",
        "封闭管理下的出入口值守：核验通行证、测温登记、外来人员和快递管理。",
        (
            (
                "出入口核验与测温",
                Lesson.Kind.VIDEO,
                12,
                "每人每次进出核验通行证并测温，体温≥37.3℃的引导至临时留观点复测。",
                (
                    ("体温达到多少须复测并报告？", ["37.3℃", "36.5℃", "38.5℃"], [0]),
                    ("进入小区须核验哪些？", ["通行证", "健康状况", "车辆品牌"], [0, 1]),
                    ("快递外卖应如何处理？", ["送到门口", "设置无接触存放点", "由快递员入户"], [1]),
                ),
            ),
            (
                "外来人员与车辆登记",
                Lesson.Kind.DOCUMENT,
                8,
                "外来人员原则上不进入；确需进入的，登记身份、事由、去向和联系方式。",
                (
                    (
                        "外来人员确需进入时应登记哪些？",
                        ["身份与事由", "去向与联系方式", "收入"],
                        [0, 1],
                    ),
                    (
                        "发现来自中高风险地区人员应当？",
                        ["放行", "登记并报告社区", "劝离后不记录"],
                        [1],
                    ),
                ),
            ),
        ),
    ),
    (
        "防护用品使用与公共区域消毒",
        Course.Kind.FRONTLINE,
        "保洁员、门岗、防疫专员",
        "office",
        "口罩、手套、防护服的穿脱，含氯消毒剂的配比与公共区域消毒频次。",
        (
            (
                "防护用品穿脱",
                Lesson.Kind.VIDEO,
                10,
                "先洗手，再戴口罩、帽子、手套；脱时先脱手套，最后摘口罩，全程避免接触外表面。",
                (
                    ("摘口罩时应当？", ["捏住外表面摘下", "拉耳带摘下", "用力撕下"], [1]),
                    ("医用口罩多久更换一次？", ["每4小时或潮湿时", "每周", "不需要更换"], [0]),
                ),
            ),
            (
                "含氯消毒剂配比与消毒频次",
                Lesson.Kind.DOCUMENT,
                10,
                "电梯按键、门把手等高频接触部位每日至少两次消毒；500mg/L含氯消毒剂擦拭。",
                (
                    ("电梯按键每日至少消毒几次？", ["1次", "2次", "不需要"], [1]),
                    ("可与含氯消毒剂混用的是？", ["洁厕灵", "酒精", "都不可以"], [2]),
                ),
            ),
            (
                "线上答疑",
                Lesson.Kind.LIVE,
                45,
                "",
                (),
            ),
        ),
    ),
    (
        "疫情期间物业企业运营管理",
        Course.Kind.MANAGEMENT,
        "企业负责人、项目经理",
        "",
        "防控组织体系、物资保障、员工关怀与复工安排。",
        (
            (
                "防控组织体系与应急预案",
                Lesson.Kind.VIDEO,
                30,
                "建立企业—项目两级防控小组，明确责任人，制定应急预案并演练。",
                (("应急预案应当？", ["只写不练", "定期演练", "不需要"], [1]),),
            ),
            (
                "员工关怀与复工安排",
                Lesson.Kind.DOCUMENT,
                20,
                "一线员工轮班休息、心理疏导、补助发放，分批安排返岗人员复工。",
                (),
            ),
        ),
    ),
)


@dataclass
class TrainingReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _guide_url(slug: str) -> str:
    guide = GuidePage.objects.filter(slug=slug).first() if slug else None
    return (guide.url or "") if guide is not None else ""


def _catalogue(association: Association, report: TrainingReport):
    courses, lessons, questions = [], {}, {}
    for title, kind, audience, guide, summary, lesson_specs in COURSES:
        course = Course.objects.create(
            association=association,
            title=title,
            kind=kind,
            audience=audience,
            guide_url=_guide_url(guide),
            summary=summary,
            pass_mark=60,
            questions_drawn=2,
            max_attempts=3,
            published=True,
        )
        courses.append(course)
        made = Lesson.objects.bulk_create(
            Lesson(
                course=course,
                position=n,
                title=lt,
                kind=lk,
                duration_minutes=minutes,
                body=body,
                meeting_link="https://meeting.example.org/j/8866" if lk == Lesson.Kind.LIVE else "",
            )
            for n, (lt, lk, minutes, body, _q) in enumerate(lesson_specs, start=1)
        )
        lessons[course.pk] = made
        for lesson, spec in zip(made, lesson_specs, strict=True):
            kinds = [
                Question.Kind.MULTIPLE if len(a) > 1 else Question.Kind.SINGLE
                for _t, _o, a in spec[4]
            ]
            questions[lesson.pk] = Question.objects.bulk_create(
                Question(lesson=lesson, kind=k, text=t, options=o, answer=a)
                for (t, o, a), k in zip(spec[4], kinds, strict=True)
            )
    report.add("courses", len(courses))
    report.add("lessons", sum(len(v) for v in lessons.values()))
    report.add("questions", sum(len(v) for v in questions.values()))
    return courses, lessons, questions


def build_training(
    *,
    rng: random.Random,
    now: datetime,
    association: Association,
    companies: list[Company],
    sites: list[Site],
) -> TrainingReport:
    report = TrainingReport()
    courses, lessons, questions = _catalogue(association, report)
    frontline = [c for c in courses if c.kind == Course.Kind.FRONTLINE]
    management = [c for c in courses if c.kind == Course.Kind.MANAGEMENT]
    company_ids = {c.pk for c in companies}
    chosen = [s for s in sites if s.company_id in company_ids][:SITES_ENROLLED]
    staff = list(Staff.all_tenants.filter(site__in=chosen).order_by("site_id", "id"))
    plan: list[tuple[Staff, Course, datetime]] = []
    for person in staff:
        for course in frontline:
            if rng.random() < 0.85:
                plan.append((person, course, now - timedelta(days=rng.randint(3, DAYS))))
        if person.position == Staff.Position.MANAGER and management:
            plan.append((person, management[0], now - timedelta(days=rng.randint(3, DAYS))))
    enrolments = Enrolment.all_tenants.bulk_create(
        Enrolment(company_id=p.company_id, site_id=p.site_id, staff=p, course=c, created_at=at)
        for p, c, at in plan
    )
    for enrolment, (_p, _c, at) in zip(enrolments, plan, strict=True):
        enrolment.created_at = at  # auto_now_add stamped the insert: backdate it
    Enrolment.all_tenants.bulk_update(enrolments, ["created_at"])
    progress_rows, attempts, certificates, finished = [], [], [], []
    for enrolment, (_p, course, started) in zip(enrolments, plan, strict=True):
        # How far each got in a month: most finish, some are midway, a few just began.
        course_lessons = lessons[course.pk]
        done = min(len(course_lessons), int(rng.random() * (len(course_lessons) + 1.6)))
        moment = started
        complete = True
        for index, lesson in enumerate(course_lessons):
            row = LessonProgress(
                company_id=enrolment.company_id,
                site_id=enrolment.site_id,
                enrolment=enrolment,
                lesson=lesson,
            )
            if index < done:
                moment = min(now, moment + timedelta(hours=rng.randint(2, 60)))
                row.viewed_at = row.completed_at = moment
                bank = questions[lesson.pk]
                if bank:
                    failed_first = rng.random() < 0.25
                    row.attempts = 2 if failed_first else 1
                    row.quiz_passed_at = moment
                    for passed in [False, True] if failed_first else [True]:
                        attempts.append((row, bank, passed, moment))
            else:
                complete = False
            progress_rows.append(row)
        if complete:
            finished.append((enrolment, moment))
    LessonProgress.all_tenants.bulk_create(progress_rows)
    made = QuizAttempt.all_tenants.bulk_create(
        QuizAttempt(
            company_id=row.company_id,
            site_id=row.site_id,
            progress=row,
            questions=[q.pk for q in bank[:2]],
            answers={str(q.pk): q.answer for q in bank[:2]},
            score=100 if passed else 50 if len(bank) > 1 else 0,
            passed=passed,
            created_at=at,
        )
        for row, bank, passed, at in attempts
    )
    for attempt, (_r, _b, _p, at) in zip(made, attempts, strict=True):
        attempt.created_at = at
    QuizAttempt.all_tenants.bulk_update(made, ["created_at"])
    for enrolment, at in finished:
        enrolment.state = Enrolment.State.COMPLETED
        enrolment.completed_at = at
        certificates.append(
            Certificate(
                company_id=enrolment.company_id,
                site_id=enrolment.site_id,
                enrolment=enrolment,
                code=new_code(),
                issued_at=at,
            )
        )
    Enrolment.all_tenants.bulk_update([e for e, _a in finished], ["state", "completed_at"])
    Certificate.all_tenants.bulk_create(certificates)
    report.add("enrolments", len(enrolments))
    report.add("completions", len(finished))
    report.add("quiz_attempts", len(attempts))
    report.add("certificates", len(certificates))
    report.add("sessions", _sessions(rng, now, frontline[-1], enrolments))
    return report


def _sessions(rng: random.Random, now: datetime, course: Course, enrolments) -> int:
    held_day = now - timedelta(days=7)
    past = LiveSession.objects.create(
        course=course,
        title="防护用品与消毒线上答疑（第一期）",
        starts_at=held_day.replace(hour=7, minute=0, second=0, microsecond=0),
        ends_at=held_day.replace(hour=8, minute=0, second=0, microsecond=0),
        capacity=200,
        meeting_link="https://meeting.example.org/j/8866",
        checkin_code=new_code(),
    )
    coming = LiveSession.objects.create(
        course=course,
        title="防护用品与消毒现场实操",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        capacity=30,
        place="协会培训中心（江汉区）",
        checkin_code=new_code(),
    )
    takers = [e for e in enrolments if e.course_id == course.pk]
    rows = []
    for e in takers:
        rows.append(
            Registration(
                company_id=e.company_id,
                site_id=e.site_id,
                session=past,
                enrolment=e,
                attended_at=past.starts_at + timedelta(minutes=rng.randint(0, 10))
                if rng.random() < 0.8
                else None,
                reminded_at=past.starts_at - timedelta(hours=12),
            )
        )
    for e in takers[: coming.capacity // 2]:
        rows.append(
            Registration(company_id=e.company_id, site_id=e.site_id, session=coming, enrolment=e)
        )
    Registration.all_tenants.bulk_create(rows)
    return 2
