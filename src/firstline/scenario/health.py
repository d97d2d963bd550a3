"""Demo data of health screening, isolation and household support (issue #4).

What it tells, relative to the day the demo is built (the access week ends today too):

- Two authorities' risk lists, each in two versions: the second adds areas, the first
  stays as history. Areas are Wuhan districts and streets by division code, and named
  places such as 华南海鲜市场.
- Most residents gave their consent and declared where they were in the last 14 days;
  a fifth declared once before (superseded). Most stayed home; some travelled to
  places on no list, to low-, medium- or high-risk areas, met a confirmed or suspected
  case, or have symptoms or a fever: a few percent red, more yellow.
- Every red and yellow has a worklist item; the older ones were called and some were
  referred to the community health station. Most reds are in isolation, at home or
  at the company's centralised point, with a temperature check twice a day: a few
  missed ones raised an alert, a fever escalated the case, those from the earlier
  wave are released.
- Isolated and vulnerable households asked for groceries, medicine, garbage
  collection or transport: requests in every state, fulfilled in hours.
- Vulnerable residents (the flags the estates step set) get check calls about weekly,
  so some are due one today.
- Per site and day, the counts of the last 30 days, counted from the rows above.

Rows are written with the bulk path of the world builder (`insert_rows`); statuses
come from the screening rules themselves when `health.screening.rescreen` exists.
This is a system job across tenants: it uses the `all_tenants` managers.

    report = build_health(rng=rng, now=timezone.now(), sites=sites)
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, models, transaction
from django.utils import timezone

from firstline.access.models import AccessEvent
from firstline.estates.models import Resident, Site, Staff
from firstline.geo.models import Division
from firstline.health.models import (
    Consent,
    Declaration,
    DeclarationPlace,
    FollowUpCall,
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    IsolationFacility,
    Level,
    RiskArea,
    RiskList,
    Status,
    SupportRequest,
    Symptom,
    VulnerableCheck,
    WorkItem,
)
from firstline.health.services.daily import daily_counts_rollup
from firstline.health.services.declarations import red_alert_message
from firstline.health.services.isolation import SLOT_LABELS
from firstline.health.services.screening import rescreen
from firstline.orgs.models import RoleAssignment, User
from firstline.scenario.world import apportion
from firstline.scenario.world import insert_rows as _insert_rows

DEMO_RESIDENT = "resident_1"  # the household login: its occupant is in home isolation
DEMO_HEALTH = "health_1"  # calls and checks at the demo logins' site are in their name
LIST_IMPORTER = "assoc_admin"  # risk lists are the association's: reset_world removes them

DAYS = 30  # daily counts kept for the report
WINDOW = 14  # days a declaration looks back (ScreeningConfig's default)
FEVER = Decimal("37.3")  # ScreeningConfig's default threshold
RISK_VISIT_DAYS = 8  # visits to risk areas lie in the last 8 days: inside every window
DECLARED_SHARE = 0.88
SUPERSEDED_SHARE = 0.2
ISOLATED_SHARE = 0.7  # of current reds
CENTRAL_SHARE = 0.3
ESCALATED_SHARE = 0.1
MISSED_CHANCE = 0.03
VULNERABLE_CALL_DAYS = 7  # a vulnerable resident is called about weekly
VULNERABLE_HISTORY_DAYS = 21

# What a declaration says, with its share; the status follows from the rules.
# fmt: off
CATEGORIES: dict[str, float] = {
    "stayed": 0.66, "travel": 0.10, "low": 0.06,
    "medium": 0.045, "suspected": 0.015, "symptoms": 0.02,
    "high": 0.025, "confirmed": 0.006, "fever": 0.006,
}
EARLIER: dict[str, float] = {  # the declaration before, in the first wave
    "stayed": 0.55, "travel": 0.12, "low": 0.08, "medium": 0.1, "symptoms": 0.05,
    "high": 0.07, "confirmed": 0.02, "fever": 0.01,
}
# fmt: on
RED_CATEGORIES = frozenset({"high", "confirmed", "fever"})
# What the default rules make of each (an earlier declaration keeps what they made of
# it then; current ones are re-screened).
CATEGORY_STATUS = {
    **dict.fromkeys(("stayed", "travel", "low"), Status.GREEN),
    **dict.fromkeys(("medium", "suspected", "symptoms"), Status.YELLOW),
    **dict.fromkeys(RED_CATEGORIES, Status.RED),
}
PLACE_CATEGORIES = {"travel": None, "low": Level.LOW, "medium": Level.MEDIUM, "high": Level.HIGH}

# (division code or "", name, level, district code of a named place)
LIST_SOURCES = {
    "湖北省卫健委 中高风险地区": "湖北省卫生健康委员会",
    "武汉市防控指挥部 重点场所": "武汉市新冠肺炎疫情防控指挥部",
}
NAMED_PLACES = {  # where each named place lies, for the declared place's code
    "华南海鲜市场": "420103",
    "汉口火车站": "420103",
    "金银潭医院": "420112",
    "天河国际机场": "420116",
    "白沙洲大市场": "420111",
    "汉正街小商品市场": "420104",
    "武汉客厅方舱医院": "420112",
}
ELSEWHERE = (
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
    ("440106", "广州市天河区"),
    ("440305", "深圳市南山区"),
    ("500103", "重庆市渝中区"),
    ("430104", "长沙市岳麓区"),
    ("410105", "郑州市金水区"),
    ("420502", "宜昌市西陵区"),
    ("421002", "荆州市沙市区"),
    ("420602", "襄阳市襄城区"),
)
TRAINS = ("G", "D", "K", "T", "Z")
AIRLINES = ("CZ", "MU", "CA", "HU", "3U", "ZH")
SYMPTOMS = ("cough", "fatigue", "sore_throat", "diarrhoea", "loss_of_taste")

SLOTS = {"am": (time(7), time(12)), "pm": (time(15), time(20))}  # opens, due by
CALL_NOTES = {
    FollowUpCall.Outcome.REACHED: ("本人接听，体温正常，已告知居家观察要求", "家属接听，无不适"),
    FollowUpCall.Outcome.SYMPTOMS: ("自述咳嗽、乏力，已建议就近发热门诊就诊",),
    FollowUpCall.Outcome.NO_ANSWER: ("电话无人接听，稍后再拨", "关机"),
    FollowUpCall.Outcome.REFERRED: ("已转介社区卫生服务站上门评估",),
    FollowUpCall.Outcome.ISOLATED: ("已安排隔离观察，告知每日两次上报体温",),
}
SUPPORT_KINDS: dict[str, tuple[float, tuple[str, ...], tuple[float, float]]] = {
    # kind: share, what is asked, hours from assignment to delivery
    SupportRequest.Kind.GROCERIES: (
        0.45,
        (
            "大米一袋、食用油一桶",
            "蔬菜水果一份，鸡蛋两盒",
            "牛奶、挂面、青菜若干",
            "团购蔬菜包一份",
        ),
        (2, 8),
    ),
    SupportRequest.Kind.MEDICINE: (
        0.25,
        (
            "代购降压药（硝苯地平）",
            "代购胰岛素针头和血糖试纸",
            "布洛芬、感冒灵各一盒",
            "代取慢病处方药",
        ),
        (1, 5),
    ),
    SupportRequest.Kind.GARBAGE: (0.2, ("生活垃圾上门清运", "隔离户垃圾消杀后清运"), (0.5, 3)),
    SupportRequest.Kind.MEDICAL_TRANSPORT: (
        0.05,
        ("透析患者送医院透析", "孕妇产检接送", "发热就诊转运"),
        (0.3, 1.5),
    ),
    SupportRequest.Kind.OTHER: (0.05, ("代缴水电费", "协助网上买菜下单"), (1, 6)),
}
PROOF_NOTES = ("已送达门口，住户电话确认", "已交到住户手中", "已放置门口并拍照", "已完成清运并消杀")
RELEASE_NOTE = "隔离期满，体温正常，无症状，解除隔离"


# --- the report -------------------------------------------------------------------------


@dataclass
class HealthReport:
    rows: Counter = field(default_factory=Counter)
    rescreened: bool = False

    def figures(self) -> dict[str, int]:
        """Figures for the world builder's step report."""
        return dict(self.rows)


# --- what the builder reads ----------------------------------------------------------------


class Person(NamedTuple):
    pk: int
    site_id: int
    company_id: int
    household_id: int
    name: str
    vulnerable: bool


class Place(NamedTuple):
    code: str
    name: str


class Area(NamedTuple):
    code: str
    name: str
    level: str
    valid_from: date
    valid_until: date | None


@dataclass
class Plan:
    """One declaration before it is written, and what the rules make of it."""

    person: Person
    category: str
    submitted_at: datetime
    current: bool
    places: list[tuple[Place, date]] = field(default_factory=list)
    transport: str = ""
    confirmed: bool = False
    suspected: bool = False
    symptoms: list[str] = field(default_factory=list)
    temperature: Decimal | None = None
    status: str = Status.GREEN
    pk: int | None = None


LEVEL_ORDER = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3}
STATUS_ORDER = {Status.GREEN: 0, Status.YELLOW: 1, Status.RED: 2}
LEVEL_STATUS = {Level.HIGH: Status.RED, Level.MEDIUM: Status.YELLOW, Level.LOW: Status.GREEN}


def build_health(*, rng: random.Random, now: datetime, sites: Sequence[Site]) -> HealthReport:
    """Everything above for `sites`, in the builder's order (the first is the demo
    logins' site). Deterministic for a given rng state and `now`."""
    return _Builder(rng=rng, now=now, sites=sites).build()


class _Builder:
    def __init__(self, *, rng: random.Random, now: datetime, sites: Sequence[Site]):
        self.rng, self.now = rng, now
        self.sites = list(sites)
        self.site_ids = [s.pk for s in self.sites]
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.report = HealthReport()
        users = dict(
            User.objects.filter(username__in=[DEMO_HEALTH, LIST_IMPORTER]).values_list(
                "username", "pk"
            )
        )
        self.health_user = users.get(DEMO_HEALTH)
        self.importer = users.get(LIST_IMPORTER)
        self.focus_site = self.site_ids[0] if self.site_ids else None
        demo_household = (
            RoleAssignment.objects.filter(user__username=DEMO_RESIDENT, household__isnull=False)
            .values_list("household_id", flat=True)
            .first()
        )
        self.demo_household = demo_household

    def build(self) -> HealthReport:
        areas = self.risk_lists()
        self.pools = self.place_pools(areas)
        self.areas = areas
        people = self.people()
        self.names = {p.pk: p.name for p in people}
        if people:
            with transaction.atomic():
                plans = self.declarations(people)
                flagged = {
                    p.person.pk: (p.pk, p.status, p.submitted_at)
                    for p in plans
                    if p.current and p.status != Status.GREEN
                }
                self.work_items(flagged, plans)
                self.red_alerts(flagged, people)
            # The rules have the last word: re-screening changes what the categories
            # above got wrong (nothing, as long as they agree), and opens an item
            # and raises an alert for whoever it turns red or yellow.
            result = rescreen(as_of=self.today)
            self.report.rows.update(rescreen_changed=result["changed"])
            with transaction.atomic():
                current = self.current_statuses()
                cases = self.isolation(current, plans, people)
                self.support(cases, people)
                self.vulnerable_calls(people)
        first = self.today - timedelta(days=DAYS - 1)
        days = [first + timedelta(days=n) for n in range(DAYS)]
        self.report.rows.update(daily_counts=daily_counts_rollup(days, site_ids=self.site_ids))
        return self.report

    def at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone)

    def caller(self, site_id: int) -> int | None:
        return self.health_user if site_id == self.focus_site else None

    # -- risk lists ------------------------------------------------------------------

    def risk_lists(self) -> list[Area]:
        """Two lists of two versions each; returns the areas in force."""
        t = self.today
        jianghan = _streets("420103")[:2]
        wuchang = _streets("420106")[:1]
        first = [
            Area("", "华南海鲜市场", Level.HIGH, t - timedelta(days=24), None),
            *(Area(s.code, s.name, Level.HIGH, t - timedelta(days=24), None) for s in jianghan),
            Area("420102", "江岸区", Level.MEDIUM, t - timedelta(days=24), None),
            Area("420104", "硚口区", Level.MEDIUM, t - timedelta(days=24), None),
            Area("420106", "武昌区", Level.LOW, t - timedelta(days=24), t + timedelta(days=6)),
        ]
        # A new version covers exposures from a few days before it was published.
        added = [
            *(Area(s.code, s.name, Level.HIGH, t - timedelta(days=12), None) for s in wuchang),
            Area("420111", "洪山区", Level.MEDIUM, t - timedelta(days=12), None),
            Area("", "白沙洲大市场", Level.MEDIUM, t - timedelta(days=12), None),
            Area("420105", "汉阳区", Level.LOW, t - timedelta(days=12), t + timedelta(days=10)),
        ]
        places_first = [
            Area("", "金银潭医院", Level.HIGH, t - timedelta(days=20), None),
            Area("", "汉口火车站", Level.MEDIUM, t - timedelta(days=20), None),
            Area("", "天河国际机场", Level.LOW, t - timedelta(days=20), t + timedelta(days=5)),
        ]
        places_added = [
            Area("", "武汉客厅方舱医院", Level.HIGH, t - timedelta(days=9), None),
            Area("", "汉正街小商品市场", Level.MEDIUM, t - timedelta(days=9), None),
        ]
        hubei, wuhan = list(LIST_SOURCES)
        # Leftovers of an earlier demo build (reset_world keeps lists nobody imported).
        RiskList.objects.filter(name__in=LIST_SOURCES).delete()
        versions = [
            (hubei, 1, 24, first, False),
            (hubei, 2, 9, first + added, True),
            (wuhan, 1, 20, places_first, False),
            (wuhan, 2, 6, places_first + places_added, True),
        ]
        rows = []
        for name, version, days_ago, areas, current in versions:
            risk_list = RiskList.objects.create(
                name=name,
                version=version,
                source=LIST_SOURCES[name],
                published_at=self.at(t - timedelta(days=days_ago), time(10)),
                imported_by_id=self.importer,
                file_name=f"{name}_第{version}版.xlsx",
                area_count=len(areas),
                current=current,
            )
            rows += [
                RiskArea(
                    risk_list=risk_list,
                    current=current,
                    division_code=a.code,
                    name=a.name,
                    level=a.level,
                    valid_from=a.valid_from,
                    valid_until=a.valid_until,
                )
                for a in areas
            ]
        RiskArea.objects.bulk_create(rows)
        self.report.rows.update(risk_lists=len(versions), risk_areas=len(rows))
        return [a for _n, _v, _d, areas, current in versions if current for a in areas]

    def place_pools(self, areas: list[Area]) -> dict[str | None, list[Place]]:
        """Places a resident may declare, by the highest level they match (None: on no
        list). Streets of every Wuhan district, the named places, other cities."""
        districts = dict(
            Division.objects.filter(
                level=Division.Level.DISTRICT, code__startswith="4201"
            ).values_list("code", "name")
        )
        candidates = [
            Place(code, f"武汉市{districts[code[:6]]}{name}")
            for code, name in Division.objects.filter(
                level=Division.Level.STREET, code__startswith="4201"
            )
            .order_by("code")
            .values_list("code", "name")
            if code[:6] in districts
        ]
        candidates += [
            Place(code, f"武汉市{districts.get(code, '')}{name}")
            for name, code in NAMED_PLACES.items()
        ]
        candidates += [Place(code, name) for code, name in ELSEWHERE]
        pools: dict[str | None, list[Place]] = defaultdict(list)
        for place in candidates:
            pools[_place_level(place, areas, None)].append(place)
        return pools

    # -- declarations ------------------------------------------------------------------

    def people(self) -> list[Person]:
        rows = (
            Resident.all_tenants.filter(site_id__in=self.site_ids)
            .order_by("site_id", "household_id", "id")
            .values_list(
                "pk",
                "site_id",
                "company_id",
                "household_id",
                "name",
                "lives_alone_elderly",
                "disabled",
                "chronic_illness",
                "pregnant",
            )
        )
        return [Person(pk, s, c, h, name, any(flags)) for pk, s, c, h, name, *flags in rows]

    def declarations(self, people: list[Person]) -> list[Plan]:
        rng = self.rng
        # Who went out through the gate this week was not red: the gate would have
        # refused them once it reads health status (access/selectors/status.py).
        went_out = set(
            AccessEvent.all_tenants.filter(
                site_id__in=self.site_ids, direction="out", decision="admit"
            )
            .exclude(resident_id=None)
            .values_list("resident_id", flat=True)
        )
        demo = [p for p in people if p.household_id == self.demo_household]
        declared = [
            p
            for p in people
            if p.household_id != self.demo_household and rng.random() < DECLARED_SHARE
        ]
        categories = _shares(CATEGORIES, len(declared), minimum=1 if len(declared) >= 50 else 0)
        reds = [c for c in categories if c in RED_CATEGORIES]
        others = [c for c in categories if c not in RED_CATEGORIES]
        rng.shuffle(declared)
        may_be_red = [p for p in declared if p.pk not in went_out]
        red_people = may_be_red[: len(reds)]
        chosen = {p.pk for p in red_people}
        rest = [p for p in declared if p.pk not in chosen]
        rng.shuffle(others)
        pairs = list(zip(red_people, reds, strict=False)) + list(zip(rest, others, strict=False))
        # The demo household: its first member came back from a high-risk place.
        pairs += [(p, "high" if i == 0 else "stayed") for i, p in enumerate(demo)]

        plans: list[Plan] = []
        for person, category in pairs:
            current = self.plan(person, category, current=True)
            if rng.random() < SUPERSEDED_SHARE and person.household_id != self.demo_household:
                earlier = rng.choices(list(EARLIER), weights=list(EARLIER.values()))[0]
                before = current.submitted_at - timedelta(days=rng.uniform(6, 16))
                plans.append(self.plan(person, earlier, current=False, at=before))
            plans.append(current)
        self.write_declarations(plans)
        return plans

    def plan(self, person: Person, category: str, *, current: bool, at=None) -> Plan:
        rng = self.rng
        if at is None:
            # Risk visits must lie in the last RISK_VISIT_DAYS, so declared since then.
            span = RISK_VISIT_DAYS if category in ("high", "medium") else WINDOW - 1
            at = self.now - timedelta(seconds=rng.uniform(900, span * 86_400))
            if person.household_id == self.demo_household:
                at = self.now - timedelta(days=3, hours=2)
        plan = Plan(person=person, category=category, submitted_at=at, current=current)
        day = timezone.localdate(at)
        if category in PLACE_CATEGORIES:
            level = PLACE_CATEGORIES[category]
            earliest = max(day - timedelta(days=12), self.today - timedelta(days=RISK_VISIT_DAYS))
            if not current or level is None or level == Level.LOW:
                earliest = day - timedelta(days=12)
            visits = [(rng.choice(self.pools[level]), _between(rng, earliest, day))]
            if rng.random() < 0.3:
                visits.append(
                    (rng.choice(self.pools[None]), _between(rng, day - timedelta(12), day))
                )
            if person.household_id == self.demo_household:
                visits = [(Place("420103", "武汉市江汉区华南海鲜市场"), day - timedelta(days=2))]
            plan.places = sorted(visits, key=lambda v: v[1])
            if any(p.code[:4] != "4201" for p, _d in visits) or rng.random() < 0.2:
                plan.transport = _transport(rng)
        plan.confirmed = category == "confirmed"
        plan.suspected = category == "suspected"
        if category in ("symptoms", "fever"):
            plan.symptoms = sorted(rng.sample(SYMPTOMS, rng.randint(1, 2)))
        if category == "fever":
            plan.symptoms = ["fever", *plan.symptoms]
            plan.temperature = Decimal(f"{rng.uniform(37.5, 38.8):.1f}")
        elif rng.random() < 0.9:
            plan.temperature = Decimal(f"{min(37.1, max(35.9, rng.gauss(36.5, 0.25))):.1f}")
        plan.status = CATEGORY_STATUS[category]
        return plan

    def write_declarations(self, plans: list[Plan]) -> None:
        rng = self.rng
        first_at: dict[int, datetime] = {}
        for plan in plans:
            pk = plan.person.pk
            first_at[pk] = min(first_at.get(pk, plan.submitted_at), plan.submitted_at)
        people = {plan.person.pk: plan.person for plan in plans}
        channels = (
            "self",
            "self",
            "self",
            "self",
            "self",
            "self",
            "self",
            "staff",
            "staff",
            "import",
        )
        channel_of = {pk: rng.choice(channels) for pk in people}
        consents = [
            {
                "company_id": p.company_id,
                "site_id": p.site_id,
                "resident_id": pk,
                "text_version": "2020.1",
                "channel": channel_of[pk],
                "given_at": first_at[pk] - timedelta(minutes=rng.randint(1, 5)),
                "created_at": first_at[pk],
                "updated_at": first_at[pk],
            }
            for pk, p in people.items()
        ]
        consent_of = dict(
            zip(people, insert_returning_pks(Consent, consents, ("resident_id",)), strict=True)
        )
        rows = [
            {
                "company_id": plan.person.company_id,
                "site_id": plan.person.site_id,
                "resident_id": plan.person.pk,
                "household_id": plan.person.household_id,
                "current": plan.current,
                "channel": channel_of[plan.person.pk],
                "consent_id": consent_of[plan.person.pk],
                "submitted_at": plan.submitted_at,
                "return_date": plan.places[-1][1] if plan.places else None,
                "transport": plan.transport,
                "contact_confirmed": plan.confirmed,
                "contact_suspected": plan.suspected,
                "symptoms": plan.symptoms,
                "has_symptoms": bool(plan.symptoms),
                "temperature": plan.temperature,
                "status": plan.status,
                "screened_at": plan.submitted_at,
                "created_at": plan.submitted_at,
                "updated_at": plan.submitted_at,
            }
            for plan in plans
        ]
        keys = insert_returning_pks(Declaration, rows, ("resident_id", "current"))
        places = []
        for plan, pk in zip(plans, keys, strict=True):
            plan.pk = pk
            places += [
                {
                    "company_id": plan.person.company_id,
                    "declaration_id": pk,
                    "division_code": place.code,
                    "place_name": place.name,
                    "visited_on": day,
                    "created_at": plan.submitted_at,
                    "updated_at": plan.submitted_at,
                }
                for place, day in plan.places
            ]
        insert_rows(DeclarationPlace, places)
        self.report.rows.update(
            consents=len(consents),
            declarations=len(rows),
            declarations_current=sum(1 for p in plans if p.current),
            declaration_places=len(places),
        )

    def current_statuses(self) -> dict[int, tuple[int, str, datetime]]:
        """Resident → (declaration, status, submitted) of the current reds and yellows,
        as stored after re-screening."""
        rows = Declaration.all_tenants.filter(
            site_id__in=self.site_ids, current=True, status__in=[Status.RED, Status.YELLOW]
        ).values_list("resident_id", "pk", "status", "submitted_at")
        found = {rid: (pk, status, at) for rid, pk, status, at in rows}
        counts = Counter(status for _pk, status, _at in found.values())
        self.report.rows.update(red=counts[Status.RED], yellow=counts[Status.YELLOW])
        return found

    # -- worklist -----------------------------------------------------------------------

    def work_items(self, current: dict, plans: list[Plan]) -> None:
        """An item for every current red and yellow (unless re-screening made one), a
        closed one for each earlier red or yellow now green; calls on the older ones."""
        rng = self.rng
        person_of = {p.person.pk: p.person for p in plans}
        has_open = set(
            WorkItem.all_tenants.filter(site_id__in=self.site_ids)
            .exclude(state=WorkItem.State.CLOSED)
            .values_list("resident_id", flat=True)
        )
        rows = []
        for rid, (decl, status, at) in current.items():
            if rid in has_open:
                continue
            p = person_of[rid]
            rows.append(self.item_row(p, decl, status, at + timedelta(minutes=rng.randint(1, 30))))
        for plan in plans:
            if plan.current or plan.status == Status.GREEN or plan.person.pk in current:
                continue
            row = self.item_row(plan.person, plan.pk, plan.status, plan.submitted_at)
            row["state"] = WorkItem.State.CLOSED
            row["closed_at"] = plan.submitted_at + timedelta(days=rng.uniform(1, 4))
            rows.append(row)
        insert_rows(WorkItem, rows)

        items = list(
            WorkItem.all_tenants.filter(site_id__in=self.site_ids)
            .order_by("id")
            .values_list("pk", "resident_id", "site_id", "company_id", "state", "created_at")
        )
        states: dict[str, list[int]] = defaultdict(list)
        calls = []
        for pk, _rid, site_id, company_id, state, created in items:
            age = (self.now - created).total_seconds() / 86_400
            if state == WorkItem.State.CLOSED:
                outcomes = [FollowUpCall.Outcome.REACHED]
            elif age < 1 and rng.random() < 0.8:
                continue  # new today: still to call
            else:
                roll = rng.random()
                if roll < 0.6:
                    state, last = WorkItem.State.FOLLOWING, FollowUpCall.Outcome.REACHED
                elif roll < 0.85:
                    state, last = WorkItem.State.REFERRED, FollowUpCall.Outcome.REFERRED
                else:
                    state, last = WorkItem.State.OPEN, FollowUpCall.Outcome.NO_ANSWER
                states[state].append(pk)
                before = [FollowUpCall.Outcome.NO_ANSWER] * (rng.random() < 0.3)
                if rng.random() < 0.2 and last != FollowUpCall.Outcome.NO_ANSWER:
                    before.append(FollowUpCall.Outcome.SYMPTOMS)
                outcomes = [*before, last]
            span = max(0.05, min(age, 3.0))
            moments = sorted(rng.uniform(0.02, span) for _ in outcomes)
            for outcome, days in zip(outcomes, moments, strict=True):
                called = min(created + timedelta(days=days), self.now)
                calls.append(
                    {
                        "company_id": company_id,
                        "site_id": site_id,
                        "work_item_id": pk,
                        "called_at": called,
                        "outcome": outcome,
                        "notes": rng.choice(CALL_NOTES[outcome]),
                        "caller_id": self.caller(site_id),
                        "created_at": called,
                        "updated_at": called,
                    }
                )
        referred = states.get(WorkItem.State.REFERRED, [])
        WorkItem.all_tenants.filter(pk__in=states.get(WorkItem.State.FOLLOWING, [])).update(
            state=WorkItem.State.FOLLOWING
        )
        WorkItem.all_tenants.filter(pk__in=referred).update(
            state=WorkItem.State.REFERRED, referred_to="社区卫生服务站"
        )
        insert_rows(FollowUpCall, calls)
        self.report.rows.update(work_items=len(items), follow_up_calls=len(calls))

    def item_row(self, p: Person, declaration: int, status: str, at: datetime) -> dict:
        return {
            "company_id": p.company_id,
            "site_id": p.site_id,
            "resident_id": p.pk,
            "household_id": p.household_id,
            "declaration_id": declaration,
            "level": status,
            "state": WorkItem.State.OPEN,
            "created_at": at,
            "updated_at": at,
        }

    # -- isolation ----------------------------------------------------------------------

    def isolation(self, current: dict, plans: list[Plan], people: list[Person]) -> list[tuple]:
        """Cases for most current reds, released ones for the earlier wave; twice-daily
        checks, missed-check and fever alerts. Returns (case, person) pairs."""
        rng = self.rng
        person_of = {p.pk: p for p in people}
        facilities = self.facilities()
        room = {pk: capacity for pk, (_c, capacity) in facilities.items()}
        by_company: dict[int, list[int]] = defaultdict(list)
        for pk, (company_id, _capacity) in facilities.items():
            by_company[company_id].append(pk)

        demo_first = [
            p.pk for p in people if p.household_id == self.demo_household and p.pk in current
        ][:1]
        reds = [
            rid
            for rid, (_d, status, _at) in sorted(current.items())
            if status == Status.RED and rid not in demo_first
        ]
        active = demo_first + [rid for rid in reds if rng.random() < ISOLATED_SHARE]
        # The earlier wave: reds of a superseded declaration old enough to be released.
        earlier: dict[int, date] = {}
        for p in plans:
            day = timezone.localdate(p.submitted_at)
            if (
                not p.current
                and p.status == Status.RED
                and p.person.pk not in current
                and day <= self.today - timedelta(days=16)
            ):
                earlier.setdefault(p.person.pk, day)
        if not earlier:  # a small world: a close contact the authority traced
            traced = next(
                (
                    p
                    for p in people
                    if p.pk not in current and p.household_id != self.demo_household
                ),
                None,
            )
            if traced:
                earlier[traced.pk] = self.today - timedelta(days=20)
        cases = []
        for n, rid in enumerate(active):
            submitted = timezone.localdate(current[rid][2])
            start = min(self.today, submitted + timedelta(days=rng.choice((0, 0, 1))))
            is_demo = n == 0 and bool(demo_first)
            cases.append(self.case_row(person_of[rid], start, by_company, room, demo=is_demo))
        for rid, day in sorted(earlier.items()):
            row = self.case_row(person_of[rid], day, by_company, room, demo=False)
            end = day + timedelta(days=14)
            row.update(
                planned_end=end,
                state=IsolationCase.State.RELEASED,
                released_at=self.at(end, time(10, rng.randint(0, 59))),
                release_note=RELEASE_NOTE,
                released_by_id=self.caller(person_of[rid].site_id),
            )
            cases.append(row)
        keys = insert_returning_pks(IsolationCase, cases, ("resident_id",))
        open_cases = [(pk, row) for pk, row in zip(keys, cases, strict=True)]
        escalate = self.checks(open_cases, demo=demo_first)
        IsolationCase.all_tenants.filter(pk__in=escalate).update(
            state=IsolationCase.State.ESCALATED
        )
        self.report.rows.update(isolation_cases=len(cases), escalated=len(escalate))
        return [(pk, person_of[row["resident_id"]], row) for pk, row in open_cases]

    def facilities(self) -> dict[int, tuple[int, int]]:
        """One or two centralised points per company: pk → (company, capacity)."""
        rng = self.rng
        companies = sorted({s.company_id for s in self.sites})
        names = ("如家酒店", "锦江之星酒店", "汉庭酒店", "区党校培训中心", "职业技术学院学生公寓")
        rows = []
        for company_id in companies:
            for i in range(rng.randint(1, 2)):
                name = f"{rng.choice(names)}集中隔离点" + ("（二）" if i else "")
                rows.append(
                    IsolationFacility(
                        company_id=company_id,
                        name=name,
                        address=f"武汉市{rng.choice(('江汉区', '武昌区', '洪山区', '江岸区'))}",
                        capacity=rng.choice((30, 50, 80, 120, 200)),
                    )
                )
        IsolationFacility.all_tenants.bulk_create(rows)
        self.report.rows.update(isolation_facilities=len(rows))
        return {f.pk: (f.company_id, f.capacity) for f in rows}

    def case_row(self, p: Person, start: date, by_company, room, *, demo: bool) -> dict:
        rng = self.rng
        facility = None
        if not demo and rng.random() < CENTRAL_SHARE:
            free = [f for f in by_company.get(p.company_id, []) if room[f] > 0]
            if free:
                facility = rng.choice(free)
                room[facility] -= 1
        days = 14 if rng.random() < 0.9 else 21  # a few were extended after a fever
        opened = self.at(start, time(rng.randint(8, 18), rng.randint(0, 59)))
        return {
            "company_id": p.company_id,
            "site_id": p.site_id,
            "resident_id": p.pk,
            "household_id": p.household_id,
            "kind": IsolationCase.Kind.CENTRAL if facility else IsolationCase.Kind.HOME,
            "facility_id": facility,
            "reason": "自高风险地区返回" if rng.random() < 0.7 else "密切接触者",
            "start_date": start,
            "planned_end": start + timedelta(days=days),
            "state": IsolationCase.State.ACTIVE,
            "opened_by_id": self.caller(p.site_id),
            "released_at": None,
            "release_note": "",
            "released_by_id": None,
            "created_at": min(opened, self.now),
            "updated_at": min(opened, self.now),
        }

    def checks(self, cases: list[tuple[int, dict]], *, demo: list[int]) -> list[int]:
        """Twice-daily checks; returns the cases a fever escalated."""
        rng = self.rng
        # A fever needs a day or two of checks before it: cases older than that.
        settled = self.today - timedelta(days=2)
        active = [
            pk
            for pk, row in cases
            if row["state"] == IsolationCase.State.ACTIVE
            and row["resident_id"] not in demo
            and row["start_date"] <= settled
        ]
        ill = set(rng.sample(active, max(1 if active else 0, round(len(active) * ESCALATED_SHARE))))
        checks, alerts, escalated = [], [], []
        missed_any = False
        for pk, row in cases:
            is_demo = row["resident_id"] in demo
            # A released case was checked up to the day before its release.
            last = row["planned_end"] - timedelta(days=1) if row["released_at"] else self.today
            fever_day = None
            if pk in ill:
                span = (last - row["start_date"]).days
                fever_day = row["start_date"] + timedelta(
                    days=rng.randint(min(2, span - 1), span - 1)
                )
            day = row["start_date"]
            opened_late = timezone.localtime(row["created_at"]).hour >= 12
            while day <= last:
                for slot, (opens, due) in SLOTS.items():
                    if day == row["start_date"] and slot == "am" and opened_late:
                        continue
                    opened, deadline = self.at(day, opens), self.at(day, due)
                    if opened > self.now:
                        continue
                    if is_demo and day == self.today and deadline > self.now:
                        # The demo resident's check of today is still to do (after 20:00,
                        # when the evening slot has closed, it was done: a world built
                        # then must leave the missed-check job nothing to raise).
                        continue
                    fever = fever_day == day and slot == "pm"
                    miss = not fever and not is_demo and rng.random() < MISSED_CHANCE
                    if deadline > self.now and not fever and rng.random() < 0.4:
                        continue  # due later today
                    if miss and deadline <= self.now:
                        missed_any = True
                        alerts.append(self.missed(pk, row, day, slot, deadline))
                        continue
                    checks.append(self.check(pk, row, day, slot, opened, deadline, fever=fever))
                    if fever:
                        escalated.append(pk)
                        alerts.append(self.fever(pk, row, checks[-1]))
                day += timedelta(days=1)
        if not missed_any:  # small worlds: one missed check to show all the same
            for pk, row in cases:
                if row["resident_id"] in demo or row["state"] != IsolationCase.State.ACTIVE:
                    continue
                day = self.today - timedelta(days=1)
                if row["start_date"] <= day:
                    key = (pk, day, "am")
                    checks[:] = [c for c in checks if (c["case_id"], c["day"], c["slot"]) != key]
                    alerts.append(self.missed(pk, row, day, "am", self.at(day, SLOTS["am"][1])))
                    break
        insert_rows(IsolationCheck, checks)
        insert_rows(HealthAlert, alerts)
        self.report.rows.update(isolation_checks=len(checks), health_alerts=len(alerts))
        return escalated

    def check(self, pk, row, day, slot, opened, deadline, *, fever: bool) -> dict:
        rng = self.rng
        central = row["kind"] == IsolationCase.Kind.CENTRAL
        staff = central or rng.random() < 0.3
        latest = min(deadline, self.now)
        taken = opened + timedelta(seconds=rng.uniform(0, (latest - opened).total_seconds() * 0.7))
        if fever:
            temperature = Decimal(f"{rng.uniform(37.6, 38.8):.1f}")
            symptoms = ["fever", rng.choice(SYMPTOMS)]
        else:
            temperature = Decimal(f"{min(37.1, max(35.9, rng.gauss(36.5, 0.25))):.1f}")
            symptoms = []
        return {
            "company_id": row["company_id"],
            "site_id": row["site_id"],
            "case_id": pk,
            "day": day,
            "slot": slot,
            "taken_at": taken,
            "temperature": temperature,
            "symptoms": symptoms,
            "by": IsolationCheck.By.STAFF if staff else IsolationCheck.By.SELF,
            "recorded_by_id": self.caller(row["site_id"]) if staff else None,
            "created_at": taken,
            "updated_at": taken,
        }

    # Keys and texts as health.isolation raises them, so its periodic job finds
    # these already raised and adds no second one.

    def missed(self, pk, row, day, slot, deadline) -> dict:
        name = self.names[row["resident_id"]]
        return self.alert(
            row,
            kind=HealthAlert.Kind.MISSED_CHECK,
            key=f"{pk}:{day.isoformat()}:{slot}",
            case=pk,
            message=f"{name} {day:%m-%d}{SLOT_LABELS[slot]}体温检测未上报",
            at=deadline,
        )

    def fever(self, pk, row, check) -> dict:
        name = self.names[row["resident_id"]]
        symptoms = "、".join(str(Symptom(s).label) for s in check["symptoms"])
        what = f"体温 {check['temperature']}℃，{symptoms}"
        return self.alert(
            row,
            kind=HealthAlert.Kind.FEVER,
            key=f"{pk}:{check['day'].isoformat()}:{check['slot']}",
            case=pk,
            message=f"{name} {check['day']:%m-%d}{SLOT_LABELS[check['slot']]}：{what}"[:200],
            at=check["taken_at"],
        )

    def red_alerts(self, flagged: dict, people: list[Person]) -> None:
        """The alert screening raises for a red, as it would have when each was
        declared (same key: re-screening adds none for them)."""
        rows = []
        for person in people:
            decl, status, at = flagged.get(person.pk, (None, None, None))
            if status == Status.RED:
                row = {
                    "company_id": person.company_id,
                    "site_id": person.site_id,
                    "resident_id": person.pk,
                }
                rows.append(
                    self.alert(
                        row,
                        kind=HealthAlert.Kind.RED_SCREENING,
                        key=f"declaration:{decl}",
                        case=None,
                        message=red_alert_message(person.name),
                        at=at,
                    )
                )
        insert_rows(HealthAlert, rows)
        self.report.rows.update(health_alerts=len(rows))

    def alert(self, row, *, kind, key, case, message, at) -> dict:
        done = at < self.now - timedelta(hours=6)
        return {
            "company_id": row["company_id"],
            "site_id": row["site_id"],
            "kind": kind,
            "key": key,
            "case_id": case,
            "resident_id": row["resident_id"],
            "message": message,
            "due_at": at,
            "acknowledged_at": at + timedelta(minutes=self.rng.randint(5, 90)) if done else None,
            "acknowledged_by_id": self.caller(row["site_id"]) if done else None,
            "created_at": at,
            "updated_at": at,
        }

    # -- support ------------------------------------------------------------------------

    def support(self, cases: list[tuple], people: list[Person]) -> None:
        rng = self.rng
        helpers: dict[int, list[int]] = defaultdict(list)
        for pk, site_id in (
            Staff.all_tenants.filter(
                site_id__in=self.site_ids, position__in=("service", "health", "manager")
            )
            .order_by("id")
            .values_list("pk", "site_id")
        ):
            helpers[site_id].append(pk)
        asks: list[tuple[Person, int | None, datetime, datetime]] = []  # who, case, from, to
        for pk, person, row in cases:
            begin = self.at(row["start_date"], time(9))
            end = row["released_at"] or self.now
            for _ in range(rng.randint(1, 3)):
                asks.append((person, pk, begin, max(begin, end)))
        vulnerable = {p.household_id: p for p in people if p.vulnerable}
        for household_id in sorted(vulnerable):
            if rng.random() < 0.25:
                asks.append(
                    (vulnerable[household_id], None, self.now - timedelta(days=14), self.now)
                )
        kinds = list(SUPPORT_KINDS)
        weights = [SUPPORT_KINDS[k][0] for k in kinds]
        rows = []
        for person, case, begin, end in asks:
            kind = rng.choices(kinds, weights=weights)[0]
            at = begin + (end - begin) * rng.random()
            rows.append(self.request(person, case, kind, at, helpers[person.site_id]))
        rows += self.demo_requests(cases, helpers)
        insert_rows(SupportRequest, rows)
        urgent = (
            SupportRequest.all_tenants.filter(
                site_id__in=self.site_ids,
                urgency=SupportRequest.Urgency.URGENT,
                state__in=[SupportRequest.State.OPEN, SupportRequest.State.ASSIGNED],
            )
            .order_by("id")
            .values("pk", "company_id", "site_id", "resident_id", "case_id", "requested_at")
        )
        alerts = [
            self.alert(
                r,
                kind=HealthAlert.Kind.URGENT_SUPPORT,
                key=f"support:{r['pk']}",
                case=r["case_id"],
                message="紧急求助待处理",
                at=r["requested_at"],
            )
            for r in urgent
        ]
        insert_rows(HealthAlert, alerts)
        states = Counter(r["state"] for r in rows)
        self.report.rows.update(
            support_requests=len(rows),
            **{f"support_{s}": n for s, n in sorted(states.items())},
            health_alerts=len(alerts),
        )

    def request(
        self, person: Person, case, kind: str, at: datetime, helpers: list[int], state=None
    ) -> dict:
        """A request made at `at`, assigned minutes later and delivered hours later;
        its state is where that timeline stands now (or `state`, for the demo's)."""
        rng = self.rng
        _share, details, (low, high) = SUPPORT_KINDS[kind]
        urgent = (
            kind == SupportRequest.Kind.MEDICAL_TRANSPORT
            or (kind == SupportRequest.Kind.MEDICINE and rng.random() < 0.3)
            or rng.random() < 0.03
        )
        assigned = at + timedelta(minutes=rng.uniform(2, 15) if urgent else rng.uniform(5, 60))
        done = assigned + timedelta(hours=rng.uniform(low, high) * (0.6 if urgent else 1))
        if state is None:
            if done <= self.now:
                state = "cancelled" if rng.random() < 0.04 else "done"
            else:
                state = "assigned" if assigned <= self.now else "open"
        keep_assigned = state in ("assigned", "done") and helpers
        return {
            "company_id": person.company_id,
            "site_id": person.site_id,
            "household_id": person.household_id,
            "resident_id": person.pk,
            "case_id": case,
            "kind": kind,
            "urgency": "urgent" if urgent else "normal",
            "details": rng.choice(details),
            "state": state,
            "requested_at": at,
            "assigned_to_id": rng.choice(helpers) if keep_assigned else None,
            "assigned_at": assigned if keep_assigned else None,
            "done_at": done if state == "done" else None,
            "proof_note": rng.choice(PROOF_NOTES) if state == "done" else "",
            "created_at": at,
            "updated_at": min(self.now, done) if state == "done" else at,
        }

    def demo_requests(self, cases: list[tuple], helpers) -> list[dict]:
        """At the demo logins' site, one request in each state whatever the hour."""
        here = [(pk, person) for pk, person, _row in cases if person.site_id == self.focus_site]
        if not here:
            return []
        pk, person = here[0]
        now = self.now
        plan = [
            (SupportRequest.Kind.MEDICINE, now - timedelta(minutes=25), "open"),
            (SupportRequest.Kind.GROCERIES, now - timedelta(minutes=90), "assigned"),
            (SupportRequest.Kind.GARBAGE, now - timedelta(days=1, hours=3), "done"),
            (SupportRequest.Kind.OTHER, now - timedelta(days=2), "cancelled"),
        ]
        rows = []
        for kind, at, state in plan:
            row = self.request(person, pk, kind, at, helpers[person.site_id], state=state)
            if state == "assigned" and row["assigned_at"] and row["assigned_at"] > now:
                row["assigned_at"] = now - timedelta(minutes=30)
            rows.append(row)
        rows[0]["urgency"] = SupportRequest.Urgency.URGENT
        rows[0]["details"] = "家中老人降压药已用完，急需代购"
        return rows

    # -- vulnerable residents ------------------------------------------------------------

    def vulnerable_calls(self, people: list[Person]) -> None:
        """Calls about weekly over the last month; the latest 0-12 days ago, so some
        are due one today."""
        rng = self.rng
        outcomes = list(VulnerableCheck.Outcome)
        notes = {
            "well": ("身体状况良好，物资充足", "已提醒按时服药"),
            "needs_help": ("需要代购药品，已登记帮扶需求", "独居，需要送菜上门"),
            "no_answer": ("电话无人接听，已请邻居代为查看",),
        }
        rows = []
        for p in people:
            if not p.vulnerable:
                continue
            latest = self.now - timedelta(days=rng.uniform(0.05, 12))
            at = latest
            while at > self.now - timedelta(days=VULNERABLE_HISTORY_DAYS):
                outcome = rng.choices(outcomes, weights=(0.8, 0.1, 0.1))[0]
                rows.append(
                    {
                        "company_id": p.company_id,
                        "site_id": p.site_id,
                        "resident_id": p.pk,
                        "called_at": at,
                        "outcome": outcome,
                        "notes": rng.choice(notes[outcome]),
                        "caller_id": self.caller(p.site_id),
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                at -= timedelta(
                    days=rng.uniform(VULNERABLE_CALL_DAYS - 2, VULNERABLE_CALL_DAYS + 3)
                )
        insert_rows(VulnerableCheck, rows)
        self.report.rows.update(vulnerable_checks=len(rows))


# --- matching places, to pick what residents declare ------------------------------------------


def _place_level(place: Place, areas: list[Area], on: date | None) -> str | None:
    """The highest level of the areas a place lies in (on that day, if given)."""
    best = None
    for area in areas:
        if area.code:
            if not place.code.startswith(area.code):
                continue
        elif area.name not in place.name:
            continue
        if on is not None and not (
            area.valid_from <= on and (area.valid_until is None or on <= area.valid_until)
        ):
            continue
        if best is None or LEVEL_ORDER[area.level] > LEVEL_ORDER[best]:
            best = area.level
    return best


# --- small helpers -------------------------------------------------------------------------------


def _streets(district: str) -> list[Place]:
    return [
        Place(code, name)
        for code, name in Division.objects.filter(
            level=Division.Level.STREET, code__startswith=district
        )
        .order_by("code")
        .values_list("code", "name")
    ]


def _shares(shares: dict[str, float], n: int, *, minimum: int) -> list[str]:
    counts = apportion(n, list(shares.values()), minimum=minimum)
    return [name for name, k in zip(shares, counts, strict=True) for _ in range(k)]


def _between(rng: random.Random, first: date, last: date) -> date:
    if last <= first:
        return last
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _transport(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"{rng.choice(TRAINS)}{rng.randint(10, 2999)}"
    return f"{rng.choice(AIRLINES)}{rng.randint(1000, 9999)}"


def insert_rows(model: type[models.Model], rows: list[dict]) -> None:
    """The world builder's bulk insert, with datetimes and JSON made driver values
    first, as the ORM stores them (SQLite: UTC text; JSON: text). Done here rather
    than by each field's get_db_prep_save, which costs ~20 µs a value. The rows
    given are left as they were: the builder reads them again."""
    if not rows:
        return
    stamps = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateTimeField) and f.attname in rows[0]
    ]
    texts = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.JSONField) and f.attname in rows[0]
    ]
    if connection.vendor != "sqlite":
        stamps = []  # psycopg takes aware datetimes as they are
    if stamps or texts:
        # A row often repeats one moment (submitted, created, updated): convert each
        # object once. The rows hold them all for the whole call, so ids are unique.
        seen: dict[int, str | None] = {}

        def utc(value: datetime | None) -> str | None:
            key = id(value)
            if key not in seen:
                seen[key] = None if value is None else str(value.astimezone(UTC))[:-6]
            return seen[key]

        rows = [
            {
                **row,
                **{name: utc(row[name]) for name in stamps},
                **{name: json.dumps(row[name], ensure_ascii=False) for name in texts},
            }
            for row in rows
        ]
    _insert_rows(model, rows)


def insert_returning_pks(
    model: type[models.Model], rows: list[dict], key: tuple[str, ...]
) -> list[int]:
    """`world.insert_returning_pks` over the insert above: pks in order, re-read by
    `key`, whose first column holds only values new in this batch."""
    insert_rows(model, rows)
    firsts = {row[key[0]] for row in rows}
    found = model._default_manager.filter(**{f"{key[0]}__in": firsts}).values_list("pk", *key)
    pks = {tuple(values): pk for pk, *values in found}
    return [pks[tuple(row[k] for k in key)] for row in rows]
