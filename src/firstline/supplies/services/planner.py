"""The allocation planner: who gets how much of the stock on hand. A pure function
(no database), so its promises can be checked by property tests and it runs the same
inside a request and in the bench.

`propose(stock, needs, params)` works item by item:

1. Directed batches first, one at a time (site-directed, then company-directed, then
   division-directed; earlier expiry first): each is shared among the need lines whose
   destination `ledger.direction_allows` accepts, and only among those.
2. Then the undirected batches as one pool, shared among every line still short;
   each line's share is taken from the pool in expiry order (earliest first, no expiry
   last, then batch id), so what expires soonest leaves first.

Sharing (`share`): when the supply covers every remaining need, each line gets
what it asked. Otherwise each line's quota is proportional to remaining × weight,
capped at its remaining need (what a cap leaves over is shared again among the
others: water filling). Quotas are then rounded down to whole packs for every line
whose remaining need is at least one pack (others count in units), and the units
left over go one pack at a time to the largest fractional remainders (ties: higher
weight, then lower need line id; a line that already got units from an earlier
batch of the item waits behind those that got less), at most one pack per line and
never beyond the supply. A line that got nothing earlier may also receive exactly its
whole remaining need even when that is not a whole number of packs (the loose units
that close a request). Everything is ordered by ids, so the same input
always gives the same plan.

Weight (`weight`), documented because coordinators are asked to defend it:

    risk_per_1000 = 1000 × (active isolation cases + red declarations + fevers)
                    ÷ max(residents, 1), capped at 50
    weight        = (1 + risk_per_1000 ÷ 10) × log2(2 + staff on duty + residents)

so risk can multiply a line's claim by up to 6, and headcount raises it slowly
(the request's quantity already scales with the site's size; the log keeps a big
compound from drowning the small ones twice).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from firstline.supplies.services.ledger import direction_allows

RISK_CAP = 50.0  # cases per 1,000 residents beyond which a site is not weighted higher


@dataclass(frozen=True)
class StockLot:
    """Units of one item from one inbound batch available to allocate, with the
    batch's direction (the same attribute names as InboundBatch, for
    `direction_allows`) and its earliest expiry."""

    item_id: int
    batch_id: int
    available: int
    expiry: date | None = None
    directed_company_id: int | None = None
    directed_site_id: int | None = None
    directed_division_code: str = ""

    @property
    def directed(self) -> bool:
        return bool(
            self.directed_company_id or self.directed_site_id or self.directed_division_code
        )


@dataclass(frozen=True)
class Destination:
    """Where a need line's goods go, shaped like a Location for `direction_allows`:
    the site (kind "site") when the need names one, else the company's store."""

    kind: str
    company_id: int
    site_id: int | None
    division_code: str


@dataclass(frozen=True)
class Figures:
    """The facts a line is weighted by (live counts of its site, or its company)."""

    isolation: int = 0
    red: int = 0
    fevers: int = 0
    residents: int = 0
    staff: int = 0


@dataclass(frozen=True)
class NeedSlot:
    need_line_id: int
    item_id: int
    remaining: int
    destination: Destination
    figures: Figures = field(default_factory=Figures)


@dataclass(frozen=True)
class Params:
    pack_sizes: dict[int, int] = field(default_factory=dict)  # item id → units per pack


@dataclass(frozen=True)
class Allocation:
    need_line_id: int
    item_id: int
    batch_id: int
    quantity: int
    weight: float


def weight(figures: Figures) -> float:
    residents = max(figures.residents, 1)
    risk = 1000.0 * (figures.isolation + figures.red + figures.fevers) / residents
    risk = min(risk, RISK_CAP)
    headcount = max(figures.staff, 0) + max(figures.residents, 0)
    return (1.0 + risk / 10.0) * math.log2(2 + headcount)


@dataclass
class _Claim:
    key: int  # need line id
    remaining: int  # still short at this step
    weight: float
    unit: int  # the pack when the line's whole remaining need is at least one pack, else 1
    prior: int = 0  # what the line already got from this item's earlier batches


def share(supply: int, claims: Sequence[_Claim]) -> dict[int, int]:
    """{key: units} for `supply` units among `claims` (see the module docstring)."""
    claims = [c for c in claims if c.remaining > 0]
    if supply <= 0 or not claims:
        return {}
    if supply >= sum(c.remaining for c in claims):
        return {c.key: c.remaining for c in claims}

    # Water filling: proportional quotas, capped, the excess shared again.
    quota: dict[int, float] = {}
    open_claims = list(claims)
    left = float(supply)
    while open_claims:
        total = sum(c.remaining * c.weight for c in open_claims)
        capped = [c for c in open_claims if left * c.remaining * c.weight / total >= c.remaining]
        if not capped:
            for c in open_claims:
                quota[c.key] = left * c.remaining * c.weight / total
            break
        for c in capped:
            quota[c.key] = float(c.remaining)
            left -= c.remaining
        open_claims = [c for c in open_claims if c.key not in quota]

    # Round down to whole units (packs), then hand out what is left, one step per
    # line: lines that got least from earlier batches first, then largest remainder.
    # A step is a whole unit, or the loose units that close a need — the latter only
    # for a line that got nothing earlier, so two equal lines never end more than
    # one pack apart.
    given = {c.key: min(int(quota[c.key] // c.unit) * c.unit, c.remaining) for c in claims}
    left_units = supply - sum(given.values())
    ranked = sorted(
        claims,
        key=lambda c: (c.prior, -(quota[c.key] - given[c.key]) / c.unit, -c.weight, c.key),
    )
    for c in ranked:
        if left_units <= 0:
            break
        room = c.remaining - given[c.key]
        step = c.unit if room >= c.unit else (room if c.prior == 0 else 0)
        if 0 < step <= left_units:
            given[c.key] += step
            left_units -= step
    return {k: v for k, v in given.items() if v > 0}


def _lot_order(lot: StockLot) -> tuple:
    specificity = 0 if lot.directed_site_id else 1 if lot.directed_company_id else 2
    return (specificity, lot.expiry is None, lot.expiry or date.max, lot.batch_id)


def _pool_order(lot: StockLot) -> tuple:
    return (lot.expiry is None, lot.expiry or date.max, lot.batch_id)


def propose(
    stock: Iterable[StockLot], needs: Iterable[NeedSlot], params: Params
) -> list[Allocation]:
    """The proposed allocation lines, sorted by (item, need line, batch)."""
    lots_by_item: dict[int, list[StockLot]] = defaultdict(list)
    for lot in stock:
        if lot.available > 0:
            lots_by_item[lot.item_id].append(lot)
    needs_by_item: dict[int, list[NeedSlot]] = defaultdict(list)
    for need in needs:
        if need.remaining > 0:
            needs_by_item[need.item_id].append(need)

    out: list[Allocation] = []
    for item_id in sorted(needs_by_item.keys() & lots_by_item.keys()):
        out.extend(
            _propose_item(
                item_id,
                lots_by_item[item_id],
                sorted(needs_by_item[item_id], key=lambda n: n.need_line_id),
                max(params.pack_sizes.get(item_id, 1), 1),
            )
        )
    return out


def _propose_item(
    item_id: int, lots: list[StockLot], needs: list[NeedSlot], pack: int
) -> list[Allocation]:
    weights = {n.need_line_id: weight(n.figures) for n in needs}
    remaining = {n.need_line_id: n.remaining for n in needs}
    # The rounding unit follows the line's whole remaining need, not what is left of it
    # after a directed batch: a line then ends on whole packs or on exactly its need.
    units = {n.need_line_id: pack if n.remaining >= pack else 1 for n in needs}
    got: dict[tuple[int, int], int] = defaultdict(int)  # (need line, batch) → units

    # 1. Directed batches, each among the lines it may go to.
    for lot in sorted((lot for lot in lots if lot.directed), key=_lot_order):
        claims = [
            _Claim(key, remaining[key], weights[key], units[key], n.remaining - remaining[key])
            for n in needs
            if remaining[key := n.need_line_id] > 0 and direction_allows(lot, n.destination)
        ]
        for key, given in share(lot.available, claims).items():
            got[(key, lot.batch_id)] += given
            remaining[key] -= given

    # 2. The undirected pool, taken in expiry order.
    pool = sorted((lot for lot in lots if not lot.directed), key=_pool_order)
    claims = [
        _Claim(key, remaining[key], weights[key], units[key], n.remaining - remaining[key])
        for n in needs
        if remaining[key := n.need_line_id] > 0
    ]
    shares = share(sum(lot.available for lot in pool), claims)
    left = [lot.available for lot in pool]
    index = 0
    for key in sorted(shares):
        wanted = shares[key]
        while wanted > 0:
            take = min(wanted, left[index])
            if take:
                got[(key, pool[index].batch_id)] += take
                left[index] -= take
                wanted -= take
            if left[index] == 0:
                index += 1

    return [
        Allocation(key, item_id, batch_id, qty, round(weights[key], 4))
        for (key, batch_id), qty in sorted(got.items())
        if qty > 0
    ]
