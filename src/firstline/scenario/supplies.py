"""Demo data of donated protective supplies (issue #7), through the real ledger.

What it tells, relative to the day the demo is built:

- The item catalogue is installed; the national association runs two warehouses in
  Wuhan and one donation campaign. Donors (other associations, companies, and one
  person shown only as "爱心人士") pledged, and their gifts arrived as numbered
  inbound batches with manufacturers' lots and expiry dates; a few are directed to
  one company, one site or one district.
- Needs came from sites (and a few company stores); approved allocation plans, one
  per warehouse, sent shipments that were dispatched and signed for, some with a
  shortfall and its reason; sites have used some of what they got.
- Demo scale: ~12 batches from ~10 donors; some stock is still in the warehouses,
  a few shipments are on the road and some needs are still open. The demo logins'
  site (sites[0]) has an open need and a shipment in transit for `manager_1` to
  receive; `donor_1` is the first donor's login.
- Wuhan scale (the article): 140 batches from ~100 donors of the seven kinds the
  article names, all allocated, shipped and received, reaching every company and
  every site of the world (so all 15 districts when the world spans them).

Every movement goes through `ledger.post` (hash chain, balances, direction checks),
in chronological order and in chunks, so the chain is the one the pages verify.
Everything else is written set-based with bulk_create. A system job across tenants:
`all_tenants` managers, no audit rows (nobody acted).

    report = build_supplies(rng=rng, now=timezone.now(), sites=sites, scale="demo")
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Association, Company, Membership, User
from firstline.scenario.world import NATIONAL_ASSOCIATION, insert_rows
from firstline.supplies.models import (
    AllocationLine,
    AllocationPlan,
    BatchLine,
    Campaign,
    Donor,
    InboundBatch,
    Item,
    LedgerEntry,
    Location,
    Lot,
    Need,
    NeedLine,
    Pledge,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from firstline.supplies.selectors import public
from firstline.supplies.services import ledger
from firstline.supplies.services.catalogue import catalogue_install
from firstline.supplies.services.ledger import Move
from firstline.supplies.services.locations import system_location, warehouse_location
from firstline.supplies.services.waybills import waybill_numbers_issue

DEMO_DONOR = "donor_1"
POST_CHUNK = 400  # moves per ledger.post: keeps its balance lookup small on SQLite
SHORTFALL_SHARE = 0.08
CONSUMED_SHARE = 0.3
INDIVIDUAL_PUBLIC_NAME = "爱心人士"

# The seven kinds of the article's 140 batches.
ARTICLE_KINDS = (
    Item.Kind.SUIT,
    Item.Kind.N95,
    Item.Kind.DISINFECTANT,
    Item.Kind.ALCOHOL,
    Item.Kind.GLOVES,
    Item.Kind.SPRAYER,
    Item.Kind.SANITISER,
)
# Units in one batch line, per kind: (low, high).
QUANTITIES = {
    Item.Kind.SUIT: (300, 3000),
    Item.Kind.N95: (2000, 20000),
    Item.Kind.SURGICAL_MASK: (5000, 50000),
    Item.Kind.DISINFECTANT: (240, 2400),
    Item.Kind.ALCOHOL: (240, 2400),
    Item.Kind.GLOVES: (1000, 10000),
    Item.Kind.SPRAYER: (20, 120),
    Item.Kind.SANITISER: (240, 2400),
    Item.Kind.GOGGLES: (100, 1000),
    Item.Kind.THERMOMETER: (20, 200),
}
MANUFACTURERS = (
    "湖北康宁医疗用品有限公司",
    "仙桃市恒安防护用品有限公司",
    "山东金安医疗器械有限公司",
    "河南瑞康卫生材料有限公司",
    "江苏洁净消毒制品有限公司",
    "广东安捷消杀设备有限公司",
)
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖南省",
    "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省", "陕西省",
    "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
)  # fmt: skip
CITIES = (
    "北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "重庆", "西安", "天津", "苏州",
    "长沙", "郑州", "青岛", "厦门", "合肥", "济南", "福州", "宁波", "无锡",
)  # fmt: skip
FIRM_WORDS = "安居华润嘉恒瑞泰祥和康宁鼎盛宏远锦程明德新雅佳美"
FIRM_SUFFIXES = (
    "物业服务集团有限公司",
    "物业管理有限公司",
    "城市服务股份有限公司",
    "医疗器械有限公司",
    "实业集团有限公司",
)
SHORTFALL_REASONS = ("运输途中外箱破损，短少", "到货清点数量不符", "部分包装受潮，未签收")
CONSUME_REASON = "一线员工日常防护使用"


@dataclass(frozen=True)
class Size:
    batches: int
    donors: int
    kinds: tuple[str, ...]
    ship_share: float  # of each line, what the first wave sends out
    site_share: float  # of the sites, those the first wave reaches
    in_transit: int  # destinations of the second wave (dispatched, not received)
    open_needs: int  # sites whose need waits for a plan
    directed: int  # batches directed to a company, a site or a district


DEMO = Size(
    batches=12,
    donors=10,
    kinds=tuple(Item.Kind.values),
    ship_share=0.7,
    site_share=0.6,
    in_transit=5,
    open_needs=6,
    directed=3,
)
WUHAN = Size(
    batches=140,
    donors=100,
    kinds=ARTICLE_KINDS,
    ship_share=1.0,
    site_share=1.0,
    in_transit=0,
    open_needs=0,
    directed=3,
)


@dataclass
class SuppliesReport:
    batches: int = 0
    donors: int = 0
    entries: int = 0
    shipments: int = 0
    companies_reached: int = 0
    sites_reached: int = 0
    districts_reached: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, int]:
        return {
            "batches": self.batches,
            "donors": self.donors,
            "entries": self.entries,
            "shipments": self.shipments,
            "companies_reached": self.companies_reached,
            "sites_reached": self.sites_reached,
            "districts_reached": self.districts_reached,
            **self.extra,
        }


@dataclass(eq=False)
class Dest:
    """Where a shipment goes: a site, or a company's own store (site_id None)."""

    location_id: int
    company_id: int
    site_id: int | None
    division_code: str


@dataclass(eq=False)
class LinePlan:
    batch: InboundBatch
    item: Item
    quantity: int
    lot: Lot | None = None
    dests: list[Dest] = field(default_factory=list)
    remaining: int = 0


@dataclass(eq=False)
class ShipPlan:
    wave: int
    dest: Dest
    warehouse: Warehouse
    lines: list[tuple[LinePlan, int]] = field(default_factory=list)
    shipment: Shipment | None = None


@dataclass(eq=False)
class ShipLine:
    ship: ShipPlan
    plan: LinePlan
    quantity: int
    got: int | None
    reason: str


def need_line_state(line: NeedLine) -> str:
    if line.fulfilled >= line.quantity:
        return NeedLine.State.FULFILLED
    if line.fulfilled or line.in_transit:
        return NeedLine.State.PARTLY
    return NeedLine.State.OPEN


def need_state(line_states: list[str]) -> str:
    if all(s == NeedLine.State.FULFILLED for s in line_states):
        return Need.State.FULFILLED
    if any(s != NeedLine.State.OPEN for s in line_states):
        return Need.State.PARTLY
    return Need.State.OPEN


def build_supplies(
    *, rng: random.Random, now: datetime, sites: Sequence[Site], scale: str
) -> SuppliesReport:
    return SuppliesBuilder(
        rng=rng, now=now, sites=sites, size=WUHAN if scale == "wuhan" else DEMO
    ).build()


class SuppliesBuilder:
    def __init__(self, *, rng: random.Random, now: datetime, sites: Sequence[Site], size: Size):
        self.rng, self.now, self.size = rng, now, size
        self.site_ids = [s.pk for s in sites]
        self.report = SuppliesReport()

    # -- the whole story, in time order ----------------------------------------------

    def build(self) -> SuppliesReport:
        self.association = self.find_association()
        self.aid = self.association.pk
        self.items = {i.kind: i for i in catalogue_install()}
        self.places()
        self.donations()
        self.allocate()
        self.post_inbound()
        self.ship_and_receive()
        self.consume()
        self.second_wave()
        self.open_needs()
        self.figures()
        return self.report

    def find_association(self) -> Association:
        found = Association.objects.filter(name=NATIONAL_ASSOCIATION).first()
        return found or Association.objects.filter(parent__isnull=True).order_by("pk").first()

    # -- places: warehouses and the ledger's locations --------------------------------

    def places(self) -> None:
        rows = list(
            Site.all_tenants.filter(pk__in=self.site_ids).values(
                "pk", "name", "company_id", "community__code"
            )
        )
        order = {pk: i for i, pk in enumerate(self.site_ids)}
        rows.sort(key=lambda r: order[r["pk"]])
        self.sites = rows
        districts = list(dict.fromkeys(r["community__code"][:6] for r in rows))[:2]
        by_code = Division.objects.in_bulk(districts, field_name="code")
        self.warehouses = [
            Warehouse.objects.create(
                association=self.association,
                name=f"{by_code[code].name}捐赠物资周转仓",
                district=by_code[code],
                address=f"{by_code[code].name}物资仓储园{i + 1}号库",
            )
            for i, code in enumerate(districts)
        ]
        self.warehouse_locations = {w.pk: warehouse_location(w) for w in self.warehouses}
        self.transit = system_location(Location.Kind.TRANSIT, association_id=self.aid)
        self.consumed = system_location(Location.Kind.CONSUMED, association_id=self.aid)
        self.written_off = system_location(Location.Kind.WRITTEN_OFF, association_id=self.aid)

        Location.objects.bulk_create(
            [
                Location(
                    kind=Location.Kind.SITE,
                    association_id=self.aid,
                    company_id=r["company_id"],
                    site_id=r["pk"],
                    division_code=r["community__code"],
                    public_name=r["name"],
                )
                for r in rows
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        site_locs = Location.all_tenants.filter(site_id__in=self.site_ids).values_list(
            "site_id", "pk"
        )
        loc_of = dict(site_locs)
        self.site_dests = [
            Dest(loc_of[r["pk"]], r["company_id"], r["pk"], r["community__code"]) for r in rows
        ]
        # Every member company with no site in this world still gets something: at
        # its own store; so do a few others (companies pass supplies on themselves).
        with_sites = {r["company_id"] for r in rows}
        members = Membership.objects.filter(association_id=self.aid).values_list(
            "company_id", flat=True
        )
        companies = list(
            Company.objects.filter(pk__in=members)
            .order_by("pk")
            .values("pk", "name", "division__code")
        )
        stores = [c for c in companies if c["pk"] not in with_sites]
        others = [c for c in companies if c["pk"] in with_sites]
        stores += self.rng.sample(others, k=min(len(others), max(1, len(others) // 10)))
        Location.objects.bulk_create(
            [
                Location(
                    kind=Location.Kind.COMPANY,
                    association_id=self.aid,
                    company_id=c["pk"],
                    division_code=c["division__code"] or "",
                    public_name=c["name"],
                )
                for c in stores
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        store_locs = dict(
            Location.all_tenants.filter(
                kind=Location.Kind.COMPANY, company_id__in=[c["pk"] for c in stores]
            ).values_list("company_id", "pk")
        )
        self.store_dests = [
            Dest(store_locs[c["pk"]], c["pk"], None, c["division__code"] or "") for c in stores
        ]

    # -- donors, pledges, batches ---------------------------------------------------------

    def donor_names(self) -> list[tuple[str, str]]:
        """(kind, name): associations first, then companies; all distinct."""
        rng, n = self.rng, self.size.donors
        associations = [f"{p}物业管理行业协会" for p in PROVINCES]
        rng.shuffle(associations)
        out = [(Donor.Kind.ASSOCIATION, a) for a in associations[: max(2, n * 3 // 10)]]
        taken = {name for _, name in out}
        while len(out) < n - 1:
            a, b = rng.sample(FIRM_WORDS, 2)
            name = f"{rng.choice(CITIES)}{a}{b}{rng.choice(FIRM_SUFFIXES)}"
            if name not in taken:
                taken.add(name)
                out.append((Donor.Kind.COMPANY, name))
        # One person, whose name the public never sees.
        out.append((Donor.Kind.INDIVIDUAL, "王建国"))
        # The demo donor login's own organisation comes first.
        out.insert(0, out.pop(len(out) // 2))
        return out

    def donations(self) -> None:
        rng, size, now = self.rng, self.size, self.now
        donors = [
            Donor(
                association=self.association,
                kind=kind,
                name=name,
                public_name=INDIVIDUAL_PUBLIC_NAME if kind == Donor.Kind.INDIVIDUAL else name,
            )
            for kind, name in self.donor_names()
        ]
        account = User.objects.filter(username=DEMO_DONOR).first()
        if account is not None:
            donors[0].account = account
        self.donors = Donor.objects.bulk_create(donors)
        Location.objects.bulk_create(
            [
                Location(
                    kind=Location.Kind.DONOR,
                    virtual=True,
                    association_id=self.aid,
                    donor=d,
                    public_name=d.public_name,
                )
                for d in self.donors
            ]
        )
        self.donor_locations = dict(
            Location.all_tenants.filter(donor__in=self.donors).values_list("donor_id", "pk")
        )
        self.campaign = Campaign.objects.create(
            association=self.association,
            name="众志成城·物业行业抗疫物资捐赠行动",
            starts_on=(now - timedelta(days=40)).date(),
            description="协会统一接收、统一调配会员单位和社会各界捐赠的防护物资，全部去向公开。",
        )

        # Who gives each batch: every donor at least once, the rest to a few big givers.
        givers = list(range(len(self.donors)))
        givers += rng.choices(givers, k=max(0, size.batches - len(givers)))
        givers = givers[: size.batches]
        rng.shuffle(givers)
        start, end = now - timedelta(days=35), now - timedelta(days=12)
        span = (end - start) / max(1, size.batches)
        batches, plans = [], []
        for index, giver in enumerate(givers):
            donor = self.donors[giver]
            received_at = start + span * index + timedelta(minutes=rng.randrange(0, 300))
            batches.append(
                InboundBatch(
                    association=self.association,
                    number=index + 1,
                    donor=donor,
                    campaign=self.campaign,
                    warehouse=self.warehouses[index % len(self.warehouses)],
                    received_at=received_at,
                    note="",
                    **self.direction(index),
                )
            )
        self.batches = InboundBatch.objects.bulk_create(batches)
        lots = []
        for batch in self.batches:
            kinds = rng.sample(size.kinds, k=rng.choice((1, 2, 2, 3)))
            for kind in sorted(kinds):
                item = self.items[kind]
                low, high = QUANTITIES[kind]
                expiry = (batch.received_at + timedelta(days=rng.randint(365, 3 * 365))).date()
                lot = Lot(
                    item=item,
                    lot_no=f"{batch.received_at:%Y%m%d}-{batch.number:03d}{len(lots) % 100:02d}",
                    manufacturer=rng.choice(MANUFACTURERS),
                    expiry_date=expiry,
                )
                lots.append(lot)
                plans.append(
                    LinePlan(batch=batch, item=item, quantity=rng.randint(low, high), lot=lot)
                )
        # Lots are shared reference rows (a reset keeps them): a rebuild reuses its own.
        Lot.objects.bulk_create(
            lots,
            update_conflicts=True,
            unique_fields=["item", "lot_no"],
            update_fields=["manufacturer", "expiry_date"],
        )
        self.lines = plans

        # Each batch came from a pledge; a few pledges are still to arrive.
        pledges = []
        for batch in self.batches:
            first = next(p for p in plans if p.batch is batch)
            pledges.append(
                Pledge(
                    donor=batch.donor,
                    campaign=self.campaign,
                    item=first.item,
                    quantity=first.quantity,
                    state=Pledge.State.RECEIVED,
                    pledged_at=batch.received_at - timedelta(days=rng.randint(2, 6)),
                    directed_company_id=batch.directed_company_id,
                    directed_site_id=batch.directed_site_id,
                    directed_division_code=batch.directed_division_code,
                )
            )
        for donor in self.donors[:3]:
            kind = rng.choice(size.kinds)
            pledges.append(
                Pledge(
                    donor=donor,
                    campaign=self.campaign,
                    item=self.items[kind],
                    quantity=rng.randint(*QUANTITIES[kind]),
                    pledged_at=now - timedelta(days=rng.randint(1, 3)),
                    note="预计三日内到货",
                )
            )
        created = Pledge.objects.bulk_create(pledges)
        for batch, pledge in zip(self.batches, created, strict=False):
            batch.pledge = pledge
        InboundBatch.all_tenants.bulk_update(self.batches, ["pledge"])
        self.report.extra["pledges"] = len(created)

    def direction(self, index: int) -> dict:
        """Batches 3, 5 and 7 are directed: to the demo site's company, to the
        district of the second site, to the third site."""
        if index >= 7 or self.size.directed == 0 or len(self.sites) < 3:
            return {}
        return {
            2: {"directed_company_id": self.sites[0]["company_id"]},
            4: {"directed_division_code": self.sites[1]["community__code"][:6]},
            6: {"directed_site_id": self.sites[2]["pk"]},
        }.get(index, {})

    def post_inbound(self) -> None:
        """Each batch's lines, and its arrival on the ledger (donor → warehouse), batch
        by batch in the order they came."""
        BatchLine.objects.bulk_create(
            [
                BatchLine(batch=p.batch, item=p.item, lot=p.lot, quantity=p.quantity)
                for p in self.lines
            ]
        )
        for batch in self.batches:
            moves = [
                Move(
                    kind=LedgerEntry.Kind.INBOUND,
                    item_id=p.item.pk,
                    batch_id=batch.pk,
                    from_location_id=self.donor_locations[batch.donor_id],
                    to_location_id=self.warehouse_locations[batch.warehouse_id].pk,
                    quantity=p.quantity,
                )
                for p in self.lines
                if p.batch is batch
            ]
            ledger.post(association_id=self.aid, moves=moves, at=batch.received_at)

    # -- allocation --------------------------------------------------------------------

    def allowed(self, batch: InboundBatch, dest: Dest) -> bool:
        if batch.directed_site_id:
            return dest.site_id == batch.directed_site_id
        if batch.directed_company_id:
            return dest.company_id == batch.directed_company_id
        if batch.directed_division_code:
            return dest.site_id is not None and dest.division_code.startswith(
                batch.directed_division_code
            )
        return True

    def allocate(self) -> None:
        """Decide the first wave: who gets which line. A line's quantity grows when
        needed so every destination chosen for it gets a few units."""
        rng, size = self.rng, self.size
        sites = list(self.site_dests)
        reached = sites
        if size.site_share < 1:
            reached = [sites[0], *rng.sample(sites[1:], k=int(len(sites) * size.site_share))]
        self.first_wave = [*reached, *self.store_dests]
        undirected = [p for p in self.lines if not p.batch.directed]
        for i, dest in enumerate(self.first_wave):
            picks = {i % len(undirected), (i * 7 + 3) % len(undirected)}
            for pick in sorted(picks):
                undirected[pick].dests.append(dest)
        # More lines than destinations (a small world): no line is left behind.
        for i, plan in enumerate(p for p in undirected if not p.dests):
            plan.dests.append(self.first_wave[i % len(self.first_wave)])
        for plan in self.lines:
            if plan.batch.directed:
                everyone = [*self.site_dests, *self.store_dests]
                allowed = [d for d in everyone if self.allowed(plan.batch, d)]
                plan.dests = allowed[:10]
        for plan in self.lines:
            # Enough for at least 5 units a destination (20 for cartons of masks).
            floor = len(plan.dests) * (5 if plan.item.pack_size < 20 else 20)
            if plan.quantity < floor / size.ship_share:
                plan.quantity = int(floor / size.ship_share) + 1
            plan.remaining = plan.quantity

    # -- shipments ---------------------------------------------------------------------

    def plan_wave(
        self, wave: int, shares: dict[LinePlan, list[tuple[Dest, int]]]
    ) -> list[ShipPlan]:
        """Group (line, destination, quantity) into one shipment per destination and
        warehouse."""
        by_key: dict[tuple[int, int], ShipPlan] = {}
        for plan, parts in shares.items():
            for dest, quantity in parts:
                key = (dest.location_id, plan.batch.warehouse_id)
                if key not in by_key:
                    by_key[key] = ShipPlan(wave=wave, dest=dest, warehouse=plan.batch.warehouse)
                by_key[key].lines.append((plan, quantity))
        return list(by_key.values())

    def split(self, plan: LinePlan, dests: list[Dest], total: int) -> list[tuple[Dest, int]]:
        if not dests or total <= 0:
            return []
        each, extra = divmod(total, len(dests))
        parts = [(d, each + (1 if i < extra else 0)) for i, d in enumerate(dests)]
        return [(d, q) for d, q in parts if q > 0]

    def write_wave(self, ships: list[ShipPlan], *, approved_at: datetime, received: bool) -> None:
        """One wave, in bulk: needs and need lines, the approved plans (one per
        warehouse), shipments and their lines, then the ledger: dispatch, and for a
        received wave the receipt with its shortfalls. What each site signs for is
        decided first, so every row is written once, already in its final state."""
        rng = self.rng
        dispatched_at = approved_at + timedelta(hours=4)
        received_at = dispatched_at + timedelta(days=1, hours=rng.randint(0, 20))
        for ship in ships:
            ship.got = []
            for _plan, quantity in ship.lines:
                got, reason = quantity, ""
                if received and quantity > 1 and rng.random() < SHORTFALL_SHARE:
                    got = quantity - rng.randint(1, max(1, quantity // 10))
                    reason = rng.choice(SHORTFALL_REASONS)
                ship.got.append((got if received else None, reason))

        needs, need_lines = [], []
        for ship in ships:
            sent: dict[int, int] = defaultdict(int)
            signed: dict[int, int] = defaultdict(int)
            for (plan, quantity), (got, _reason) in zip(ship.lines, ship.got, strict=True):
                sent[plan.item.pk] += quantity
                signed[plan.item.pk] += got or 0
            ship.need = Need(
                company_id=ship.dest.company_id,
                site_id=ship.dest.site_id,
                justification="封闭管理期间门岗、消杀和入户服务人员防护物资不足",
                staff_on_duty=rng.randint(6, 60),
                isolation_cases=rng.randint(0, 8),
                requested_at=approved_at - timedelta(days=rng.randint(1, 3)),
            )
            ship.need_lines = {}
            for item_id, quantity in sent.items():
                asked = quantity + (rng.randint(1, quantity) if rng.random() < 0.2 else 0)
                line = NeedLine(
                    company_id=ship.dest.company_id,
                    site_id=ship.dest.site_id,
                    item_id=item_id,
                    quantity=asked,
                    fulfilled=signed[item_id],
                    in_transit=0 if received else quantity,
                )
                line.state = need_line_state(line)
                ship.need_lines[item_id] = line
                need_lines.append(line)
            ship.need.state = need_state([line.state for line in ship.need_lines.values()])
            needs.append(ship.need)
        Need.all_tenants.bulk_create(needs, batch_size=2000)
        for ship in ships:
            for line in ship.need_lines.values():
                line.need = ship.need
        NeedLine.all_tenants.bulk_create(need_lines, batch_size=2000)

        plans = {
            w.pk: AllocationPlan(
                association=self.association,
                state=AllocationPlan.State.APPROVED,
                warehouse=w,
                note=f"第{ships[0].wave}轮分配",
                approved_at=approved_at,
            )
            for w in {s.warehouse.pk: s.warehouse for s in ships}.values()
        }
        AllocationPlan.objects.bulk_create(list(plans.values()))
        insert_rows(
            AllocationLine,
            [
                {
                    "plan_id": plans[ship.warehouse.pk].pk,
                    "need_line_id": ship.need_lines[plan.item.pk].pk,
                    "company_id": ship.dest.company_id,
                    "site_id": ship.dest.site_id,
                    "item_id": plan.item.pk,
                    "batch_id": plan.batch.pk,
                    "quantity": quantity,
                }
                for ship in ships
                for plan, quantity in ship.lines
            ],
        )

        shipments = []
        # Waybill numbers as an approval issues them: the platform's counter of the day.
        numbers = waybill_numbers_issue(count=len(ships), now=approved_at)
        for ship, number in zip(ships, numbers, strict=True):
            ship.shipment = Shipment(
                company_id=ship.dest.company_id,
                number=number,
                plan=plans[ship.warehouse.pk],
                site_id=ship.dest.site_id,
                from_location=self.warehouse_locations[ship.warehouse.pk],
                to_location_id=ship.dest.location_id,
                state=Shipment.State.RECEIVED if received else Shipment.State.IN_TRANSIT,
                dispatched_at=dispatched_at,
                received_at=received_at if received else None,
            )
            shipments.append(ship.shipment)
        Shipment.all_tenants.bulk_create(shipments, batch_size=2000)
        self.report.shipments += len(shipments)

        lines = [
            ShipLine(ship, plan, quantity, got, reason)
            for ship in ships
            for (plan, quantity), (got, reason) in zip(ship.lines, ship.got, strict=True)
        ]
        insert_rows(
            ShipmentLine,
            [
                {
                    "company_id": line.ship.dest.company_id,
                    "shipment_id": line.ship.shipment.pk,
                    "need_line_id": line.ship.need_lines[line.plan.item.pk].pk,
                    "item_id": line.plan.item.pk,
                    "batch_id": line.plan.batch.pk,
                    "quantity": line.quantity,
                    "received_quantity": line.got,
                    "difference_reason": line.reason,
                }
                for line in lines
            ],
        )
        self.ship_lines = lines

        # Dispatch: warehouse → transit.
        self.post_chunks(
            [
                Move(
                    kind=LedgerEntry.Kind.DISPATCH,
                    item_id=line.plan.item.pk,
                    batch_id=line.plan.batch.pk,
                    from_location_id=self.warehouse_locations[line.ship.warehouse.pk].pk,
                    to_location_id=self.transit.pk,
                    quantity=line.quantity,
                    shipment_id=line.ship.shipment.pk,
                )
                for line in lines
            ],
            at=dispatched_at,
        )
        if not received:
            return
        # Receipt: transit → destination, the shortfall → written off with its reason.
        moves = []
        for line in lines:
            common = {
                "item_id": line.plan.item.pk,
                "batch_id": line.plan.batch.pk,
                "from_location_id": self.transit.pk,
                "shipment_id": line.ship.shipment.pk,
            }
            if line.got:
                moves.append(
                    Move(
                        kind=LedgerEntry.Kind.RECEIVE,
                        to_location_id=line.ship.dest.location_id,
                        quantity=line.got,
                        **common,
                    )
                )
            if line.quantity - line.got:
                moves.append(
                    Move(
                        kind=LedgerEntry.Kind.SHORTFALL,
                        to_location_id=self.written_off.pk,
                        quantity=line.quantity - line.got,
                        reason=line.reason,
                        **common,
                    )
                )
        self.post_chunks(moves, at=received_at)

    def ship_and_receive(self) -> None:
        shares = {
            plan: self.split(plan, plan.dests, int(plan.quantity * self.size.ship_share))
            for plan in self.lines
        }
        for plan, parts in shares.items():
            plan.remaining -= sum(q for _, q in parts)
        self.first = self.plan_wave(1, shares)
        with transaction.atomic():
            self.write_wave(self.first, approved_at=self.now - timedelta(days=10), received=True)
        self.received_lines = self.ship_lines

    def consume(self) -> None:
        """Sites have used part of what they signed for."""
        rng = self.rng
        moves = []
        for line in self.received_lines:
            if line.ship.dest.site_id and line.got and rng.random() < CONSUMED_SHARE:
                used = rng.randint(1, max(1, line.got // 2))
                moves.append(
                    Move(
                        kind=LedgerEntry.Kind.CONSUME,
                        item_id=line.plan.item.pk,
                        batch_id=line.plan.batch.pk,
                        from_location_id=line.ship.dest.location_id,
                        to_location_id=self.consumed.pk,
                        quantity=used,
                        reason=CONSUME_REASON,
                    )
                )
        self.post_chunks(moves, at=self.now - timedelta(days=3))
        self.report.extra["consumption_entries"] = len(moves)

    def second_wave(self) -> None:
        """Demo only: shipments on the road, the demo site's among them."""
        if not self.size.in_transit:
            return
        rng = self.rng
        dests = [
            self.site_dests[0],
            *rng.sample(
                self.site_dests[1:], k=min(len(self.site_dests) - 1, self.size.in_transit - 1)
            ),
        ]
        stock = [p for p in self.lines if not p.batch.directed and p.remaining >= 2 * len(dests)]
        if not stock:
            return
        shares: dict[LinePlan, list[tuple[Dest, int]]] = defaultdict(list)
        for i, dest in enumerate(dests):
            plan = stock[i % len(stock)]
            quantity = max(1, plan.remaining // (2 * len(dests)))
            shares[plan].append((dest, quantity))
        for plan, parts in shares.items():
            plan.remaining -= sum(q for _, q in parts)
        ships = self.plan_wave(2, shares)
        with transaction.atomic():
            self.write_wave(ships, approved_at=self.now - timedelta(days=1), received=False)

    def open_needs(self) -> None:
        """Sites whose request waits for the next plan (the demo site among them)."""
        if not self.size.open_needs:
            return
        rng = self.rng
        kinds = [
            k for k in (Item.Kind.N95, Item.Kind.DISINFECTANT, Item.Kind.GLOVES) if k in self.items
        ]
        chosen = [
            self.site_dests[0],
            *rng.sample(
                self.site_dests[1:], k=min(len(self.site_dests) - 1, self.size.open_needs - 1)
            ),
        ]
        needs = [
            Need(
                company_id=d.company_id,
                site_id=d.site_id,
                justification="小区封闭管理人员增加，消毒液和口罩消耗加快",
                staff_on_duty=rng.randint(8, 40),
                isolation_cases=rng.randint(0, 5),
                requested_at=self.now - timedelta(hours=rng.randint(2, 30)),
            )
            for d in chosen
        ]
        Need.all_tenants.bulk_create(needs)
        NeedLine.all_tenants.bulk_create(
            [
                NeedLine(
                    company_id=need.company_id,
                    need=need,
                    site_id=need.site_id,
                    item=self.items[kind],
                    quantity=rng.randint(2, 20) * self.items[kind].pack_size,
                )
                for need in needs
                for kind in kinds
            ]
        )
        self.report.extra["open_needs"] = len(needs)

    # -- the ledger -----------------------------------------------------------------------

    def post_chunks(self, moves: list[Move], *, at: datetime) -> None:
        """Post in chunks, one transaction each, a second apart (seq follows time)."""
        for index, start in enumerate(range(0, len(moves), POST_CHUNK)):
            ledger.post(
                association_id=self.aid,
                moves=moves[start : start + POST_CHUNK],
                at=at + timedelta(seconds=index),
            )

    def figures(self) -> None:
        head = public.headline(self.aid)
        report = self.report
        report.batches = head.batches
        report.donors = head.donors
        report.entries = head.entries
        report.companies_reached = head.companies_reached
        report.sites_reached = head.sites_reached
        report.districts_reached = head.districts_reached
