"""The demo world: associations, member companies, sites, buildings, households,
residents, staff and the demo logins, built from one seed.

Two sizes share one code path: `demo` (what `./firstline demo` loads, seconds) and
`wuhan` (the article's Wuhan: 846 companies, ~2,000 sites, ~1,000,000 residents).
Everything large is written with `bulk_create` in batches, one transaction per
batch group, and the personal columns are sealed in a tight loop (see `Sealer`):
at a million residents the per-row cost is what decides minutes versus hours.

This is a system job across tenants, so it uses the `all_tenants` managers.
"""

from __future__ import annotations

import hmac
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg import sql

from firstline.core.personal.crypto import MASKERS, keyring
from firstline.core.roles import Role
from firstline.estates.models import Building, Household, Resident, Site, Staff
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership, RoleAssignment, User
from firstline.orgs.validators import CREDIT_CODE_CHARS, credit_code_check_char
from firstline.scenario.people import PeopleFactory, Person, name_initials

DEMO_PASSWORD = "firstline-demo"  # noqa: S105 - the published password of the demo logins
NATIONAL_ASSOCIATION = "中国物业管理协会"
LOCAL_ASSOCIATION = "武汉市物业管理协会"
WUHAN_CODE = "4201"
# The demo's first site sits in 江汉区 so that `authority_jianghan` sees it.
FIRST_DISTRICT_CODE = "420103"
# Birth years are relative to the article's spring.
YEAR = 2020


# --- sizes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How big a world is. `batch` is rows per bulk insert and per transaction."""

    companies: int
    sites: int
    residents: int
    staff: int
    batch: int = 5_000


SCALES: dict[str, Scale] = {
    "demo": Scale(companies=24, sites=100, residents=20_000, staff=1_500),
    # ~100,000 property staff on duty in Wuhan every day (SCENARIO.md).
    "wuhan": Scale(companies=846, sites=2_000, residents=1_000_000, staff=100_000, batch=10_000),
}


@dataclass(frozen=True)
class ScaleOverride:
    """Change some figures of a scale, e.g. a tiny world for tests."""

    companies: int | None = None
    sites: int | None = None
    residents: int | None = None
    staff: int | None = None
    batch: int | None = None

    def apply(self, base: Scale) -> Scale:
        changes = {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }
        size = replace(base, **changes)
        if size.companies < 2 or size.sites < size.companies or size.residents < 1:
            raise ValueError("a world needs two companies, a site for each and a resident")
        return size


# Shares of site types; residential compounds are most of what members manage.
SITE_TYPE_SHARES: dict[str, float] = {
    Site.Type.RESIDENTIAL: 0.68,
    Site.Type.OFFICE: 0.08,
    Site.Type.HOSPITAL: 0.06,
    Site.Type.ISOLATION: 0.02,  # hotels and training centres used as isolation points
    Site.Type.INDUSTRIAL: 0.05,
    Site.Type.CAMPUS: 0.05,
    Site.Type.COMMERCIAL: 0.04,
    Site.Type.TRANSPORT: 0.02,
}


# --- names of organisations and places ------------------------------------------------

FIRST_COMPANIES = (("武汉安居物业服务有限公司", "anju"), ("武汉华城物业服务有限公司", "huacheng"))
COMPANY_PREFIXES = ("武汉", "湖北", "武汉市")
COMPANY_FIRST = "安福万金瑞祥泰嘉恒宏鑫盛德和康景宁汇永兴隆丰明信达联佳华"
COMPANY_SECOND = "居城家园苑邦业源晟成润鸿锦誉通美庭诚泽悦盈豪屹"
COMPANY_SUFFIXES = (
    "物业服务有限公司",
    "物业管理有限公司",
    "物业发展有限公司",
    "物业服务集团有限公司",
)
MEMBERSHIP_LEVELS = ("会员单位",) * 6 + ("理事单位",) * 3 + ("常务理事单位", "副会长单位")

# fmt: off
PLACE_WORDS = (
    "锦绣", "阳光", "翠湖", "金色", "百合", "东方", "幸福", "和平", "紫薇", "桂花", "丽水", "碧波",
    "春华", "秋实", "江景", "汉水", "晴川", "黄鹤", "东湖", "南湖", "沙湖", "月湖", "梅园", "竹苑",
    "兰亭", "枫林", "松涛", "银杏", "海棠", "玉兰", "芙蓉", "博雅", "书香", "文华", "怡景", "康乐",
    "长乐", "福星", "瑞景", "泰和", "宏图", "盛世", "御景", "天悦", "星河", "润园", "楚天", "琴台",
    "珞珈", "桃源", "清江", "汉江", "长江", "复兴", "振兴", "光华", "新城", "常青", "青年", "红旗",
    "建设", "知音", "江城", "水岸", "金地", "中南", "首义",
)
SITE_SUFFIXES: dict[str, tuple[str, ...]] = {
    Site.Type.RESIDENTIAL: ("花园", "小区", "家园", "苑", "公寓", "新村", "城", "雅居", "华府", "名邸"),
    Site.Type.OFFICE: ("大厦", "国际中心", "金融中心", "商务中心", "国际广场"),
    Site.Type.INDUSTRIAL: ("产业园", "工业园", "科技园", "物流园", "创意园"),
    Site.Type.CAMPUS: ("学院", "职业技术学院", "中学", "实验学校", "外国语学校"),
    Site.Type.HOSPITAL: ("医院", "人民医院", "中医医院", "妇幼保健院", "康复医院"),
    Site.Type.COMMERCIAL: ("广场", "购物中心", "商业街", "天地", "城市广场"),
    Site.Type.TRANSPORT: ("客运站", "地铁站", "公交枢纽", "客运码头", "长途汽车站"),
    Site.Type.ISOLATION: ("酒店集中隔离点", "培训中心隔离点", "集中隔离观察点"),
}
ROADS = (
    "解放大道", "建设大道", "中山大道", "京汉大道", "武珞路", "珞喻路", "雄楚大道", "民族大道",
    "和平大道", "友谊大道", "汉阳大道", "鹦鹉大道", "发展大道", "黄浦大街", "新华路", "青年路",
    "江汉路", "沿江大道", "徐东大街", "光谷大道", "武胜路", "航空路", "姑嫂树路", "二七路",
    "八一路", "中南路", "楚汉路", "工农路", "团结大道", "金银湖路",
)
# fmt: on
ORDINALS = "二三四五六七八九"

# Non-residential buildings: (names, floors range) per site type.
BUILDINGS: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    Site.Type.OFFICE: (("A座", "B座", "C座", "D座"), (15, 45)),
    Site.Type.INDUSTRIAL: (tuple(f"{i}号厂房" for i in range(1, 9)), (1, 5)),
    Site.Type.CAMPUS: (
        ("教学楼", "图书馆", "实验楼", "行政楼", "食堂", "1号宿舍楼", "2号宿舍楼", "体育馆"),
        (3, 8),
    ),
    Site.Type.HOSPITAL: (("门诊楼", "住院部", "医技楼", "发热门诊", "行政楼", "后勤楼"), (3, 20)),
    Site.Type.COMMERCIAL: (("主楼", "A区", "B区", "停车楼"), (4, 8)),
    Site.Type.TRANSPORT: (("候车大厅", "出发层", "到达层", "换乘大厅"), (1, 3)),
    Site.Type.ISOLATION: (("隔离楼", "医护工作楼", "后勤楼"), (4, 12)),
}

# Staff positions after the one manager and the health officers, with shares.
STAFF_SHARES = (
    (Staff.Position.GUARD, 0.40),
    (Staff.Position.CLEANER, 0.35),
    (Staff.Position.MAINTENANCE, 0.15),
    (Staff.Position.SERVICE, 0.10),
)


# --- plans (pure Python, decided before anything is written) ----------------------------


@dataclass
class SitePlan:
    company: int
    site_type: str
    district: Division
    community: Division
    street: Division
    name: str
    residents: int = 0
    staff: int = 0
    pk: int | None = None


@dataclass
class Member:
    """One person of a household and what the front line needs to know about them."""

    person: Person
    relation: str
    alone: bool = False
    disabled: bool = False
    chronic: bool = False
    pregnant: bool = False


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class WorldReport:
    scale: str
    seed: int
    size: Scale
    steps: list[Step] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    accounts_path: Path | None = None

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


# --- sealing --------------------------------------------------------------------------


class Sealer:
    """`core.crypto.seal` with the per-call overhead taken out: the key ring is read
    once, nonces come from one large random read. Same layout, same HMAC, so
    `get_personal` and `lookup_digest` work on what this writes."""

    NONCES_PER_READ = 4096

    def __init__(self):
        ring = keyring()
        self._encrypt = ring.keys[ring.active].encrypt
        self._prefix = ring.active.encode() + b":"
        self._hmac_key = ring.hmac_key
        self._pool = b""
        self._pos = 0

    def _nonce(self) -> bytes:
        if self._pos >= len(self._pool):
            self._pool = os.urandom(12 * self.NONCES_PER_READ)
            self._pos = 0
        nonce = self._pool[self._pos : self._pos + 12]
        self._pos += 12
        return nonce

    def columns(self, kind: str, value: str) -> dict[str, object]:
        """The four stored columns of one value, as model keyword arguments."""
        nonce = self._nonce()
        context = kind.encode()
        sealed = self._prefix + nonce + self._encrypt(nonce, value.encode(), context)
        digest = hmac.digest(self._hmac_key, context + b":" + value.encode(), "sha256").hex()
        enc, mac, last4, masked = _COLUMN_NAMES[kind]
        return {enc: sealed, mac: digest, last4: value[-4:], masked: MASKERS[kind](value)}


_COLUMN_NAMES = {
    kind: (f"{kind}_enc", f"{kind}_hmac", f"{kind}_last4", f"{kind}_masked") for kind in MASKERS
}


# --- the builder ---------------------------------------------------------------------


def build_world(
    *,
    scale: str = "demo",
    seed: int = 2020,
    size: ScaleOverride | None = None,
    log: Callable[[str], None] | None = None,
) -> WorldReport:
    """Build a whole world into an empty database and write the demo logins file."""
    base = SCALES[scale]
    builder = WorldBuilder(scale=scale, seed=seed, size=size.apply(base) if size else base, log=log)
    return builder.build()


class WorldBuilder:
    """Builds one world step by step. All randomness comes from one seeded stream, in
    a fixed order, so a seed always gives the same world."""

    def __init__(self, *, scale: str, seed: int, size: Scale, log: Callable[[str], None] | None):
        self.report = WorldReport(scale=scale, seed=seed, size=size)
        self.size = size
        self.rng = random.Random(seed)
        self.people = PeopleFactory(self.rng)
        self.sealer = Sealer()
        self.log = log or (lambda message: None)
        self.site_names: set[str] = set()
        self.company_names: set[str] = {name for name, _ in FIRST_COMPANIES}
        self.credit_codes: set[str] = set()

    def build(self) -> WorldReport:
        with self.step("divisions") as step:
            self.load_divisions(step)
        with self.step("organisations") as step:
            self.build_organisations(step)
        with self.step("sites") as step:
            self.build_sites(step)
        with self.step("estates") as step:
            self.build_estates(step)
        with self.step("staff") as step:
            self.build_staff(step)
        with self.step("accounts") as step:
            self.build_accounts(step)
        if self.report.scale == "demo":
            with self.step("access") as step:
                self.build_access(step)
            with self.step("health") as step:
                self.build_health(step)
            with self.step("sanitation") as step:
                self.build_sanitation(step)
        # Supplies at both scales: at wuhan scale it is the article's 140 batches.
        with self.step("supplies") as step:
            self.build_supplies(step)
        if self.report.scale == "demo":
            with self.step("reports") as step:
                self.build_reports(step)
            with self.step("notices") as step:
                self.build_notices(step)
        # The public site at both scales: its reading figures are the article's.
        with self.step("publishing") as step:
            self.build_publishing(step)
        # The research group's two surveys at both scales: the article's 4,803 and 36,450.
        with self.step("surveys") as step:
            self.build_surveys(step)
        # The article's 300+ volunteers at the hospitals, at both scales.
        with self.step("volunteers") as step:
            self.build_volunteers(step)
        # Members' legal and policy questions to the association (issue #21).
        with self.step("consultations") as step:
            self.build_consultations(step)
        if self.report.scale == "demo":
            # Office tower and shopping centre tenants back at work (issue #21).
            with self.step("resumption") as step:
                self.build_resumption(step)
        # Training for the members' staff: courses and a month of progress (issue #22).
        with self.step("training") as step:
            self.build_training(step)
        # The 25 March 2020 online job fair for graduates, at both scales (issue #22).
        with self.step("jobs") as step:
            self.build_jobs(step)
        # The produce programme at both scales: at wuhan scale the article's ~48,000 jin,
        # ~400,000 yuan and ~50,000 households (issue #23).
        with self.step("market") as step:
            self.build_market(step)
        return self.report

    def ordered_sites(self) -> list[Site]:
        """This world's sites, plans[0] (the demo logins' site) first."""
        sites = list(Site.all_tenants.filter(pk__in=[p.pk for p in self.plans]))
        order = {p.pk: i for i, p in enumerate(self.plans)}
        sites.sort(key=lambda s: order[s.pk])
        return sites

    def build_supplies(self, step: Step) -> None:
        """The item catalogue, donors, inbound batches, needs, allocations, shipments
        and receipts, all through the hash-chained ledger (issue #7). Own stream."""
        from firstline.scenario.supplies import build_supplies

        report = build_supplies(
            rng=random.Random(self.report.seed + 4),
            now=timezone.now(),
            sites=self.ordered_sites(),
            scale=self.report.scale,
        )
        step.rows = report.figures()

    def build_notices(self, step: Step) -> None:
        """The association's, the authority's and the first site's notices, one urgent
        (sent also by text message), with some receipts (issue #15). No randomness."""
        from firstline.scenario.notices import build_notices

        sites = list(Site.all_tenants.select_related("community").filter(pk=self.plans[0].pk))
        step.rows = build_notices(now=timezone.now(), sites=sites).figures()

    def build_surveys(self, step: Step) -> None:
        """The company and owner surveys from XLSForm, answered in bulk (issue #19)."""
        from firstline.scenario.surveys import COMPANY_RESPONSES, OWNER_RESPONSES, build_surveys

        sites = list(
            Site.all_tenants.select_related("community").filter(pk__in=[p.pk for p in self.plans])
        )
        share = min(1.0, self.size.residents / 20_000)  # a test's tiny world: a share of them
        step.rows = build_surveys(
            rng=random.Random(self.report.seed + 7),
            now=timezone.now(),
            sites=sites,
            company_responses=round(COMPANY_RESPONSES * share),
            owner_responses=round(OWNER_RESPONSES * share),
        ).figures()

    def build_volunteers(self, step: Step) -> None:
        """Volunteers in teams at the hospitals, a month of shifts and hours, support
        tasks, staff checks and kit (issue #20). Its own stream."""
        from firstline.scenario.volunteers import VOLUNTEERS, build_volunteers

        share = min(1.0, self.size.residents / 20_000)  # a test's tiny world: a share
        rng = random.Random(self.report.seed + 8)
        # Their logins are made here, from this step's own stream, so that adding them
        # changed nothing the main stream draws for the steps before (access, health).
        # volunteer_1 leads a team at a hospital, volunteer_2 is in it.
        national = {"association": self.national}
        self.add_accounts(
            [
                ("coordinator", Role.VOLUNTEER_COORDINATOR, national),
                ("volunteer_1", Role.VOLUNTEER, national),
                ("volunteer_2", Role.VOLUNTEER, national),
            ],
            rng,
        )
        step.rows = build_volunteers(
            rng=rng,
            now=timezone.now(),
            association=self.national,
            companies=self.companies,
            sites=self.ordered_sites(),
            people_factory=PeopleFactory(rng),
            volunteers=max(12, round(VOLUNTEERS * share)),
        ).figures()

    def build_resumption(self, step: Step) -> None:
        """The first office building and commercial complex with tenants in every
        state, staff, passes and gate events (issue #21). Its own stream, and its
        logins (tenant_1, building_1) from it."""
        from firstline.resumption.models import Tenant
        from firstline.scenario.resumption import build_resumption

        rng = random.Random(self.report.seed + 9)
        sites = self.ordered_sites()
        report = build_resumption(rng=rng, now=timezone.now(), sites=sites)
        if not report.buildings:  # a world without office buildings
            step.rows = report.figures()
            return
        tower = Site.all_tenants.select_related("company").get(pk=report.buildings[0].pk)
        tenant = Tenant.all_tenants.filter(site=tower).order_by("id").first()
        self.add_accounts(
            [
                (
                    "tenant_1",
                    Role.TENANT_ADMIN,
                    {"company": tower.company, "household_id": tenant.household_id},
                ),
                ("building_1", Role.SITE_MANAGER, {"company": tower.company, "site": tower}),
            ],
            rng,
        )
        for account in self.report.accounts:  # their grants name the company
            if account["username"] in ("tenant_1", "building_1"):
                account["company"] = tower.company.name
        self.report.accounts_path = write_accounts(self.report.accounts)
        step.rows = report.figures()

    def build_consultations(self, step: Step) -> None:
        """Thirty questions of member companies in every state, five experts, an FAQ
        answer published, two online sessions (issue #21). Its own stream, and its
        logins (expert_1 … expert_5) from it."""
        from firstline.scenario.consultations import build_consultations

        rng = random.Random(self.report.seed + 10)
        national = {"association": self.national}
        self.add_accounts([(f"expert_{n}", Role.EXPERT, national) for n in range(1, 6)], rng)
        step.rows = build_consultations(
            rng=rng, now=timezone.now(), association=self.national, companies=self.companies
        ).figures()

    def build_training(self, step: Step) -> None:
        """Two front-line courses and a management course with lessons and question
        banks; the first sites' staff enrolled with a month of progress, certificates,
        one past and one coming live session (issue #22). Its own stream."""
        from firstline.scenario.training import build_training

        step.rows = build_training(
            rng=random.Random(self.report.seed + 11),
            now=timezone.now(),
            association=self.national,
            companies=self.companies,
            sites=self.ordered_sites(),
        ).figures()

    def build_jobs(self, step: Step) -> None:
        """The 25 March 2020 online job fair: 50+ verified employers, ~300 graduates
        interviewed or given an offer, 1,000+ participants (issue #22). Its own stream;
        its login graduate_1 from it (the employer is the first company's admin_anju)."""
        from firstline.scenario.jobs import EMPLOYERS, build_jobs

        rng = random.Random(self.report.seed + 12)
        self.add_accounts([("graduate_1", Role.GRADUATE, {"association": self.national})], rng)
        share = min(1.0, self.size.residents / 20_000)  # a test's tiny world: its own members
        step.rows = build_jobs(
            rng=rng,
            now=timezone.now(),
            association=self.national,
            companies=self.companies,
            employer_count=max(len(self.companies), round(EMPLOYERS * share)),
        ).figures()

    def build_market(self, step: Step) -> None:
        """The produce programme: suppliers in poor counties and a Tibetan barley
        partner, four done campaigns of Feb–Mar 2020 and one open now (issue #23).
        Its own stream; the supplier login supplier_1."""
        from firstline.scenario.market import build_market

        rng = random.Random(self.report.seed + 13)
        self.add_accounts([("supplier_1", Role.SUPPLIER, {"association": self.national})], rng)
        step.rows = build_market(
            rng=rng,
            now=timezone.now(),
            association=self.national,
            companies=self.companies,
            sites=self.ordered_sites(),
            scale=self.report.scale,
            residents=self.size.residents,
        ).figures()

    def build_publishing(self, step: Step) -> None:
        """The association's public site: seven guides with versions, news, topics,
        policies, FAQ, and their reading history (issue #18). Its own stream."""
        from firstline.scenario.publishing import build_publishing

        step.rows = build_publishing(rng=random.Random(self.report.seed + 6)).figures()

    def build_reports(self, step: Step) -> None:
        """30 days of daily reports, prefilled from the records the steps before
        made, most submitted on time, some late, a few missing (issue #6). Own stream."""
        from firstline.scenario.reports import build_reports

        report = build_reports(
            rng=random.Random(self.report.seed + 5), now=timezone.now(), sites=self.ordered_sites()
        )
        step.rows = report.figures()

    def build_sanitation(self, step: Step) -> None:
        """The checklist library, every site's areas and plan, a month of disinfection
        tasks with device runs and overdue alerts (issue #5). A stream of its own."""
        from firstline.scenario.sanitation import build_sanitation

        sites = list(Site.all_tenants.filter(pk__in=[p.pk for p in self.plans]))
        order = {p.pk: i for i, p in enumerate(self.plans)}
        sites.sort(key=lambda s: order[s.pk])  # plans[0] is the demo logins' site
        report = build_sanitation(
            rng=random.Random(self.report.seed + 3), now=timezone.now(), sites=sites
        )
        step.rows = report.figures()

    def build_health(self, step: Step) -> None:
        """Risk lists, declarations, the worklist, isolation cases, support requests
        and daily counts (issue #4). A stream of its own, like access, and after it:
        whoever went out through the gate this week was not red."""
        from firstline.scenario.health import build_health

        sites = list(Site.all_tenants.filter(pk__in=[p.pk for p in self.plans]))
        order = {p.pk: i for i, p in enumerate(self.plans)}
        sites.sort(key=lambda s: order[s.pk])  # plans[0] is the demo logins' site
        report = build_health(
            rng=random.Random(self.report.seed + 2),
            now=timezone.now(),
            sites=sites,
        )
        step.rows = report.figures()

    def build_access(self, step: Step) -> None:
        """Closed-management policies, passes and a week of gate events (issue #3).
        A stream of its own, so adding it changed no earlier part of a seed's world."""
        from firstline.scenario.access import build_access, residents_by_site_of

        sites = list(Site.all_tenants.filter(pk__in=[p.pk for p in self.plans]))
        order = {p.pk: i for i, p in enumerate(self.plans)}
        sites.sort(key=lambda s: order[s.pk])  # plans[0] is the demo logins' site
        quick = self.size != SCALES["demo"]  # tests build tiny worlds
        report = build_access(
            rng=random.Random(self.report.seed + 1),
            now=timezone.now(),
            sites=sites,
            residents_by_site=residents_by_site_of(sites),
            quick=quick,
        )
        step.rows = report.rows()

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        step = Step(name)
        self.log(f"{name} …")
        started = time.perf_counter()
        yield step
        step.seconds = time.perf_counter() - started
        self.report.steps.append(step)

    # -- divisions ------------------------------------------------------------------

    def load_divisions(self, step: Step) -> None:
        """Districts, streets and communities come from geo's shipped file (idempotent)."""
        call_command("load_divisions", stdout=_Discard())
        wuhan = Division.objects.filter(code__startswith=WUHAN_CODE)
        self.city = Division.objects.get(code=WUHAN_CODE)
        by_code = {d.code: d for d in wuhan}
        districts = sorted(
            (d for d in by_code.values() if d.level == Division.Level.DISTRICT),
            key=lambda d: d.code,
        )
        first = [d for d in districts if d.code == FIRST_DISTRICT_CODE]
        self.districts = first + [d for d in districts if d.code != FIRST_DISTRICT_CODE]
        self.communities: dict[str, list[Division]] = {d.code: [] for d in self.districts}
        for d in by_code.values():
            if d.level == Division.Level.COMMUNITY and d.code[:6] in self.communities:
                self.communities[d.code[:6]].append(d)
        self.divisions_by_code = by_code
        self.districts = [d for d in self.districts if self.communities[d.code]]
        if not self.districts:
            raise RuntimeError("load_divisions gave no Wuhan communities to put sites in")
        for found in self.communities.values():
            found.sort(key=lambda d: d.code)
        step.rows = {"divisions": len(by_code), "districts": len(self.districts)}

    # -- associations, companies, memberships ------------------------------------

    @transaction.atomic
    def build_organisations(self, step: Step) -> None:
        self.national = Association.objects.create(name=NATIONAL_ASSOCIATION, short_name="中物协")
        self.local = Association.objects.create(
            name=LOCAL_ASSOCIATION, short_name="武汉物协", division=self.city, parent=self.national
        )
        companies = [self.company(i) for i in range(self.size.companies)]
        self.companies = Company.objects.bulk_create(companies, batch_size=1000)
        memberships = []
        for company in self.companies:
            joined = date(2005, 1, 1) + timedelta(days=self.rng.randrange(15 * 365))
            level = self.rng.choice(MEMBERSHIP_LEVELS)
            memberships.append(
                Membership(
                    company=company, association=self.national, joined_on=joined, level=level
                )
            )
            memberships.append(
                Membership(company=company, association=self.local, joined_on=joined, level=level)
            )
        Membership.objects.bulk_create(memberships, batch_size=self.size.batch)
        step.rows = {
            "associations": 2,
            "companies": len(companies),
            "memberships": len(memberships),
        }

    def company(self, index: int) -> Company:
        rng = self.rng
        name = FIRST_COMPANIES[index][0] if index < len(FIRST_COMPANIES) else self.company_name()
        district = self.districts[0] if index == 0 else rng.choice(self.districts)
        return Company(
            name=name,
            credit_code=self.credit_code(district.code),
            division=district,
            contact_name=self.people.name(sex=rng.choice("mf"), birth_year=rng.randint(1965, 1990)),
            contact_phone=landline(rng),
            address=self.address(district),
        )

    def address(self, district: Division, street: Division | None = None) -> str:
        """江汉区民族街街道中山大道123号"""
        within = street.name if street else ""
        return f"{district.name}{within}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号"

    def company_name(self) -> str:
        taken, rng = self.company_names, self.rng
        while True:
            first, second = rng.choice(COMPANY_FIRST), rng.choice(COMPANY_SECOND)
            name = f"{rng.choice(COMPANY_PREFIXES)}{first}{second}{rng.choice(COMPANY_SUFFIXES)}"
            if first != second and name not in taken:
                taken.add(name)
                return name

    def credit_code(self, region: str) -> str:
        """91 (an enterprise) + region + 9-char organisation code + check character."""
        codes = self.credit_codes
        while True:
            body = "".join(self.rng.choice("0123456789") for _ in range(8))
            first17 = f"91{region}{body}{organisation_check_char(body)}"
            code = first17 + credit_code_check_char(first17)
            if code not in codes:
                codes.add(code)
                return code

    # -- sites ----------------------------------------------------------------------

    def build_sites(self, step: Step) -> None:
        self.plans = self.plan_sites()
        rows = []
        for plan in self.plans:
            company = self.companies[plan.company]
            rows.append(
                Site(
                    company=company,
                    name=plan.name,
                    name_initials=name_initials(plan.name)[:64],
                    site_type=plan.site_type,
                    community=plan.community,
                    address=self.address(plan.district, plan.street),
                    manager_phone=landline(self.rng),
                )
            )
        with transaction.atomic():
            created = Site.all_tenants.bulk_create(rows, batch_size=self.size.batch)
        for plan, site in zip(self.plans, created, strict=True):
            plan.pk = site.pk
        counts: dict[str, int] = {}
        for plan in self.plans:
            counts[plan.site_type] = counts.get(plan.site_type, 0) + 1
        step.rows = {"sites": len(created), **counts}

    def plan_sites(self) -> list[SitePlan]:
        rng, size = self.rng, self.size
        types = self.site_types()
        owners = self.site_owners()
        plans = []
        for index, (site_type, company) in enumerate(zip(types, owners, strict=True)):
            district = (
                self.districts[index] if index < len(self.districts) else rng.choice(self.districts)
            )
            community = rng.choice(self.communities[district.code])
            plans.append(
                SitePlan(
                    company=company,
                    site_type=site_type,
                    district=district,
                    community=community,
                    street=self.divisions_by_code[community.code[:9]],
                    name=self.site_name(site_type),
                )
            )
        residential = [p for p in plans if p.site_type == Site.Type.RESIDENTIAL]
        weights = [rng.uniform(0.4, 1.6) for _ in residential]
        for plan, count in zip(residential, apportion(size.residents, weights), strict=True):
            plan.residents = count
        staff_weights = [6 + p.residents / 60 if p.residents else rng.uniform(4, 14) for p in plans]
        for plan, count in zip(plans, apportion(size.staff, staff_weights, minimum=4), strict=True):
            plan.staff = count
        return plans

    def site_types(self) -> list[str]:
        """Every type at least once (given enough sites); the first site is residential
        so the demo's site logins have households to look at."""
        kinds = list(SITE_TYPE_SHARES)
        minimum = 1 if self.size.sites >= len(kinds) else 0
        counts = apportion(self.size.sites, list(SITE_TYPE_SHARES.values()), minimum=minimum)
        types = [kind for kind, n in zip(kinds, counts, strict=True) for _ in range(n)]
        first = types.pop(types.index(Site.Type.RESIDENTIAL))
        self.rng.shuffle(types)
        return [first, *types]

    def site_owners(self) -> list[int]:
        """Each company manages at least one site; the rest go mostly to the bigger
        companies (a long tail, as in any industry)."""
        n, sites = self.size.companies, self.size.sites
        weights = [1 / (rank + 1) ** 0.8 for rank in range(n)]
        extra = self.rng.choices(range(n), weights=weights, k=sites - n)
        owners = [*range(n), *extra]
        self.rng.shuffle(owners)
        owners.remove(0)
        return [0, *owners]

    def site_name(self, site_type: str) -> str:
        rng = self.rng
        base = f"{rng.choice(PLACE_WORDS)}{rng.choice(SITE_SUFFIXES[site_type])}"
        name, phase = base, 0
        while name in self.site_names:
            name = f"{base}{ORDINALS[phase]}期" if phase < len(ORDINALS) else f"{base}{phase + 2}期"
            phase += 1
        self.site_names.add(name)
        return name

    # -- buildings, households, residents --------------------------------------

    def build_estates(self, step: Step) -> None:
        totals = {"buildings": 0, "households": 0, "residents": 0}
        chunk: list[SitePlan] = []
        budget = 0
        for plan in self.plans:
            chunk.append(plan)
            budget += plan.residents or 50
            if budget >= self.size.batch:
                self.write_estates(chunk, totals)
                chunk, budget = [], 0
        if chunk:
            self.write_estates(chunk, totals)
        step.rows = totals

    def write_estates(self, chunk: list[SitePlan], totals: dict[str, int]) -> None:
        """One transaction per group of sites: their buildings, then households (whose
        pks residents need), then residents."""
        buildings: list[Building] = []
        rooms: list[tuple[int, str, str, list[Member]]] = []  # building index, unit, room, members
        for plan in chunk:
            if plan.site_type == Site.Type.RESIDENTIAL:
                self.plan_compound(plan, buildings, rooms)
            else:
                self.plan_buildings(plan, buildings)
        with transaction.atomic():
            Building.all_tenants.bulk_create(buildings, batch_size=self.size.batch)
            households = [
                {
                    "company_id": buildings[b].company_id,
                    "site_id": buildings[b].site_id,
                    "building_id": buildings[b].pk,
                    "unit": unit,
                    "room": room,
                }
                for b, unit, room, _members in rooms
            ]
            keys = insert_returning_pks(Household, households, ("building_id", "unit", "room"))
            residents = [
                self.resident(household, pk, member)
                for household, pk, (_b, _u, _r, members) in zip(
                    households, keys, rooms, strict=True
                )
                for member in members
            ]
            insert_rows(Resident, residents)
        totals["buildings"] += len(buildings)
        totals["households"] += len(households)
        before = totals["residents"]
        totals["residents"] += len(residents)
        if totals["residents"] // 100_000 > before // 100_000:
            self.log(f"  … {totals['residents']:,} residents")

    def plan_buildings(self, plan: SitePlan, out: list[Building]) -> None:
        names, (low, high) = BUILDINGS[plan.site_type]
        count = self.rng.randint(min(2, len(names)), len(names))
        for name in names[:count]:
            out.append(self.building(plan, name, self.rng.randint(low, high)))

    def plan_compound(self, plan: SitePlan, buildings: list[Building], rooms: list) -> None:
        """A residential compound sized to its residents: 4-20 buildings of 6-33
        floors, 1-3 units, rooms numbered floor + index (301, 1502)."""
        rng = self.rng
        households = self.households(plan.residents)
        style = rng.random()
        if style < 0.35:
            floors, units, per_floor = rng.randint(6, 7), rng.randint(2, 3), 2
        elif style < 0.75:
            floors, units, per_floor = rng.randint(11, 18), rng.randint(1, 2), rng.randint(2, 4)
        else:
            floors, units, per_floor = rng.randint(24, 33), rng.randint(1, 2), rng.randint(2, 4)
        occupancy = rng.uniform(0.6, 0.9)
        count = max(
            4, min(20, math.ceil(len(households) / (floors * units * per_floor * occupancy)))
        )
        while count * floors * units * per_floor < len(households):
            if floors < 33:
                floors += 1
            else:
                per_floor += 1
        first = len(buildings)
        for n in range(1, count + 1):
            buildings.append(self.building(plan, f"{n}栋", floors))
        slots = [
            (first + b, str(u), f"{f}{r:02d}")
            for b in range(count)
            for u in range(1, units + 1)
            for f in range(1, floors + 1)
            for r in range(1, per_floor + 1)
        ]
        chosen = sorted(rng.sample(range(len(slots)), len(households)))
        for slot, members in zip(chosen, households, strict=True):
            rooms.append((*slots[slot], members))

    def building(self, plan: SitePlan, name: str, floors: int) -> Building:
        return Building(
            company_id=self.companies[plan.company].pk, site_id=plan.pk, name=name, floors=floors
        )

    def households(self, residents: int) -> list[list[Member]]:
        out = []
        while residents > 0:
            members = self.household(residents)
            out.append(members)
            residents -= len(members)
        return out

    def household(self, budget: int) -> list[Member]:
        """A household of at most `budget` people. About 8% of residents end up as
        elderly people living alone, the ones closed management must not forget."""
        while True:
            members = self.household_members()
            if len(members) <= budget:
                return members

    def household_members(self) -> list[Member]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.19:
            return [self.member(rng.randint(1928, 1955), "owner", alone=True)]
        head = "owner" if rng.random() < 0.85 else "tenant"
        if roll < 0.25:
            return [self.member(rng.randint(1975, 1998), rng.choice(("owner", "tenant")))]
        if roll < 0.52:
            year = rng.randint(1935, 1960) if rng.random() < 0.4 else rng.randint(1978, 1996)
            return self.couple(year, head)
        parents = rng.randint(1965, 1990)
        members = self.couple(parents, head)
        members.append(self.child(parents))
        if roll >= 0.82:
            members.append(self.child(parents) if rng.random() < 0.5 else self.grandparent(parents))
        if roll >= 0.95:
            members.append(self.grandparent(parents))
        return members

    def couple(self, year: int, relation: str) -> list[Member]:
        first = self.rng.choice("mf")
        second = "f" if first == "m" else "m"
        spouse_year = max(1925, min(YEAR - 20, year + self.rng.randint(-4, 4)))
        return [
            self.member(year, relation, sex=first),
            self.member(spouse_year, "family", sex=second),
        ]

    def child(self, parents: int) -> Member:
        return self.member(min(YEAR - 1, parents + self.rng.randint(22, 34)), "family")

    def grandparent(self, parents: int) -> Member:
        return self.member(max(1925, parents - self.rng.randint(24, 32)), "family")

    def member(
        self, birth_year: int, relation: str, *, sex: str | None = None, alone: bool = False
    ) -> Member:
        rng = self.rng
        person = self.people.person(birth_year=birth_year, sex=sex)
        age = YEAR - birth_year
        elderly = age >= 60
        return Member(
            person=person,
            relation=relation,
            alone=alone,
            disabled=rng.random() < (0.05 if elderly else 0.01),
            chronic=rng.random() < (0.35 if elderly else 0.04),
            pregnant=person.sex == "f" and 22 <= age <= 38 and rng.random() < 0.05,
        )

    def resident(self, household: dict, household_id: int, member: Member) -> dict:
        person = member.person
        return {
            "company_id": household["company_id"],
            "site_id": household["site_id"],
            "household_id": household_id,
            "name": person.name,
            "name_initials": person.initials[:16],
            "birth_year": person.birth_year,
            "relation": member.relation,
            "lives_alone_elderly": member.alone,
            "disabled": member.disabled,
            "chronic_illness": member.chronic,
            "pregnant": member.pregnant,
            **self.sealer.columns("phone", person.phone),
            **self.sealer.columns("id_number", person.id_number),
        }

    # -- staff ----------------------------------------------------------------------

    def build_staff(self, step: Step) -> None:
        rows: list[dict] = []
        total = 0
        for plan in self.plans:
            rows.extend(self.site_staff(plan))
            if len(rows) >= self.size.batch:
                total += self.write_staff(rows)
                rows = []
        total += self.write_staff(rows)
        step.rows = {"staff": total}

    def write_staff(self, rows: list[dict]) -> int:
        with transaction.atomic():
            insert_rows(Staff, rows)
        return len(rows)

    def site_staff(self, plan: SitePlan) -> list[dict]:
        """One manager, a health officer per 25 staff, then guards, cleaners, repair
        and service staff in the usual proportions."""
        health = max(1, plan.staff // 25)
        rest = plan.staff - 1 - health
        counts = apportion(
            rest, [share for _, share in STAFF_SHARES], minimum=1 if rest >= 2 else 0
        )
        positions = [Staff.Position.MANAGER] + [Staff.Position.HEALTH] * health
        for (position, _), n in zip(STAFF_SHARES, counts, strict=True):
            positions += [position] * n
        company_id = self.companies[plan.company].pk
        return [self.staff_member(company_id, plan.pk, position) for position in positions]

    def staff_member(self, company_id: int, site_id: int, position: str) -> dict:
        rng = self.rng
        sex = {"guard": "m", "cleaner": "f"}.get(position) if rng.random() < 0.8 else None
        young, old = (1975, 1995) if position in ("manager", "health", "service") else (1962, 1992)
        person = self.people.person(birth_year=rng.randint(young, old), sex=sex)
        return {
            "company_id": company_id,
            "site_id": site_id,
            "name": person.name,
            "name_initials": person.initials[:16],
            "position": position,
            "on_duty": rng.random() < 0.95,
            **self.sealer.columns("phone", person.phone),
        }

    # -- demo logins --------------------------------------------------------------

    @transaction.atomic
    def build_accounts(self, step: Step) -> None:
        """The demo logins, each with one role over a real target, linked to the staff
        rows they are; written to var/demo-accounts.json for `./firstline demo`."""
        grants = self.demo_grants()
        password = make_password(DEMO_PASSWORD)  # hashed once: Argon2 is slow on purpose
        self.password_hash = password  # later steps' logins share it (add_accounts)
        users, assignments = [], []
        for username, role, target, person in grants:
            display = (
                person.name
                if person
                else self.people.name(sex=self.rng.choice("mf"), birth_year=1980)
            )
            user = User(username=username, password=password, display_name=display)
            users.append(user)
            assignments.append(RoleAssignment(user=user, role=role, **target))
        User.objects.bulk_create(users)
        RoleAssignment.objects.bulk_create(assignments)
        for (_, _, _, person), user in zip(grants, users, strict=True):
            if isinstance(person, Staff):
                Staff.all_tenants.filter(pk=person.pk).update(user=user)
        self.report.accounts = [
            {"role": role.value, "username": username, "password": DEMO_PASSWORD}
            | ({"company": target["company"].name} if "company" in target else {})
            for username, role, target, _ in grants
        ]
        self.report.accounts_path = write_accounts(self.report.accounts)
        step.rows = {"users": len(users), "role_assignments": len(assignments)}

    def add_accounts(self, grants: list[tuple[str, Role, dict]], rng: random.Random) -> None:
        """Demo logins a later step needs, added to the accounts file."""
        password = self.password_hash
        names = PeopleFactory(rng)
        for username, role, target in grants:
            display = names.name(sex=rng.choice("mf"), birth_year=1985)
            user = User.objects.create(username=username, password=password, display_name=display)
            RoleAssignment.objects.create(user=user, role=role, **target)
            self.report.accounts.append(
                {"role": role.value, "username": username, "password": DEMO_PASSWORD}
            )
        self.report.accounts_path = write_accounts(self.report.accounts)

    def demo_grants(self) -> list[tuple[str, Role, dict, Staff | Resident | None]]:
        """(username, role, target, the person it is) for every demo login. The site
        logins share the first company's first (residential) site, the resident lives
        there and the authority's district contains it."""
        site = Site.all_tenants.select_related("company", "community").get(pk=self.plans[0].pk)
        household = Household.all_tenants.filter(site=site).order_by("id").first()
        occupant = Resident.all_tenants.filter(household=household).order_by("id").first()
        district = Division.objects.get(code=site.community.code[:6])
        staff = {}
        for position in ("manager", "guard", "cleaner", "health"):
            staff[position] = (
                Staff.all_tenants.filter(site=site, position=position).order_by("id").first()
            )
        at_site = {"company": site.company, "site": site}
        national = {"association": self.national}
        grants = [
            ("assoc_admin", Role.ASSOCIATION_ADMIN, national, None),
            ("assoc_staff", Role.ASSOCIATION_STAFF, national, None),
        ]
        for (_, slug), company in zip(FIRST_COMPANIES, self.companies, strict=False):
            grants.append((f"admin_{slug}", Role.COMPANY_ADMIN, {"company": company}, None))
        return [
            *grants,
            ("manager_1", Role.SITE_MANAGER, at_site, staff["manager"]),
            ("guard_1", Role.GUARD, at_site, staff["guard"]),
            ("cleaner_1", Role.CLEANER, at_site, staff["cleaner"]),
            ("health_1", Role.HEALTH_OFFICER, at_site, staff["health"]),
            ("authority_jianghan", Role.AUTHORITY_VIEWER, {"division": district}, None),
            (
                "resident_1",
                Role.RESIDENT,
                {"company": site.company, "household": household},
                occupant,
            ),
            ("donor_1", Role.DONOR, national, None),
            # Writes the public site's pages in the Wagtail editor; assoc_admin approves.
            ("editor", Role.CONTENT_EDITOR, national, None),
        ]


# --- helpers -------------------------------------------------------------------------


def apportion(total: int, weights: list[float], *, minimum: int = 0) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder),
    then lift any share under `minimum` (while the total allows) at the expense
    of the largest."""
    if not weights:
        return []
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    floor = min(minimum, total // len(weights))
    for i in range(len(counts)):
        while counts[i] < floor:
            largest = max(range(len(counts)), key=counts.__getitem__)
            counts[largest] -= 1
            counts[i] += 1
    return counts


def insert_rows(model: type[models.Model], rows: list[dict]) -> None:
    """Insert rows given as {attname: value} with the driver's bulk path: COPY on
    PostgreSQL, one prepared INSERT run by executemany elsewhere. At a million
    residents this is three to four times faster than bulk_create, whose per-value
    compilation costs more than the database's own work."""
    if not rows:
        return
    table = _Table.of(model)
    values = ([row.get(n, table.fallback[n]) for n in table.names] for row in rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(table.copy_statement()) as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(table.insert_statement(), values)


def insert_returning_pks(
    model: type[models.Model], rows: list[dict], key: tuple[str, ...]
) -> list[int]:
    """Insert rows and return their pks in order, re-read by `key`: a unique key of
    the new rows whose first column holds only values new in this batch."""
    insert_rows(model, rows)
    firsts = {row[key[0]] for row in rows}
    found = model._default_manager.filter(**{f"{key[0]}__in": firsts}).values_list("pk", *key)
    pks = {tuple(values): pk for pk, *values in found}
    return [pks[tuple(row[k] for k in key)] for row in rows]


@dataclass
class _Table:
    """A model's insertable columns, and the value of each a row leaves out."""

    name: str
    columns: list[str]
    names: list[str]
    fallback: dict[str, object]

    @classmethod
    def of(cls, model: type[models.Model]) -> _Table:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        now = timezone.now()
        fallback = {}
        for f in fields:
            stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            fallback[f.attname] = f.get_db_prep_save(
                now if stamped else f.get_default(), connection
            )
        return cls(
            name=model._meta.db_table,
            columns=[f.column for f in fields],
            names=[f.attname for f in fields],
            fallback=fallback,
        )

    def copy_statement(self) -> sql.Composed:
        return sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.name), sql.SQL(", ").join(map(sql.Identifier, self.columns))
        )

    def insert_statement(self) -> str:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        # Identifiers come from the model's meta, quoted; values are parameters.
        return f"INSERT INTO {quote(self.name)} ({columns}) VALUES ({marks})"  # noqa: S608


def organisation_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    value = (
        11 - sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, weights, strict=True)) % 11
    )
    return {10: "X", 11: "0"}.get(value, str(value))


def landline(rng: random.Random) -> str:
    """A Wuhan office number: 027 and eight digits (not a mobile, not personal data)."""
    return f"027-8{rng.randrange(10**7):07d}"


def write_accounts(accounts: list[dict]) -> Path:
    path = Path(settings.VAR_DIR) / "demo-accounts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(accounts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


class _Discard:
    """A stdout for load_divisions: its per-level lines would bury our summary."""

    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


# --- existing worlds -------------------------------------------------------------------


def world_exists() -> bool:
    return Company.objects.exists()


def reset_world() -> dict[str, int]:
    """Delete every row that belongs to a world: companies, associations and users
    (except superusers, whom an operator created) and every table that points at
    them, children first, in one transaction. Shared lookups such as divisions
    stay. Returns rows deleted per table."""
    roots = {Company, Association}
    tenant = _models_reaching(roots)
    user_only = _models_reaching({User}) - tenant - {User}
    deleted: dict[str, int] = {}
    with transaction.atomic():
        for model in _children_first(tenant | user_only | {User}):
            qs = model._base_manager.all()
            if model is User:
                qs = qs.filter(is_superuser=False)
            elif model in user_only:
                # Rows that point at an ordinary user directly or through a parent
                # (a guide's items, a risk list's areas); shared rows stay.
                qs = qs.filter(_points_at_ordinary_user(model, user_only))
            # _raw_delete: one DELETE per table; children are already gone, so
            # the collector's per-row cascade bookkeeping would only cost time.
            count = qs._raw_delete(connection.alias)
            if count:
                deleted[model._meta.label] = count
    return deleted


def _fks(model) -> list[models.ForeignKey]:
    return [
        f for f in model._meta.concrete_fields if f.is_relation and (f.many_to_one or f.one_to_one)
    ]


def _models_reaching(targets: set) -> set:
    """Models with a foreign key, directly or through others, to one of `targets`."""
    found = set(targets)
    every = apps.get_models(include_auto_created=True)
    grew = True
    while grew:
        grew = False
        for model in every:
            if model not in found and any(f.related_model in found for f in _fks(model)):
                found.add(model)
                grew = True
    return found


def _children_first(chosen: set) -> list:
    """Order models so each comes before every model it points at."""
    order, seen = [], set()

    def visit(model) -> None:
        if model in seen:
            return
        seen.add(model)
        for other in chosen:
            if other is not model and any(f.related_model is model for f in _fks(other)):
                visit(other)
        order.append(model)

    for model in sorted(chosen, key=lambda m: m._meta.label):
        visit(model)
    return order


def _points_at_ordinary_user(model, user_only: set, prefix: str = "") -> models.Q:
    q = models.Q(pk__in=[])  # matches nothing unless a path to an ordinary user is found
    for f in _fks(model):
        if f.related_model is User:
            q |= models.Q(**{f"{prefix}{f.name}__is_superuser": False})
        elif (
            f.related_model in user_only and f.related_model is not model and prefix.count("__") < 3
        ):
            q |= _points_at_ordinary_user(f.related_model, user_only, f"{prefix}{f.name}__")
    return q
