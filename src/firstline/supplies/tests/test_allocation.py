"""Allocation plans against the real ledger: propose, edit, approve (once), directed
batches, and what an approved plan holds back from the next one."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.supplies.models import (
    AllocationLine,
    AllocationPlan,
    LedgerEntry,
    Location,
    Need,
    NeedLine,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from firstline.supplies.services.allocation import (
    available_stock,
    plan_approve,
    plan_discard,
    plan_line_set,
    plan_propose,
)
from firstline.supplies.services.donations import Direction
from firstline.supplies.tests.allocating import ask, depot, receive


def coordinator(world):
    return world.users["association_admin"]


def lines_of(plan) -> dict[tuple[int, str], int]:
    """{(company id, item code): units} of a plan."""
    out: dict = {}
    for company_id, code, qty in AllocationLine.all_tenants.filter(plan=plan).values_list(
        "company_id", "item__code", "quantity"
    ):
        out[(company_id, code)] = out.get((company_id, code), 0) + qty
    return out


def test_propose_everyone_gets_what_they_asked_when_stock_suffices(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 1000), ("DIS-84", 50)])
    ask(world, world.a, d, [("PPE-N95", 200), ("DIS-84", 10)])
    ask(world, world.b, d, [("PPE-N95", 300)])
    plan = plan_propose(
        actor=coordinator(world), association_id=world.association.pk, warehouse=d.warehouse
    )
    assert plan.state == "draft"
    a, b = world.a.company.pk, world.b.company.pk
    assert lines_of(plan) == {(a, "PPE-N95"): 200, (a, "DIS-84"): 10, (b, "PPE-N95"): 300}
    assert AuditEvent.objects.filter(action="supplies.plan_propose").count() == 1


def test_propose_shares_a_shortage_in_whole_packs_and_never_over_stock(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 300)])
    ask(world, world.a, d, [("PPE-N95", 400)])
    ask(world, world.b, d, [("PPE-N95", 400)])
    plan = plan_propose(
        actor=coordinator(world),
        association_id=world.association.pk,
        warehouse=d.warehouse,
        item_ids=[d.items["PPE-N95"].pk],
    )
    got = lines_of(plan)
    assert sum(got.values()) == 300
    assert all(q % 20 == 0 for q in got.values())  # N95 comes 20 a box
    assert abs(got[(world.a.company.pk, "PPE-N95")] - got[(world.b.company.pk, "PPE-N95")]) <= 20


def test_directed_batch_goes_only_to_its_company(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 100)], direction=Direction(company_id=world.b.company.pk))
    ask(world, world.a, d, [("PPE-N95", 100)])
    ask(world, world.b, d, [("PPE-N95", 100)])
    plan = plan_propose(
        actor=coordinator(world), association_id=world.association.pk, warehouse=d.warehouse
    )
    assert lines_of(plan) == {(world.b.company.pk, "PPE-N95"): 100}


def test_directed_division_batch_skips_a_company_store_need(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 100)], direction=Direction(division_code="420103"))
    ask(world, world.a, d, [("PPE-N95", 40)], site=False)  # company store: not a site
    ask(world, world.a, d, [("PPE-N95", 60)])  # company a's site is in 420103
    ask(world, world.b, d, [("PPE-N95", 60)])  # company b's site is in 420106
    plan = plan_propose(
        actor=coordinator(world), association_id=world.association.pk, warehouse=d.warehouse
    )
    rows = list(
        AllocationLine.all_tenants.filter(plan=plan).values_list(
            "company_id", "site_id", "quantity"
        )
    )
    assert rows == [(world.a.company.pk, world.a.site.pk, 60)]


def test_earlier_expiry_is_used_first(world):
    d = depot(world)
    late = receive(world, d, [("PPE-N95", 100)], expiry=date(2028, 1, 1), lot="L-LATE")
    soon = receive(world, d, [("PPE-N95", 100)], expiry=date(2027, 1, 1), lot="L-SOON")
    ask(world, world.a, d, [("PPE-N95", 120)])
    plan = plan_propose(
        actor=coordinator(world), association_id=world.association.pk, warehouse=d.warehouse
    )
    got = dict(AllocationLine.all_tenants.filter(plan=plan).values_list("batch_id", "quantity"))
    assert got == {soon.pk: 100, late.pk: 20}


def test_nothing_to_share_is_a_clear_error(world):
    d = depot(world)
    with pytest.raises(ValidationError, match="没有待分配的需求"):
        plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    ask(world, world.a, d, [("PPE-N95", 120)])
    with pytest.raises(ValidationError, match="没有可分配的库存"):
        plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    assert not AllocationPlan.all_tenants.exists()


def test_warehouse_of_another_association_is_not_found(world):
    from firstline.orgs.models import Association

    d = depot(world)
    other = Association.objects.create(name="另一协会", short_name="另")
    with pytest.raises(Http404):
        plan_propose(actor=None, association_id=other.pk, warehouse=d.warehouse)


def _two_site_plan(world, n95=300):
    d = depot(world)
    receive(world, d, [("PPE-N95", n95)])
    ask(world, world.a, d, [("PPE-N95", 200)])
    ask(world, world.b, d, [("PPE-N95", 200)])
    plan = plan_propose(
        actor=coordinator(world), association_id=world.association.pk, warehouse=d.warehouse
    )
    return d, plan


def test_line_edit_refuses_over_need_and_over_stock_and_zero_removes(world):
    _d, plan = _two_site_plan(world)  # 300 shared between two needs of 200
    line_a = AllocationLine.all_tenants.get(plan=plan, company=world.a.company)
    line_b = AllocationLine.all_tenants.get(plan=plan, company=world.b.company)
    with pytest.raises(ValidationError, match="超过该需求尚缺的数量"):
        plan_line_set(actor=None, plan=plan, line=line_a, quantity=201)
    with pytest.raises(ValidationError, match="可分配"):
        # 200 + b's line is more than the 300 in the warehouse
        plan_line_set(actor=None, plan=plan, line=line_a, quantity=200)
    plan_line_set(actor=None, plan=plan, line=line_b, quantity=100)
    plan_line_set(actor=None, plan=plan, line=line_a, quantity=200)
    assert AllocationLine.all_tenants.get(pk=line_a.pk).quantity == 200
    plan_line_set(actor=None, plan=plan, line=line_b, quantity=0)
    assert not AllocationLine.all_tenants.filter(pk=line_b.pk).exists()


def test_approve_commits_needs_and_makes_ready_shipments_without_moving_stock(world):
    d, plan = _two_site_plan(world, n95=1000)
    entries_before = LedgerEntry.all_tenants.count()
    shipments = plan_approve(actor=coordinator(world), plan=plan)
    plan.refresh_from_db()
    assert plan.state == "approved" and plan.approved_by == coordinator(world)
    assert LedgerEntry.all_tenants.count() == entries_before  # goods move at dispatch
    assert len(shipments) == 2
    wh = Location.all_tenants.get(warehouse=d.warehouse)
    for tenant in (world.a, world.b):
        ship = Shipment.all_tenants.get(company=tenant.company)
        assert ship.state == "ready" and ship.site_id == tenant.site.pk
        assert ship.from_location_id == wh.pk
        assert ship.to_location_id == Location.all_tenants.get(site=tenant.site).pk
        assert ship.number.startswith(f"SH{timezone.localdate():%Y%m%d}")
        line = ShipmentLine.all_tenants.get(shipment=ship)
        need_line = NeedLine.all_tenants.get(pk=line.need_line_id)
        assert (line.quantity, need_line.committed, need_line.state) == (200, 200, "partly")
        assert Need.all_tenants.get(pk=need_line.need_id).state == "partly"
    # One waybill number each, across companies (each used to count from 0001).
    assert sorted(s.number[-5:] for s in shipments) == ["00001", "00002"]


def test_approving_twice_is_one_approval(world):
    _d, plan = _two_site_plan(world, n95=1000)
    plan_approve(actor=None, plan=plan)
    with pytest.raises(ValidationError, match="已批准"):
        plan_approve(actor=None, plan=plan)
    assert Shipment.all_tenants.count() == 2
    assert sorted(NeedLine.all_tenants.values_list("committed", flat=True)) == [200, 200]
    with pytest.raises(ValidationError):
        plan_line_set(
            actor=None,
            plan=plan,
            line=AllocationLine.all_tenants.filter(plan=plan).first(),
            quantity=1,
        )
    with pytest.raises(ValidationError):
        plan_discard(actor=None, plan=plan)


def test_approved_plan_holds_its_stock_back_from_the_next(world):
    d, plan = _two_site_plan(world, n95=300)
    plan_approve(actor=None, plan=plan)
    assert available_stock(d.warehouse) == []
    ask(world, world.a, d, [("DIS-84", 5)])
    with pytest.raises(ValidationError, match="没有可分配的库存"):
        plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)


def test_two_drafts_over_the_same_stock_only_the_first_approves(world):
    d, first = _two_site_plan(world, n95=300)
    second = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    plan_approve(actor=None, plan=first)
    with pytest.raises(ValidationError, match="请重新生成方案"):
        plan_approve(actor=None, plan=second)
    assert AllocationPlan.all_tenants.get(pk=second.pk).state == "draft"  # nothing half-written
    assert Shipment.all_tenants.filter(plan=second).count() == 0
    first_lines = dict(
        AllocationLine.all_tenants.filter(plan=first).values_list("need_line_id", "quantity")
    )
    assert dict(NeedLine.all_tenants.values_list("pk", "committed")) == first_lines
    assert sum(first_lines.values()) == 300


def test_cancelled_need_cannot_be_approved(world):
    from firstline.supplies.services.needs import need_cancel

    _d, plan = _two_site_plan(world, n95=1000)
    need = Need.all_tenants.get(company=world.a.company)
    need_cancel(actor=None, need=need)
    with pytest.raises(ValidationError, match="已变化"):
        plan_approve(actor=None, plan=plan)
    assert AllocationPlan.all_tenants.get(pk=plan.pk).state == "draft"


def test_company_store_need_ships_to_the_company_store(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 100)])
    ask(world, world.a, d, [("PPE-N95", 40)], site=False)
    plan = plan_propose(actor=None, association_id=world.association.pk, warehouse=d.warehouse)
    (ship,) = plan_approve(actor=None, plan=plan)
    assert ship.site_id is None
    assert ship.to_location.kind == "company" and ship.to_location.company_id == world.a.company.pk


def test_discard(world):
    _d, plan = _two_site_plan(world)
    plan_discard(actor=None, plan=plan)
    assert AllocationPlan.all_tenants.get(pk=plan.pk).state == "discarded"
    with pytest.raises(ValidationError):
        plan_approve(actor=None, plan=plan)


def test_stock_of_other_warehouses_is_not_used(world):
    d = depot(world)
    receive(world, d, [("PPE-N95", 100)])
    other = Warehouse.objects.create(
        association=world.association, name="武昌仓", district=world.divisions["420106"]
    )
    ask(world, world.a, d, [("PPE-N95", 40)])
    with pytest.raises(ValidationError, match="没有可分配的库存"):
        plan_propose(actor=None, association_id=world.association.pk, warehouse=other)


def test_raw_line_insert_matches_the_model():
    from firstline.supplies.services.allocation import INSERT_LINES, LINE_COLUMNS

    columns = {f.column for f in AllocationLine._meta.concrete_fields if not f.primary_key}
    assert AllocationLine._meta.db_table in INSERT_LINES
    listed = INSERT_LINES.split("(")[1].split(")")[0].replace(" ", "").split(",")
    assert set(listed) == columns
    assert LINE_COLUMNS.replace(" ", "").split(",") == listed  # the COPY on PostgreSQL
