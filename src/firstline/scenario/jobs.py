"""The demo's online job fair (issue #22): the association's fair of 25 March 2020
as the article tells it - more than 50 member companies as employers, about 300
graduates placed or interviewed, more than 1,000 participants.

Employers: every member company of the world registers, verified. The demo world
has fewer member companies than the article's fair (24 at the demo scale), so the
fair's other employers are member companies made for it here (`GUEST_EMPLOYERS`
names them: real members of the association in the demo, with no sites), until
there are EMPLOYERS; at the wuhan scale the world's own companies are enough.

Graduates: GRADUATES profiles (logins with the graduate role; `graduate_1`, made by
the world step, is the first), each with one to four applications; about 300 of them
interviewed (an interview at a slot of its own) or given an offer. Participants are
the graduates who applied, the staff on the booths and the public page's visitors
once a day (selectors/figures.py). Rows are written directly, backdated to the fair,
with bulk_create; the randomness is its own stream."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from firstline.core.personal.fields import set_personal
from firstline.core.roles import Role
from firstline.geo.models import Division
from firstline.jobs.models import (
    Application,
    Employer,
    Fair,
    FairVisit,
    Graduate,
    Interview,
    InterviewSlot,
    Position,
)
from firstline.jobs.services.fairs import position_words
from firstline.orgs.models import Association, Company, Membership, RoleAssignment, User
from firstline.orgs.validators import credit_code_check_char
from firstline.scenario.people import PeopleFactory

FAIR_DAY = date(2020, 3, 25)
FAIR_DAYS = 3
EMPLOYERS = 52
GRADUATES = 320
VISITOR_DAYS = 560

GUEST_EMPLOYERS = "武汉{}物业服务有限公司"
GUEST_WORDS = "东湖光谷江城楚天汉阳晴川黄鹤龟山知音琴台月湖沙湖南湖墨水金银汤逊"
SCHOOLS = (
    "武汉大学",
    "华中科技大学",
    "武汉理工大学",
    "湖北经济学院",
    "武汉职业技术学院",
    "湖北城市建设职业技术学院",
    "江汉大学",
)
MAJORS = (
    "物业管理",
    "工商管理",
    "酒店管理",
    "建筑环境与能源应用工程",
    "人力资源管理",
    "会计学",
    "社会工作",
)
TITLES = (
    ("物业管理员", "物业管理、工商管理相关专业，沟通能力强"),
    ("客服专员", "普通话标准，能熟练使用办公软件"),
    ("工程维修技术员", "机电、暖通相关专业，持电工证优先"),
    ("秩序维护主管", "责任心强，能适应轮班"),
    ("环境品质专员", "熟悉消毒与保洁作业规范"),
    ("项目经理助理", "物业管理专业，有实习经历优先"),
    ("财务助理", "会计学相关专业，持初级会计证优先"),
)
CITIES = ("武汉", "武汉", "武汉", "襄阳", "宜昌", "黄石")


@dataclass
class JobsReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _employer_companies(
    association: Association, companies: list[Company], target: int
) -> list[Company]:
    """The world's member companies, then members made for the fair up to `target`
    (their credit codes valid and of the first company's district)."""
    chosen = list(companies)[:target]
    if len(chosen) >= target:
        return chosen
    division_id = chosen[0].division_id
    district = Division.objects.get(pk=division_id).code
    taken = set(Company.objects.values_list("name", flat=True))
    guests = []
    serial = 0
    while len(chosen) + len(guests) < target:
        serial += 1
        word = GUEST_WORDS[serial % len(GUEST_WORDS)] + GUEST_WORDS[(serial * 7) % len(GUEST_WORDS)]
        name = GUEST_EMPLOYERS.format(word)
        if name in taken:
            name = f"{name[:-8]}{serial}物业服务有限公司"
        taken.add(name)
        first17 = f"91{district}MA{8_000_000 + serial:07d}"
        guests.append(
            Company(
                name=name,
                credit_code=first17 + credit_code_check_char(first17),
                division_id=division_id,
                contact_name="人力资源部",
            )
        )
    guests = Company.objects.bulk_create(guests)
    Membership.objects.bulk_create(
        [Membership(company=c, association=association, joined_on="2019-06-01") for c in guests]
    )
    return chosen + guests


def build_jobs(
    *,
    rng: random.Random,
    now: datetime,
    association: Association,
    companies: list[Company],
    employer_count: int = EMPLOYERS,
) -> JobsReport:
    report = JobsReport()
    fair = Fair.all_tenants.create(
        association=association,
        title="2020年物业管理行业高校毕业生网络招聘会",
        starts_on=FAIR_DAY,
        ends_on=FAIR_DAY + timedelta(days=FAIR_DAYS - 1),
        description="疫情期间，协会组织会员企业在线设展、线上面试，帮助应届毕业生就业。",
        published=True,
    )
    report.add("fairs")
    registered = _at(FAIR_DAY - timedelta(days=10), 10)
    people = PeopleFactory(rng)
    employers = []
    for company in _employer_companies(association, companies, employer_count):
        employer = Employer(
            company_id=company.pk,
            fair=fair,
            state=Employer.State.VERIFIED,
            booth_name=company.name,
            introduction=f"{company.name}诚邀应届毕业生加入。",
            contact_name=people.name(sex=rng.choice("mf"), birth_year=1985),
            booth_staff=rng.randint(3, 6),
            decided_at=registered + timedelta(days=1),
        )
        set_personal(employer, "phone", people.phone())
        employers.append(employer)
    employers = Employer.all_tenants.bulk_create(employers)
    report.add("employers", len(employers))
    report.add("booth_staff", sum(e.booth_staff for e in employers))

    positions = []
    for employer in employers:
        for title, requirements in rng.sample(TITLES, rng.randint(2, 4)):
            city = rng.choice(CITIES)
            low = rng.choice((3500, 4000, 4500, 5000, 6000))
            positions.append(
                Position(
                    company_id=employer.company_id,
                    fair=fair,
                    employer=employer,
                    title=title,
                    city=city,
                    salary_min=low,
                    salary_max=low + rng.choice((1000, 1500, 2000, 3000)),
                    requirements=requirements,
                    headcount=rng.randint(1, 8),
                    search_words=position_words(title, city, requirements, employer.booth_name),
                )
            )
    positions = Position.all_tenants.bulk_create(positions)
    report.add("positions", len(positions))

    # graduates: graduate_1 (the world step's login) first, the others without a password
    first = User.objects.filter(username="graduate_1").first()
    users = [] if first is None else [first]
    fresh = [
        User(username=f"grad2020_{n:04d}", password="!" + secrets.token_hex(8))
        for n in range(len(users) + 1, GRADUATES + 1)
    ]
    for user in fresh:
        user.display_name = people.name(sex=rng.choice("mf"), birth_year=1998)
    fresh = User.objects.bulk_create(fresh)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, role=Role.GRADUATE, association=association) for u in fresh]
    )
    users += fresh
    graduates = []
    for user in users:
        sex = rng.choice("mf")
        graduate = Graduate(
            association=association,
            user=user,
            name=user.display_name or people.name(sex=sex, birth_year=1998),
            school=rng.choice(SCHOOLS),
            major=rng.choice(MAJORS),
            graduation_year=2020,
            cv_name="个人简历.pdf",
            cv_type="application/pdf",
            consent=True,
            consent_at=registered,
        )
        set_personal(graduate, "phone", people.phone())
        set_personal(graduate, "id_number", people.id_number(sex=sex, birth_year=1998))
        graduates.append(graduate)
    graduates = Graduate.all_tenants.bulk_create(graduates)
    report.add("graduates", len(graduates))

    # applications: 1-4 each; about 300 graduates get an interview, some an offer
    apps = []
    outcome = {}  # graduate → the state its chosen application reaches
    for n, graduate in enumerate(graduates):
        picked = rng.sample(positions, min(len(positions), rng.randint(1, 4)))
        if n == 0:  # graduate_1 applied to the first company's position (admin_anju's)
            own = next(p for p in positions if p.company_id == employers[0].company_id)
            picked = [own, *[p for p in picked if p.pk != own.pk]][:3]
        for k, position in enumerate(picked):
            day = FAIR_DAY + timedelta(days=rng.randrange(FAIR_DAYS))
            state = Application.State.SUBMITTED
            if k == 0:
                roll = rng.random()
                if n == 0:
                    state = Application.State.INVITED
                elif roll < 0.28:
                    state = Application.State.OFFER
                elif roll < 0.93:
                    state = Application.State.INTERVIEWED
                else:
                    state = Application.State.SHORTLISTED
                outcome[graduate.pk] = state
            elif rng.random() < 0.3:
                state = rng.choice((Application.State.REJECTED, Application.State.SHORTLISTED))
            apps.append(
                Application(
                    company_id=position.company_id,
                    fair=fair,
                    position=position,
                    graduate=graduate,
                    state=state,
                    offer_salary=position.salary_min + 500
                    if state == Application.State.OFFER
                    else None,
                    offer_note="请于4月15日前线上确认。"
                    if state == Application.State.OFFER
                    else "",
                    decided_at=_at(day, 17)
                    if state in ("offer", "interviewed", "rejected")
                    else None,
                )
            )
            apps[-1]._day = day
    apps = Application.all_tenants.bulk_create(apps)
    report.add("applications", len(apps))

    # one slot per interview (a slot holds one), and for graduate_1 two free ones to pick
    slots, booked = [], []
    for application in apps:
        if application.state in (Application.State.INTERVIEWED, Application.State.OFFER):
            start = _at(application._day, 9) + timedelta(minutes=30 * rng.randrange(16))
            slots.append(
                InterviewSlot(
                    company_id=application.company_id,
                    position_id=application.position_id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    meeting_link=f"https://meeting.example.com/fair2020/{len(slots) + 1}",
                )
            )
            booked.append(application)
    invited = next((a for a in apps if a.state == Application.State.INVITED), None)
    if invited is not None:
        for hours in (26, 27):
            start = now + timedelta(hours=hours)
            slots.append(
                InterviewSlot(
                    company_id=invited.company_id,
                    position_id=invited.position_id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    meeting_link="https://meeting.example.com/fair2020/graduate_1",
                )
            )
    slots = InterviewSlot.all_tenants.bulk_create(slots)
    Interview.all_tenants.bulk_create(
        [
            Interview(company_id=a.company_id, application=a, slot=s)
            for a, s in zip(booked, slots, strict=False)
        ]
    )
    report.add("interviews", len(booked))
    report.add("offers", sum(1 for a in apps if a.state == Application.State.OFFER))
    report.add(
        "graduates_interviewed_or_offered",
        sum(1 for s in outcome.values() if s in ("interviewed", "offer")),
    )

    visits = [
        FairVisit(
            association=association,
            fair=fair,
            day=FAIR_DAY + timedelta(days=n % FAIR_DAYS),
            visitor_key=f"{rng.getrandbits(128):032x}",
        )
        for n in range(VISITOR_DAYS)
    ]
    FairVisit.all_tenants.bulk_create(visits)
    report.add("visitor_days", len(visits))
    report.add(
        "participants",
        len(graduates) + report.counts["booth_staff"] + len(visits),
    )
    return report
