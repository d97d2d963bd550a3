"""The demo's produce programme (issue #23): suppliers in poor counties of Hubei and
one Tibetan highland-barley partner, each with a food-safety licence, six products,
four campaigns of February and March 2020 that are done (every order handed over,
purchase orders received, money collected) and one campaign open now at every site.

Figures. At scale "wuhan" 50,000 households each received one unit of one product
(chosen at random, evenly): the six products average 480 g and 8.00 yuan a unit, so
the totals come to about 48,000 jin and 400,000 yuan, as the 2020 report has it. Any
other world orders in proportion to its residents: HOUSEHOLDS × residents / 1,000,000
(the demo's 20,000 residents: 1,000 households, about 960 jin and 8,000 yuan), never
more households than the world has.

Rows are written with bulk_create only (wuhan: 50,000 orders, their lines and
payments in a few seconds). Its randomness is its own stream; the supplier login
(`supplier_1`, added to the accounts by world.py) is the first supplier's."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from firstline.estates.models import Household
from firstline.geo.models import Division
from firstline.market.models import (
    GRAMS_PER_JIN,
    Campaign,
    CampaignProduct,
    CampaignSite,
    Certificate,
    Order,
    OrderLine,
    Payment,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from firstline.orgs.models import Association, User

HOUSEHOLDS = 50_000  # households reached in Wuhan (2020 report)
WUHAN_RESIDENTS = 1_000_000
BATCH = 5_000

# (code, name, level, parent code)
COUNTIES = (
    ("42", "湖北省", 1, None),
    ("4205", "宜昌市", 2, "42"),
    ("420527", "秭归县", 3, "4205"),
    ("4203", "十堰市", 2, "42"),
    ("420325", "房县", 3, "4203"),
    ("4228", "恩施土家族苗族自治州", 2, "42"),
    ("422801", "恩施市", 3, "4228"),
    ("422802", "利川市", 3, "4228"),
    ("4211", "黄冈市", 2, "42"),
    ("421127", "黄梅县", 3, "4211"),
    ("54", "西藏自治区", 1, None),
    ("5401", "拉萨市", 2, "54"),
    ("540121", "林周县", 3, "5401"),
)

# (supplier, county code, poverty status, [(product, origin, grams, fen, trace prefix)])
SUPPLIERS = (
    ("秭归县脐橙专业合作社", "420527", "lifted", [("秭归脐橙", "湖北秭归", 500, 600, "ZG")]),
    ("恩施富硒农业合作社", "422801", "poor", [("恩施富硒大米", "湖北恩施", 500, 500, "ES")]),
    ("房县黄花菜合作社", "420325", "poor", [("房县黄花菜", "湖北房县", 250, 1200, "FX")]),
    ("利川山珍合作社", "422802", "poor", [("利川香菇", "湖北利川", 250, 1000, "LC")]),
    ("黄梅红薯粉条厂", "421127", "lifted", [("黄梅红薯粉条", "湖北黄梅", 880, 700, "HM")]),
    ("林周县青稞合作社", "540121", "poor", [("西藏青稞", "西藏林周", 500, 800, "LZ")]),
)

# Four campaigns of the closed compounds, Feb–Mar 2020: (title, opens, closes, delivered).
CAMPAIGNS = (
    ("助农战疫第一期", date(2020, 2, 10), date(2020, 2, 14), date(2020, 2, 17)),
    ("助农战疫第二期", date(2020, 2, 24), date(2020, 2, 28), date(2020, 3, 2)),
    ("助农战疫第三期", date(2020, 3, 9), date(2020, 3, 13), date(2020, 3, 16)),
    ("助农战疫第四期", date(2020, 3, 23), date(2020, 3, 27), date(2020, 3, 30)),
)


@dataclass
class MarketReport:
    counts: Counter = field(default_factory=Counter)
    grams: int = 0
    fen: int = 0

    def figures(self) -> dict[str, int]:
        return {
            **dict(self.counts),
            "jin": self.grams // GRAMS_PER_JIN,
            "yuan": self.fen // 100,
        }


def _divisions() -> dict[str, Division]:
    out: dict[str, Division] = {}
    for code, name, level, parent in COUNTIES:
        out[code], _ = Division.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": out.get(parent)}
        )
    return out


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def households_for(scale: str, residents: int | None = None) -> int:
    if scale == "wuhan":
        return HOUSEHOLDS
    residents = residents if residents is not None else 20_000
    return max(1, HOUSEHOLDS * residents // WUHAN_RESIDENTS)


def build_market(
    *,
    rng: random.Random,
    now: datetime,
    association: Association,
    companies=None,
    sites: list,
    scale: str = "demo",
    residents: int | None = None,
) -> MarketReport:
    """Suppliers, products, four done campaigns and one open now (see the module)."""
    report = MarketReport()
    counties = _divisions()
    login = User.objects.filter(username="supplier_1").first()
    suppliers, products = [], []
    for i, (name, county, poverty, _items) in enumerate(SUPPLIERS):
        suppliers.append(
            Supplier(
                association=association,
                name=name,
                county=counties[county],
                poverty=poverty,
                contact_name="联系人",
                user=login if i == 0 else None,
            )
        )
    suppliers = Supplier.all_tenants.bulk_create(suppliers)
    Certificate.all_tenants.bulk_create(
        Certificate(
            association=association,
            supplier=s,
            kind=Certificate.Kind.FOOD_SAFETY,
            number=f"JY1{4200 + i:04d}{rng.randrange(10**6):06d}",
            expires_on=date(now.year + 2, 12, 31),
        )
        for i, s in enumerate(suppliers)
    )
    for s, (_n, _c, _p, items) in zip(suppliers, SUPPLIERS, strict=True):
        for pname, origin, grams, fen, prefix in items:
            products.append(
                Product(
                    association=association,
                    supplier=s,
                    name=pname,
                    origin=origin,
                    unit="袋" if grams < 500 else "份",
                    grams_per_unit=grams,
                    price_fen=fen,
                    available=100_000,
                    trace_code=f"{prefix}-2020-{rng.randrange(1000):03d}",
                )
            )
    products = Product.all_tenants.bulk_create(products)
    report.counts.update(suppliers=len(suppliers), products=len(products))

    campaigns = Campaign.all_tenants.bulk_create(
        Campaign(
            association=association,
            title=title,
            opens_at=_at(opens, 8),
            closes_at=_at(closes, 20),
            delivery_on=delivered,
            state=Campaign.State.DONE,
        )
        for title, opens, closes, delivered in CAMPAIGNS
    )
    open_now = Campaign.all_tenants.create(
        association=association,
        title="春季助农团购",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
        delivery_on=timezone.localdate(now) + timedelta(days=8),
        state=Campaign.State.OPEN,
    )
    every = [*campaigns, open_now]
    CampaignProduct.all_tenants.bulk_create(
        CampaignProduct(association=association, campaign=c, product=p, price_fen=p.price_fen)
        for c in every
        for p in products
    )
    CampaignSite.all_tenants.bulk_create(
        (
            CampaignSite(company_id=s.company_id, site_id=s.pk, campaign=c)
            for c in every
            for s in sites
        ),
        batch_size=BATCH,
    )
    report.counts.update(campaigns=len(every), campaign_sites=len(every) * len(sites))

    wanted = households_for(scale, residents)
    homes = list(
        Household.all_tenants.filter(site_id__in=[s.pk for s in sites])
        .order_by("id")
        .values_list("id", "company_id", "site_id")
    )
    # The first household of each site stays free to order in the open campaign (the
    # demo resident lives in the first site's first household).
    first = {}
    for pk, _c, site_id in homes:
        first.setdefault(site_id, pk)
    free = set(first.values())
    homes = [h for h in homes if h[0] not in free]
    chosen = sorted(rng.sample(homes, min(wanted, len(homes))))
    picks = [(rng.randrange(len(campaigns)), rng.randrange(len(products))) for _ in chosen]

    orders = Order.all_tenants.bulk_create(
        (
            Order(
                company_id=company_id,
                site_id=site_id,
                campaign=campaigns[c],
                household_id=pk,
                state=Order.State.DELIVERED,
                handover=Order.Handover.DOORSTEP if rng.random() < 0.3 else Order.Handover.PICKUP,
                total_fen=products[p].price_fen,
                delivered_at=_at(CAMPAIGNS[c][3], 15),
            )
            for (pk, company_id, site_id), (c, p) in zip(chosen, picks, strict=True)
        ),
        batch_size=BATCH,
    )
    OrderLine.all_tenants.bulk_create(
        (
            OrderLine(
                company_id=o.company_id,
                site_id=o.site_id,
                order=o,
                product=products[p],
                price_fen=products[p].price_fen,
                quantity=1,
                delivered=1,
            )
            for o, (_c, p) in zip(orders, picks, strict=True)
        ),
        batch_size=BATCH,
    )
    Payment.all_tenants.bulk_create(
        (
            Payment(
                company_id=o.company_id,
                site_id=o.site_id,
                order=o,
                kind=Payment.Kind.TRANSFER,
                reference=f"WX2020{o.pk:010d}",
                amount_fen=o.total_fen,
            )
            for o in orders
        ),
        batch_size=BATCH,
    )
    # Purchase orders: one per campaign, site and supplier, received as confirmed.
    units: Counter = Counter()
    company_of = {}
    for o, (c, p) in zip(orders, picks, strict=True):
        units[(c, o.site_id, p)] += 1
        company_of[o.site_id] = o.company_id
    keys = sorted({(c, site_id, p) for c, site_id, p in units})
    pos = PurchaseOrder.all_tenants.bulk_create(
        (
            PurchaseOrder(
                company_id=company_of[site_id],
                site_id=site_id,
                campaign=campaigns[c],
                supplier=products[p].supplier,
                association=association,
                state=PurchaseOrder.State.RECEIVED,
                total_fen=units[(c, site_id, p)] * products[p].price_fen,
                confirmed_at=_at(CAMPAIGNS[c][2], 22),
                received_at=_at(CAMPAIGNS[c][3], 10),
            )
            for c, site_id, p in keys
        ),
        batch_size=BATCH,
    )
    PurchaseOrderLine.all_tenants.bulk_create(
        (
            PurchaseOrderLine(
                company_id=po.company_id,
                site_id=po.site_id,
                purchase_order=po,
                product=products[p],
                price_fen=products[p].price_fen,
                ordered=units[(c, site_id, p)],
                confirmed=units[(c, site_id, p)],
                received=units[(c, site_id, p)],
            )
            for po, (c, site_id, p) in zip(pos, keys, strict=True)
        ),
        batch_size=BATCH,
    )
    report.counts.update(orders=len(orders), households=len(orders), purchase_orders=len(pos))
    report.grams = sum(products[p].grams_per_unit for _c, p in picks)
    report.fen = sum(products[p].price_fen for _c, p in picks)
    return report
