"""Two coordinators approve the same plan at the same moment, and two plans over the
same stock are approved at once (PostgreSQL, real connections): one approval each
time, nothing committed twice, no more promised than the warehouse holds."""

from __future__ import annotations

import pytest
from django.db import connection

from firstline.supplies.models import AllocationPlan, NeedLine, Shipment, ShipmentLine
from firstline.supplies.services.allocation import plan_approve, plan_propose
from firstline.supplies.tests.allocating import ask, depot, receive
from firstline.testing.concurrency import race
from firstline.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections"),
    pytest.mark.django_db(transaction=True),
]


def test_same_plan_approved_twice_at_once_is_one_approval():
    world = build_world()
    d = depot(world)
    receive(world, d, [("PPE-N95", 1000)])
    ask(world, world.a, d, [("PPE-N95", 200)])
    ask(world, world.b, d, [("PPE-N95", 200)])
    plan = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    assert race(
        lambda: plan_approve(actor=None, plan=plan), lambda: plan_approve(actor=None, plan=plan)
    ) == [
        "ok",
        "refused",
    ]
    assert AllocationPlan.all_tenants.get(pk=plan.pk).state == "approved"
    assert Shipment.all_tenants.count() == 2
    assert sorted(NeedLine.all_tenants.values_list("committed", flat=True)) == [200, 200]


def test_two_plans_over_the_same_stock_never_promise_more_than_is_there():
    world = build_world()
    d = depot(world)
    receive(world, d, [("PPE-N95", 300)])
    ask(world, world.a, d, [("PPE-N95", 300)])
    ask(world, world.b, d, [("PPE-N95", 300)])
    first = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    second = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    assert race(
        lambda: plan_approve(actor=None, plan=first), lambda: plan_approve(actor=None, plan=second)
    ) == [
        "ok",
        "refused",
    ]
    promised = sum(ShipmentLine.all_tenants.values_list("quantity", flat=True))
    assert promised == 300
    assert sum(NeedLine.all_tenants.values_list("committed", flat=True)) == 300
