"""The planner's promises, checked on generated inputs (no database)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from firstline.supplies.services.ledger import direction_allows
from firstline.supplies.services.planner import (
    Destination,
    Figures,
    NeedSlot,
    Params,
    StockLot,
    propose,
    weight,
)

ITEMS = (1, 2)
COMPANIES = (10, 11, 12)
SITES = {100: (10, "420103001001"), 101: (10, "420106001001"), 110: (11, "420103001002")}


@st.composite
def destinations(draw) -> Destination:
    site_id = draw(st.sampled_from([None, *SITES]))
    if site_id is None:
        company = draw(st.sampled_from(COMPANIES))
        return Destination("company", company, None, "420103")
    company, code = SITES[site_id]
    return Destination("site", company, site_id, code)


figures = st.builds(
    Figures,
    isolation=st.integers(0, 5),
    red=st.integers(0, 5),
    fevers=st.integers(0, 3),
    residents=st.integers(0, 3000),
    staff=st.integers(0, 40),
)


@st.composite
def lots(draw) -> list[StockLot]:
    out = []
    for batch_id in range(1, draw(st.integers(0, 5)) + 1):
        direction = draw(st.sampled_from(["none", "none", "company", "site", "division"]))
        out.append(
            StockLot(
                item_id=draw(st.sampled_from(ITEMS)),
                batch_id=batch_id,
                available=draw(st.integers(0, 500)),
                expiry=draw(st.none() | st.dates(date(2026, 1, 1), date(2028, 1, 1))),
                directed_company_id=draw(st.sampled_from(COMPANIES))
                if direction == "company"
                else None,
                directed_site_id=draw(st.sampled_from(list(SITES)))
                if direction == "site"
                else None,
                directed_division_code="420103" if direction == "division" else "",
            )
        )
    return out


@st.composite
def needs(draw) -> list[NeedSlot]:
    return [
        NeedSlot(
            need_line_id=line_id,
            item_id=draw(st.sampled_from(ITEMS)),
            remaining=draw(st.integers(0, 300)),
            destination=draw(destinations()),
            figures=draw(figures),
        )
        for line_id in range(1, draw(st.integers(0, 8)) + 1)
    ]


packs = st.fixed_dictionaries({1: st.integers(1, 25), 2: st.integers(1, 3)})


def totals(allocations) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for a in allocations:
        out[a.need_line_id] += a.quantity
    return out


@settings(max_examples=600, deadline=None)
@given(stock=lots(), wanted=needs(), pack_sizes=packs)
def test_never_exceeds_stock_or_need_and_respects_directions_and_packs(stock, wanted, pack_sizes):
    result = propose(stock, wanted, Params(pack_sizes=pack_sizes))
    by_batch: dict[int, int] = defaultdict(int)
    lot_of = {lot.batch_id: lot for lot in stock}
    need_of = {n.need_line_id: n for n in wanted}
    for a in result:
        assert a.quantity > 0
        lot, need = lot_of[a.batch_id], need_of[a.need_line_id]
        assert lot.item_id == need.item_id == a.item_id
        assert direction_allows(lot, need.destination)
        by_batch[a.batch_id] += a.quantity
    for batch_id, used in by_batch.items():
        assert used <= lot_of[batch_id].available
    for key, total in totals(result).items():
        need = need_of[key]
        assert total <= need.remaining
        pack = pack_sizes[need.item_id]
        if need.remaining >= pack:
            # whole packs, or exactly the whole need (the loose units that close it)
            assert total % pack == 0 or total == need.remaining


@settings(max_examples=200, deadline=None)
@given(stock=lots(), wanted=needs(), pack_sizes=packs)
def test_deterministic(stock, wanted, pack_sizes):
    params = Params(pack_sizes=pack_sizes)
    assert propose(stock, wanted, params) == propose(list(reversed(stock)), wanted[::-1], params)


@settings(max_examples=200, deadline=None)
@given(wanted=needs(), pack_sizes=packs, extra=st.integers(0, 50))
def test_everyone_gets_what_they_asked_when_undirected_stock_suffices(wanted, pack_sizes, extra):
    stock = [
        StockLot(
            item_id=item,
            batch_id=item,
            available=extra + sum(n.remaining for n in wanted if n.item_id == item),
        )
        for item in ITEMS
    ]
    result = totals(propose(stock, wanted, Params(pack_sizes=pack_sizes)))
    for need in wanted:
        assert result.get(need.need_line_id, 0) == need.remaining


@settings(max_examples=600, deadline=None)
@given(
    remaining=st.integers(1, 400),
    others=needs(),
    stock=lots(),
    pack=st.integers(1, 25),
    figs=figures,
    dest=destinations(),
)
def test_two_identical_needs_get_within_one_pack(remaining, others, stock, pack, figs, dest):
    twins = [
        NeedSlot(1001, 1, remaining, dest, figs),
        NeedSlot(1002, 1, remaining, dest, figs),
    ]
    result = totals(propose(stock, [*others, *twins], Params(pack_sizes={1: pack, 2: 1})))
    assert abs(result.get(1001, 0) - result.get(1002, 0)) <= pack


def test_shortage_is_shared_by_weight_in_whole_packs():
    quiet = Figures(residents=1000, staff=10)
    risky = Figures(isolation=10, red=5, residents=1000, staff=10)  # 15 per 1,000
    site = Destination("site", 10, 100, "420103001001")
    wanted = [NeedSlot(1, 1, 400, site, quiet), NeedSlot(2, 1, 400, site, risky)]
    stock = [StockLot(item_id=1, batch_id=7, available=400)]
    result = totals(propose(stock, wanted, Params(pack_sizes={1: 20})))
    assert weight(risky) / weight(quiet) == 2.5
    # 400 × 1/3.5 ≈ 114 → 100 (5 packs); 400 × 2.5/3.5 ≈ 286 → 280; the spare 20 goes
    # to the larger remainder (114.3 − 100 > 285.7 − 280).
    assert result == {1: 120, 2: 280}


def test_directed_batch_goes_first_to_its_site_and_only_there():
    site_a = Destination("site", 10, 100, "420103001001")
    site_b = Destination("site", 11, 110, "420103001002")
    wanted = [NeedSlot(1, 1, 100, site_a), NeedSlot(2, 1, 100, site_b)]
    stock = [
        StockLot(item_id=1, batch_id=1, available=80, expiry=date(2026, 6, 1)),
        StockLot(item_id=1, batch_id=2, available=60, directed_site_id=100),
    ]
    result = propose(stock, wanted, Params())
    got = {(a.need_line_id, a.batch_id): a.quantity for a in result}
    assert got[(1, 2)] == 60  # the directed 60 to site a, nobody else
    assert (2, 2) not in got
    # the undirected 80 then evens them out: a is short 40, b 100 (equal weights)
    assert got.get((1, 1), 0) + got[(2, 1)] == 80
    assert got[(2, 1)] > got.get((1, 1), 0)


def test_earlier_expiry_leaves_first():
    site = Destination("site", 10, 100, "420103001001")
    today = date(2026, 11, 28)
    stock = [
        StockLot(item_id=1, batch_id=1, available=50, expiry=None),
        StockLot(item_id=1, batch_id=2, available=50, expiry=today + timedelta(days=90)),
        StockLot(item_id=1, batch_id=3, available=50, expiry=today + timedelta(days=10)),
    ]
    result = propose(stock, [NeedSlot(1, 1, 70, site)], Params())
    assert [(a.batch_id, a.quantity) for a in result] == [(2, 20), (3, 50)]


def test_twins_found_by_hypothesis_stay_within_one_pack():
    """Two counterexamples the property test once found (loose units that close one
    twin's need while the other gets nothing)."""
    site = Destination("site", 10, 100, "420103001001")
    cases = [
        ([StockLot(item_id=1, batch_id=1, available=141)], 73, 4),
        (
            [
                StockLot(item_id=1, batch_id=1, available=17, directed_company_id=10),
                StockLot(item_id=1, batch_id=2, available=1),
            ],
            18,
            17,
        ),
    ]
    for stock, remaining, pack in cases:
        twins = [NeedSlot(1, 1, remaining, site), NeedSlot(2, 1, remaining, site)]
        got = totals(propose(stock, twins, Params(pack_sizes={1: pack})))
        assert abs(got.get(1, 0) - got.get(2, 0)) <= pack
        assert sum(got.values()) <= sum(lot.available for lot in stock)
