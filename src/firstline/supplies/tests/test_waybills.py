"""Waybill numbers (issue #17): one format, `SH<local day><serial>`, never the same
number twice across companies, plans, days or concurrent approvals, and the
migration that renumbered the shipments made before."""

from __future__ import annotations

import importlib
import re
import threading
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, connections, transaction

from firstline.supplies.models import Shipment, ShipmentNumber, ShipmentNumberDay
from firstline.supplies.services.allocation import plan_approve, plan_propose
from firstline.supplies.services.donations import warehouse_create
from firstline.supplies.services.waybills import waybill_format, waybill_numbers_issue
from firstline.supplies.tests.allocating import Depot, ask, depot, receive
from firstline.supplies.tests.shipping import ready_shipment
from firstline.testing.world import build_world

migration = importlib.import_module("firstline.supplies.migrations.0003_shipment_numbers")
ONE_FORMAT = re.compile(r"^SH\d{8}\d{5}$")
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections"
)


def ask_everywhere(world, d: Depot, code="PPE-N95", quantity=10) -> None:
    """Needs of both companies' two sites and of both company stores: six destinations,
    three per company."""
    for tenant in (world.a, world.b):
        for corner in tenant.corners:
            ask(world, corner, d, [(code, quantity)])
        ask(world, tenant, d, [(code, quantity)], site=False)


def test_a_plan_of_many_shipments_gets_distinct_numbers_of_one_format(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 1000)])
    ask_everywhere(world, d)
    plan = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    with time_machine.travel(datetime(2026, 12, 7, 2, 0, tzinfo=UTC), tick=False):
        shipments = plan_approve(actor=None, plan=plan)
    numbers = [s.number for s in shipments]
    assert len(shipments) == 6
    assert len({s.company_id for s in shipments}) == 2
    # Before, each company counted from 0001: the same numbers once per company.
    assert len(set(numbers)) == len(numbers)
    assert numbers == [waybill_format(date(2026, 12, 7), n) for n in range(1, 7)]
    assert all(ONE_FORMAT.match(n) for n in numbers)
    assert set(ShipmentNumber.objects.values_list("number", flat=True)) == set(numbers)


def test_a_second_plan_the_same_day_follows_on(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 1000)])
    ask_everywhere(world, d)
    first = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    with time_machine.travel(datetime(2026, 12, 7, 2, 0, tzinfo=UTC), tick=False):
        one = [s.number for s in plan_approve(actor=None, plan=first)]
        ask_everywhere(world, d)
        second = plan_propose(
            actor=None, association_id=world.association.pk, warehouse=d.warehouse
        )
        two = [s.number for s in plan_approve(actor=None, plan=second)]
    assert not set(one) & set(two)
    assert two[0] == "SH2026120700007"
    assert Shipment.all_tenants.values("number").distinct().count() == 12


def test_the_number_names_the_local_day(world):
    """16:30 UTC on 12-06 is 00:30 on 12-07 in Shanghai: the waybill is the 7th's, and
    the 7th's counter starts again at 1."""
    with time_machine.travel(datetime(2026, 12, 6, 15, 59, 59, tzinfo=UTC), tick=False):
        assert waybill_numbers_issue(count=2) == ["SH2026120600001", "SH2026120600002"]
    with time_machine.travel(datetime(2026, 12, 6, 16, 30, tzinfo=UTC), tick=False):
        assert waybill_numbers_issue(count=1) == ["SH2026120700001"]
    assert dict(ShipmentNumberDay.objects.values_list("day", "last")) == {
        date(2026, 12, 6): 2,
        date(2026, 12, 7): 1,
    }


def test_a_rolled_back_issue_gives_its_numbers_back(world):
    day = date(2026, 12, 7)
    with pytest.raises(RuntimeError), transaction.atomic():
        waybill_numbers_issue(count=3, day=day)
        raise RuntimeError("the approval failed")
    assert waybill_numbers_issue(count=1, day=day) == ["SH2026120700001"]


def test_the_database_refuses_a_number_issued_twice(world):
    ShipmentNumber.objects.create(number="SH2026120700001", day=date(2026, 12, 7))
    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentNumber.objects.create(number="SH2026120700001", day=date(2026, 12, 7))


def test_migration_renumbers_duplicates_and_the_old_formats(world):
    """Shipments of the old numbering (per company, so repeated across companies, and
    the demo's FH…) get one number each, by local day of creation, and new numbers
    follow them."""
    ShipmentNumber.objects.all().delete()
    ShipmentNumberDay.objects.all().delete()
    d = depot(world)
    receive(world, d, [("PPE-N95", 100)])
    made = [
        ready_shipment(world, world.a, [(None, d.items["PPE-N95"], _batch(d), 1)]),
        ready_shipment(world, world.b, [(None, d.items["PPE-N95"], _batch(d), 1)]),
        ready_shipment(world, world.a, [(None, d.items["PPE-N95"], _batch(d), 1)]),
        ready_shipment(world, world.b, [(None, d.items["PPE-N95"], _batch(d), 1)]),
    ]
    old = ["SH202612070001", "SH202612070001", "FH2026120600001", "SH2026120700003"]
    at = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # 01:00 on 12-07 in Shanghai
    for shipment, number in zip(made, old, strict=True):
        Shipment.all_tenants.filter(pk=shipment.pk).update(number=number, created_at=at)
    ShipmentNumber.objects.all().delete()
    ShipmentNumberDay.objects.all().delete()

    migration.renumber(django_apps, None)

    numbers = dict(Shipment.all_tenants.values_list("pk", "number"))
    # The one already in the new format keeps its number; the rest follow it.
    assert numbers[made[3].pk] == "SH2026120700003"
    assert [numbers[s.pk] for s in made[:3]] == [
        "SH2026120700004",
        "SH2026120700005",
        "SH2026120700006",
    ]
    assert set(ShipmentNumber.objects.values_list("number", flat=True)) == set(numbers.values())
    assert waybill_numbers_issue(count=1, day=date(2026, 12, 7)) == ["SH2026120700007"]


def _batch(d: Depot):
    from firstline.supplies.models import InboundBatch

    return InboundBatch.all_tenants.filter(warehouse=d.warehouse).latest("number")


# --- at once, on PostgreSQL ------------------------------------------------------------


def _together(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_numbers_issued_at_once_on_many_connections_are_distinct():
    day = date(2026, 12, 7)

    def issue():
        with transaction.atomic():
            return waybill_numbers_issue(count=5, day=day)

    issued = [n for numbers in _together([issue] * 8) for n in numbers]
    assert len(issued) == len(set(issued)) == 40
    assert sorted(issued) == [waybill_format(day, n) for n in range(1, 41)]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_plans_approved_at_once_number_their_shipments_apart():
    """Two plans from two warehouses, approved on two connections at the same moment:
    every shipment of both has its own number."""
    world = build_world()
    d = depot(world)
    other = Depot(
        d.items,
        warehouse_create(
            actor=None,
            association_id=world.association.pk,
            name="武昌仓",
            district=world.divisions["420106"],
        ),
        d.donor,
    )
    receive(world, d, [("PPE-N95", 1000)])
    receive(world, other, [("DIS-84", 1000)])
    ask_everywhere(world, d, "PPE-N95")
    first = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    ask_everywhere(world, other, "DIS-84")
    second = plan_propose(
        actor=None, association_id=world.association.pk, warehouse=other.warehouse
    )
    one, two = _together(
        [
            lambda: plan_approve(actor=None, plan=first),
            lambda: plan_approve(actor=None, plan=second),
        ]
    )
    numbers = [s.number for s in one + two]
    assert len(numbers) == 12
    assert len(set(numbers)) == 12
    assert Shipment.all_tenants.values("number").distinct().count() == 12
