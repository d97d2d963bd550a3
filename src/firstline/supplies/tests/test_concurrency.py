"""Fifty threads at once on PostgreSQL, each doing allocate-like work on the same
warehouse stock and the same need lines: have a plan approved (S2a's
`allocation.plan_approve` makes the READY shipment and commits the need line),
dispatch it, sign for it (some short), use some at the site. Some ask for more than
there is; ten shipments get two dispatchers at the same moment (a double click).

At the end nothing may be lost or counted twice: no negative real balance, every
cached balance equals its entries, the chain verifies, every unit the donor gave is
somewhere, and each need line's figures are exactly its shipments' sum."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import F, Sum

from firstline.estates.models import Site
from firstline.orgs.selectors import scope_for_user
from firstline.supplies.models import (
    Balance,
    LedgerEntry,
    Location,
    NeedLine,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import site_location, system_location
from firstline.supplies.services.shipments import (
    consumption_record,
    shipment_dispatch,
    shipment_receive,
)
from firstline.supplies.tests import shipping
from firstline.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 50
STOCK = (1500, 500)  # two batches of the same item in the warehouse
DOUBLE_CLICKED = 10  # pre-made READY shipments, each dispatched by two threads at once


@pytest.fixture
def pool_for_all_threads():
    """A pool as wide as the thread count, so the fifty really run at once (and the
    double clicks really collide) whatever FIRSTLINE_DB_POOL_MAX the run uses."""
    options = connection.settings_dict["OPTIONS"]
    before = options.get("pool")
    if not before:
        yield
        return
    connection.close_pool()
    options["pool"] = {**(before if isinstance(before, dict) else {}), "max_size": THREADS + 5}
    options["pool"]["min_size"] = min(options["pool"].get("min_size", 2), THREADS)
    try:
        yield
    finally:
        connection.close_pool()
        options["pool"] = before


def make_shipment(world, tenant, need_line, n95, batches, quantities):
    """An approval (allocation.plan_approve): a READY shipment committing the need
    line. Two approvals for one company at once can draw the same shipment number;
    the approval then says so ("请重试") and the user retries: so do we."""
    lines = list(zip(batches, quantities, strict=True))
    for _attempt in range(20):
        try:
            return shipping.approved_shipment(world, tenant, need_line, n95, lines)
        except ValidationError as exc:
            if "请重试" not in " ".join(exc.messages):
                raise
            RETRIES.append(1)
    raise AssertionError("numbering conflicts did not clear")


RETRIES: list[int] = []


def test_fifty_threads_lose_nothing_and_count_nothing_twice(pool_for_all_threads):
    world = build_world()
    n95 = shipping.item()
    batches = [shipping.stock_in(world, [(n95, q)]) for q in STOCK]
    association_id = world.association.pk
    for kind in (Location.Kind.TRANSIT, Location.Kind.WRITTEN_OFF, Location.Kind.CONSUMED):
        system_location(kind, association_id=association_id)
    for tenant in (world.a, world.b):
        site_location(
            Site.all_tenants.select_related("community").get(pk=tenant.site.pk),
            association_id=association_id,
        )
    need_lines = {
        "a": shipping.need(world.a, [(n95, 100_000)])[0],
        "b": shipping.need(world.b, [(n95, 100_000)])[0],
    }
    tenants = {"a": world.a, "b": world.b}
    coordinator = world.users["association_admin"]
    doubles = [
        make_shipment(world, world.a, need_lines["a"], n95, batches, (30, 0))
        for _ in range(DOUBLE_CLICKED)
    ]

    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    outcome: Counter = Counter()
    double_results: dict[int, list[bool]] = defaultdict(list)
    errors: list[str] = []

    def note(key: str) -> None:
        with lock:
            outcome[key] += 1

    def worker(i: int) -> None:
        key = "a" if i % 2 == 0 else "b"
        tenant = tenants[key]
        manager = tenant.users["site_manager"]
        try:
            barrier.wait(timeout=60)
            if i < 2 * DOUBLE_CLICKED:
                target = doubles[i // 2]
                try:
                    acted = shipment_dispatch(actor=coordinator, shipment=target)
                except ValidationError:
                    acted = None
                with lock:
                    double_results[target.pk].append(acted)
            # Own shipment: 10 … 95 units from batch 1, sometimes some of batch 2;
            # every tenth asks for more than was ever given.
            first = 10 + (i * 37) % 86
            second = (i * 13) % 40 if i % 3 == 0 else 0
            if i % 10 == 9:
                first = sum(STOCK) + 1
            try:
                shipment = make_shipment(
                    world, tenant, need_lines[key], n95, batches, (first, second)
                )
            except ValidationError:
                note("approval refused")
                return
            try:
                shipment_dispatch(actor=coordinator, shipment=shipment)
            except ValidationError:
                note("dispatch refused")
                return
            note("dispatched")
            scope = scope_for_user(manager)
            lines = list(ShipmentLine.all_tenants.filter(shipment=shipment).order_by("pk"))
            received = {
                line.pk: (line.quantity - 3, "运输破损") if i % 4 == 0 else (line.quantity, "")
                for line in lines
            }
            shipment_receive(actor=manager, scope=scope, shipment=shipment, received=received)
            note("received")
            if i % 3 == 1:
                try:
                    consumption_record(
                        actor=manager,
                        scope=scope,
                        site=tenant.site,
                        lines=[(n95, 7)],
                        reason="门岗使用",
                    )
                    note("consumed")
                except ValidationError:
                    note("consumption refused")
        except Exception as exc:
            with lock:
                errors.append(f"thread {i}: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    assert errors == []
    assert outcome["dispatched"] > 0 and outcome["approval refused"] > 0, outcome
    # Approval holds the stock back for READY shipments, so a dispatch is never short.
    assert outcome["dispatch refused"] == 0, outcome
    assert outcome["received"] == outcome["dispatched"]

    # The double clicks: each shipment left once, never twice.
    for pk, results in double_results.items():
        assert len(results) == 2
        assert results.count(True) <= 1, results
        dispatches = LedgerEntry.all_tenants.filter(shipment_id=pk, kind=LedgerEntry.Kind.DISPATCH)
        assert dispatches.count() == results.count(True)

    # No negative real balance; cache equals entries; the chain is whole.
    assert not Balance.all_tenants.filter(virtual=False, quantity__lt=0).exists()
    assert ledger.reconcile() == []
    assert ledger.verify(association_id) == []

    # Every unit the donor gave is somewhere.
    by_kind = dict(
        Balance.all_tenants.values_list("location__kind").order_by().annotate(q=Sum("quantity"))
    )
    given = -by_kind.get(Location.Kind.DONOR, 0)
    assert given == sum(STOCK)
    # In transit: exactly the double-clicked shipments that left (nobody signed for them).
    in_transit = ShipmentLine.all_tenants.filter(
        shipment__state=Shipment.State.IN_TRANSIT
    ).aggregate(q=Sum("quantity"))["q"]
    assert in_transit == 30 * sum(results.count(True) for results in double_results.values())
    assert by_kind.get(Location.Kind.TRANSIT, 0) == in_transit
    placed = sum(
        by_kind.get(kind, 0)
        for kind in (
            Location.Kind.WAREHOUSE,
            Location.Kind.TRANSIT,
            Location.Kind.COMPANY,
            Location.Kind.SITE,
            Location.Kind.CONSUMED,
            Location.Kind.WRITTEN_OFF,
        )
    )
    assert placed == given

    # Each shipment counted once on its need line: committed = READY shipments,
    # in transit = IN_TRANSIT ones, fulfilled = received units, and the shortfall the rest.
    for need_line in need_lines.values():
        row = NeedLine.all_tenants.get(pk=need_line.pk)
        lines = ShipmentLine.all_tenants.filter(need_line_id=row.pk)
        ready = lines.filter(shipment__state=Shipment.State.READY).aggregate(q=Sum("quantity"))
        moving = lines.filter(shipment__state=Shipment.State.IN_TRANSIT).aggregate(
            q=Sum("quantity")
        )
        done = lines.filter(shipment__state=Shipment.State.RECEIVED).aggregate(
            got=Sum("received_quantity"), short=Sum(F("quantity") - F("received_quantity"))
        )
        total = lines.aggregate(q=Sum("quantity"))["q"]
        assert row.committed == (ready["q"] or 0)
        assert row.in_transit == (moving["q"] or 0)
        assert row.fulfilled == (done["got"] or 0)
        assert row.committed + row.in_transit + row.fulfilled + (done["short"] or 0) == total

    # The ledger's own view agrees with the shipments: units at the sites and written
    # off are exactly what was signed for, less what was used.
    received_units = ShipmentLine.all_tenants.aggregate(q=Sum("received_quantity"))["q"] or 0
    short_units = (
        ShipmentLine.all_tenants.filter(received_quantity__isnull=False).aggregate(
            q=Sum(F("quantity") - F("received_quantity"))
        )["q"]
        or 0
    )
    assert by_kind.get(Location.Kind.WRITTEN_OFF, 0) == short_units
    assert by_kind.get(Location.Kind.SITE, 0) + by_kind.get(Location.Kind.CONSUMED, 0) == (
        received_units
    )
    assert by_kind.get(Location.Kind.CONSUMED, 0) == 7 * outcome["consumed"]
