"""Demo volunteers, duty at hospitals and staff safety (issue #20): the article's
"300+ property volunteers sent to Wuhan hospitals".

What is written, and how:
- 320 volunteers (fewer in a test's tiny world) signed up through the volunteers
  service (so their ID numbers and phones are sealed as a real sign-up's are), most
  by a member company, the rest on the public page; nearly all approved, a few
  waiting or turned down; insurance for the approved; teams of about ten, each with
  a leader. The demo logins `volunteer_1` (a team leader) and `volunteer_2` (a member
  of that team) are linked to two of them.
- Every approved volunteer, and up to six health officers and cleaners of each
  point they are at, deployed to a hospital or isolation point for the month
  up to today and a week after; one shift a day (day, evening or night by team).
- The month's attendance (bulk: a check-in around the shift's start, a check-out
  around its end; about one shift in twelve missed), the daily checks (green, and a
  handful of red ones raised through the service, which takes the person off their
  next shifts and alerts the site), support tasks at each point through the service
  (made, done with the weight, handed over and signed), protective kit issued
  through the supplies ledger where the site has stock, a zero infection report for
  each point and day, and certificates for the volunteers with the most hours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from firstline.core.roles import Role, Target
from firstline.core.scope import Grant, Scope
from firstline.estates.models import Site, Staff
from firstline.orgs.models import Association, Company, User
from firstline.publishing.models import GuidePage
from firstline.scenario.people import PeopleFactory
from firstline.supplies.models import Balance, Item, Location
from firstline.volunteers.models import (
    Attendance,
    Availability,
    Deployment,
    HealthCheck,
    InfectionReport,
    Shift,
    Skill,
    SupportTask,
    TaskType,
    Volunteer,
)
from firstline.volunteers.services import duty, people, safety, support

VOLUNTEERS = 320
TEAM_SIZE = 10
DAYS = 30  # the month of duty up to today
AHEAD = 7  # and the week planned after it
SHIFTS = ((time(8), time(16)), (time(16), time(0)), (time(0), time(8)))
RED_CHECKS = 4
MISSED = 1 / 12
KIT_DAYS = 1  # kit issued through the ledger on the last days (it is hash-chained, one by one)
TASK_DAYS = 5  # support tasks through the service on the last days
TASKS_PER_POINT_DAY = 4
CERTIFICATES = 40
STAFF_PER_POINT = 6

TEAM_NAMES = ("先锋", "逆行", "守护", "同心", "光谷", "江城", "长江", "汉水", "黄鹤", "东湖")
DUTIES = ("医疗废物转运", "病区保洁", "物资搬运", "患者转运陪护", "标本送检", "后勤保障")
LANGUAGES = ("英语", "日语", "法语", "手语")
INSURERS = ("中国人寿", "中国平安", "太平洋保险", "泰康人寿")
WASTE_PLACES = ("住院部三楼", "发热门诊", "医技楼负一层", "隔离病区", "污物间")


@dataclass
class VolunteersReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _scope_for(company_id: int) -> Scope:
    """The company admin's scope over one company: the scenario acts for the company
    (kit drawn from its site's stock) as its administrator would."""
    grant = Grant(Role.COMPANY_ADMIN, Target.COMPANY, company_id, company_id)
    return Scope(user_id=None, grants=(grant,))


def build_volunteers(
    *,
    rng: random.Random,
    now: datetime,
    association: Association,
    companies: list[Company],
    sites: list[Site],
    people_factory: PeopleFactory,
    volunteers: int = VOLUNTEERS,
) -> VolunteersReport:
    report = VolunteersReport()
    points = [s for s in sites if s.site_type in (Site.Type.HOSPITAL, Site.Type.ISOLATION)]
    if not points or volunteers <= 0:
        return report
    support.task_types_install()
    _link_guides()
    today = timezone.localdate(now)
    first = today - timedelta(days=DAYS - 1)
    signed = _sign_up(rng, association, companies, people_factory, volunteers, report)
    teams = _teams(rng, association, signed, report)
    _demo_logins(association, teams)
    deployments = _deploy(rng, points, signed, teams, first, today, report)
    _attend(rng, deployments, first, today, report)
    _checks(rng, deployments, first, today, report)
    _tasks(rng, points, deployments, today, report)
    _kit(rng, deployments, today, report)
    _infections(points, first, today, report)
    _certificates(signed, report)
    return report


def _link_guides() -> None:
    """The task types' safety rules point at the operation guides on the public site
    (built by the publishing step before): the isolation points' guide for terminal
    cleaning, the hospitals' for the rest."""
    guides = {
        g.site_type: g.url
        for g in GuidePage.objects.live().filter(site_type__in=("hospital", "isolation"))
    }
    for task_type in TaskType.objects.all():
        wanted = "isolation" if task_type.kind == TaskType.Kind.TERMINAL_CLEAN else "hospital"
        if guides.get(wanted):
            TaskType.objects.filter(pk=task_type.pk).update(guide_url=guides[wanted])


def _sign_up(rng, association, companies, factory, n, report) -> list[Volunteer]:
    consent = people.consent_current(association)
    done: list[Volunteer] = []
    for _ in range(n):
        person = factory.person(birth_year=rng.randint(1970, 2000))
        company = rng.choice(companies) if companies and rng.random() < 0.8 else None
        skills = rng.sample(Skill.values, k=rng.choice((1, 1, 2, 2, 3)))
        data = {
            "name": person.name,
            "skills": skills,
            "languages": rng.choice(LANGUAGES) if Skill.LANGUAGES in skills else "",
            "availability": rng.choice(
                (Availability.FULL_TIME, Availability.FULL_TIME, Availability.ON_CALL)
            ),
            "emergency_name": factory.name(sex=rng.choice("mf"), birth_year=1965),
            "healthy": True,
            "no_contact": True,
        }
        try:
            volunteer = people.volunteer_sign_up(
                actor=None,
                association=association,
                data=data,
                phone=person.phone,
                id_number=person.id_number,
                emergency_phone=factory.phone(),
                consent_version=consent.version,
                agreed=True,
                company=company,
            )
        except ValidationError:  # a generated ID number drawn twice
            continue
        done.append(volunteer)
    # Vetting: nearly all approved (no logins made: a login is made when the person
    # first needs one), a few waiting, a few turned down; insurance for the approved.
    approved, waiting, rejected = [], [], []
    for i, volunteer in enumerate(done):
        (waiting if i % 40 == 7 else rejected if i % 60 == 11 else approved).append(volunteer)
    vetted_at = timezone.now()
    Volunteer.all_tenants.filter(pk__in=[v.pk for v in approved]).update(
        state=Volunteer.State.APPROVED,
        vetted_at=vetted_at,
        insurer=INSURERS[0],
        policy_no="",
    )
    for volunteer in approved:
        volunteer.state = Volunteer.State.APPROVED
        Volunteer.all_tenants.filter(pk=volunteer.pk).update(
            insurer=rng.choice(INSURERS),
            policy_no=f"P{rng.randrange(10**11, 10**12)}",
            insured_from=timezone.localdate() - timedelta(days=DAYS + 3),
            insured_to=timezone.localdate() + timedelta(days=90),
        )
    Volunteer.all_tenants.filter(pk__in=[v.pk for v in rejected]).update(
        state=Volunteer.State.REJECTED, vetted_at=vetted_at, vet_note="健康申报未通过"
    )
    report.add("volunteers", len(done))
    report.add("volunteers_approved", len(approved))
    report.add("volunteers_waiting", len(waiting))
    return approved


def _teams(rng, association, approved, report) -> list[list[Volunteer]]:
    teams: list[list[Volunteer]] = []
    for start in range(0, len(approved), TEAM_SIZE):
        members = approved[start : start + TEAM_SIZE]
        index = len(teams)
        name = f"{TEAM_NAMES[index % len(TEAM_NAMES)]}{index // len(TEAM_NAMES) + 1}队"
        team = people.team_create(actor=None, association=association, name=name)
        for position, volunteer in enumerate(members):
            people.team_member_set(actor=None, team=team, volunteer=volunteer, leader=position == 0)
            volunteer.team_id = team.pk
        teams.append(members)
    report.add("teams", len(teams))
    return teams


def _demo_logins(association, teams) -> None:
    """`volunteer_1` leads the first team, `volunteer_2` is in it (when the demo
    logins exist: a test's world may have none)."""
    if not teams or len(teams[0]) < 2:
        return
    for username, volunteer in (("volunteer_1", teams[0][0]), ("volunteer_2", teams[0][1])):
        if User.objects.filter(username=username).exists():
            Volunteer.all_tenants.filter(pk=volunteer.pk).update(state=Volunteer.State.PENDING)
            people.volunteer_approve(actor=None, volunteer=volunteer, username=username)


def _deploy(rng, points, approved, teams, first, today, report) -> list[Deployment]:
    """Each team to one point (teams spread over the points), and beside them up to
    STAFF_PER_POINT of the point's own health officers and cleaners."""
    rows: list[Deployment] = []
    ends = today + timedelta(days=AHEAD)
    for index, members in enumerate(teams):
        site = points[index % len(points)]
        duty_name = DUTIES[index % len(DUTIES)]
        for volunteer in members:
            rows.append(
                Deployment(
                    company_id=site.company_id,
                    site_id=site.pk,
                    association_id=volunteer.association_id,
                    volunteer=volunteer,
                    person_name=volunteer.name,
                    starts_on=first,
                    ends_on=ends,
                    duty=duty_name,
                )
            )
    staffed = sorted({row.site_id for row in rows})
    per_point: dict[int, int] = {}
    for staff in Staff.all_tenants.filter(
        site_id__in=staffed, position__in=("health", "cleaner"), on_duty=True
    ).order_by("id"):
        if per_point.get(staff.site_id, 0) >= STAFF_PER_POINT:
            continue
        per_point[staff.site_id] = per_point.get(staff.site_id, 0) + 1
        rows.append(
            Deployment(
                company_id=staff.company_id,
                site_id=staff.site_id,
                staff=staff,
                person_name=staff.name,
                starts_on=first,
                ends_on=ends,
                duty="院区保洁" if staff.position == "cleaner" else "防疫专员",
            )
        )
    with transaction.atomic():
        deployments = Deployment.all_tenants.bulk_create(rows)
    team_of = {v.pk: i for i, members in enumerate(teams) for v in members}
    shifts: list[Shift] = []
    for deployment in deployments:
        start, end = SHIFTS[team_of.get(deployment.volunteer_id, deployment.pk) % len(SHIFTS)]
        day = first
        while day <= ends:
            starts = timezone.make_aware(datetime.combine(day, start))
            stop_day = day + timedelta(days=1) if end <= start else day
            shifts.append(
                Shift(
                    company_id=deployment.company_id,
                    site_id=deployment.site_id,
                    deployment=deployment,
                    starts_at=starts,
                    ends_at=timezone.make_aware(datetime.combine(stop_day, end)),
                )
            )
            day += timedelta(days=1)
    with transaction.atomic():
        Shift.all_tenants.bulk_create(shifts, batch_size=2000)
    report.add("deployments", len(deployments))
    report.add("shifts", len(shifts))
    return deployments


def _attend(rng, deployments, first, today, report) -> None:
    """Attendance for every shift that has ended, except the missed ones."""
    now = timezone.now()
    rows: list[Attendance] = []
    for shift in Shift.all_tenants.filter(
        deployment__in=deployments, ends_at__lte=now, starts_at__date__gte=first
    ).order_by("id"):
        if rng.random() < MISSED:
            continue
        check_in = shift.starts_at + timedelta(minutes=rng.randint(-15, 10))
        check_out = shift.ends_at + timedelta(minutes=rng.randint(-5, 40))
        rows.append(
            Attendance(
                company_id=shift.company_id,
                site_id=shift.site_id,
                deployment_id=shift.deployment_id,
                shift=shift,
                check_in_at=check_in,
                check_out_at=check_out,
                minutes=int((check_out - check_in).total_seconds() // 60),
            )
        )
    with transaction.atomic():
        Attendance.all_tenants.bulk_create(rows, batch_size=2000)
    report.add("attendances", len(rows))


def _checks(rng, deployments, first, today, report) -> None:
    """A green check per person and past day in bulk; today's checks through the
    service, a few of them red (the person comes off the next shifts; an alert)."""
    rows: list[HealthCheck] = []
    for deployment in deployments:
        day = first
        while day < today:
            temperature = Decimal(rng.choice(("36.2", "36.4", "36.5", "36.6", "36.7", "36.8")))
            rows.append(
                HealthCheck(
                    company_id=deployment.company_id,
                    site_id=deployment.site_id,
                    deployment=deployment,
                    day=day,
                    temperature=temperature,
                    symptoms=[],
                    result=HealthCheck.Result.GREEN,
                )
            )
            day += timedelta(days=1)
    with transaction.atomic():
        HealthCheck.all_tenants.bulk_create(rows, batch_size=2000)
    reds = set(rng.sample(range(len(deployments)), k=min(RED_CHECKS, len(deployments))))
    for index, deployment in enumerate(deployments):
        red = index in reds
        safety.check_record(
            actor=None,
            deployment=deployment,
            temperature=Decimal("37.6") if red else Decimal("36.5"),
            symptoms=["cough"] if red and index % 2 else [],
            day=today,
        )
    report.add("health_checks", len(rows) + len(deployments))
    report.add("health_checks_red", len(reds))


def _tasks(rng, points, deployments, today, report) -> None:
    """Support tasks at each point over the last days: made, done and handed over
    through the service; today's partly still open (some past due)."""
    at_point: dict[int, list[Deployment]] = {}
    for deployment in deployments:
        at_point.setdefault(deployment.site_id, []).append(deployment)
    kinds = list(TaskType.objects.order_by("id"))
    made = 0
    for site in points:
        people_here = at_point.get(site.pk)
        if not people_here:
            continue
        for back in range(TASK_DAYS - 1, -1, -1):
            day = today - timedelta(days=back)
            for n in range(TASKS_PER_POINT_DAY):
                task_type = kinds[(n + back) % len(kinds)]
                due = timezone.make_aware(datetime.combine(day, time(9 + 3 * n)))
                task = support.task_create(
                    actor=None,
                    site=site,
                    task_type=task_type,
                    title=f"{task_type.name}·{rng.choice(WASTE_PLACES)}",
                    due_at=due,
                    assignee=rng.choice(people_here),
                    location=rng.choice(WASTE_PLACES),
                )
                made += 1
                if back == 0 and n >= 2:
                    continue  # today's later runs are still to do
                weight = Decimal(rng.randint(80, 600)) / 10 if task_type.needs_weight else None
                support.task_ready(actor=None, task=task, weight_kg=weight)
                support.task_handover(
                    actor=None, task=task, receiver_name="医废处置中心", receiver_unit="接收站"
                )
                SupportTask.all_tenants.filter(pk=task.pk).update(
                    done_at=due + timedelta(minutes=rng.randint(15, 55))
                )
    report.add("support_tasks", made)


def _kit(rng, deployments, today, report) -> None:
    """One kind of kit (the first the site holds) for each person on the last day,
    drawn through the ledger from the site's stock while it lasts."""
    issued = 0
    by_site: dict[int, list[Deployment]] = {}
    for deployment in deployments:
        by_site.setdefault(deployment.site_id, []).append(deployment)
    for site_id, here in by_site.items():
        site = Site.all_tenants.get(pk=site_id)
        location = Location.all_tenants.filter(site_id=site_id, kind=Location.Kind.SITE).first()
        if location is None:
            continue
        items = list(
            Balance.all_tenants.filter(location=location, virtual=False, quantity__gt=0)
            .values_list("item", flat=True)
            .distinct()[:1]
        )
        if not items:
            continue
        scope = _scope_for(site.company_id)
        stock = {i.pk: i for i in Item.objects.filter(pk__in=items)}
        for back in range(KIT_DAYS - 1, -1, -1):
            for deployment in here:
                for item in stock.values():
                    try:
                        safety.kit_issue(
                            actor=None,
                            scope=scope,
                            deployment=deployment,
                            site=site,
                            item=item,
                            quantity=rng.choice((1, 2, 2, 3)),
                            day=today - timedelta(days=back),
                        )
                    except ValidationError:  # the site's stock of it has run out
                        continue
                    issued += 1
    report.add("kit_issues", issued)


def _infections(points, first, today, report) -> None:
    rows = []
    day = first
    while day <= today:
        for site in points:
            rows.append(
                InfectionReport(company_id=site.company_id, site_id=site.pk, day=day, infections=0)
            )
        day += timedelta(days=1)
    with transaction.atomic():
        InfectionReport.all_tenants.bulk_create(rows, batch_size=2000)
    report.add("infection_reports", len(rows))


def _certificates(approved, report) -> None:
    issued = 0
    for volunteer in approved[:CERTIFICATES]:
        try:
            duty.certificate_issue(actor=None, volunteer=volunteer)
        except ValidationError:  # no closed attendance yet
            continue
        issued += 1
    report.add("certificates", issued)
