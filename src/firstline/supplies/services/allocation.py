"""Allocation plans: the coordinator proposes who gets what from one warehouse,
edits the proposal, and approves it; approval commits the need lines and makes the
shipments (state READY). No stock moves here: the ledger moves goods at dispatch
(shipments), so an approved plan's lines are "committed, not yet dispatched", and
the stock a new plan may use is the warehouse's balance minus the READY shipments
that leave from it.

Loading is set-based (one query per figure, whatever the number of sites); the
sharing itself is `planner.propose`, a pure function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.supplies.models import (
    AllocationLine,
    AllocationPlan,
    AuditAction,
    Balance,
    BatchLine,
    Item,
    NeedLine,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from firstline.supplies.selectors.coordination import member_company_ids
from firstline.supplies.services import planner
from firstline.supplies.services.ledger import direction_allows, lock_head
from firstline.supplies.services.locations import (
    company_location,
    site_location,
    warehouse_location,
)
from firstline.supplies.services.needs import (
    SiteFigures,
    company_figures,
    live_figures,
    needlines_refresh,
)
from firstline.supplies.services.waybills import waybill_numbers_issue

LIVE_STATES = (NeedLine.State.OPEN, NeedLine.State.PARTLY)


# --- loading --------------------------------------------------------------------------


def reserved(warehouse_location_id: int, keys: Iterable[tuple[int, int]] | None = None) -> dict:
    """{(item, batch): units} approved to leave the warehouse and not dispatched yet
    (the lines of its READY shipments). Read across companies: it leaves as sums."""
    qs = ShipmentLine.all_tenants.filter(
        shipment__from_location_id=warehouse_location_id, shipment__state=Shipment.State.READY
    )
    if keys is not None:
        keys = list(keys)
        qs = qs.filter(item_id__in={k[0] for k in keys}, batch_id__in={k[1] for k in keys})
    return {
        (row["item_id"], row["batch_id"]): row["q"]
        for row in qs.values("item_id", "batch_id").order_by().annotate(q=Sum("quantity"))
    }


def available_stock(warehouse: Warehouse, item_ids=None) -> list[planner.StockLot]:
    """What of the warehouse a plan may still use, per (item, batch), with each
    batch's direction and earliest expiry. Three queries."""
    location = warehouse_location(warehouse)
    balances = Balance.all_tenants.filter(location_id=location.pk, quantity__gt=0)
    if item_ids:
        balances = balances.filter(item_id__in=sorted(item_ids))
    rows = list(
        balances.values(
            "item_id",
            "batch_id",
            "quantity",
            "batch__directed_company_id",
            "batch__directed_site_id",
            "batch__directed_division_code",
        )
    )
    held = reserved(location.pk, [(r["item_id"], r["batch_id"]) for r in rows]) if rows else {}
    expiry = {
        (row["batch_id"], row["item_id"]): row["e"]
        for row in BatchLine.all_tenants.filter(
            batch_id__in={r["batch_id"] for r in rows}, lot__expiry_date__isnull=False
        )
        .values("batch_id", "item_id")
        .order_by()
        .annotate(e=Min("lot__expiry_date"))
    }
    out = []
    for r in rows:
        key = (r["item_id"], r["batch_id"])
        left = r["quantity"] - held.get(key, 0)
        if left > 0:
            out.append(
                planner.StockLot(
                    item_id=r["item_id"],
                    batch_id=r["batch_id"],
                    available=left,
                    expiry=expiry.get((r["batch_id"], r["item_id"])),
                    directed_company_id=r["batch__directed_company_id"],
                    directed_site_id=r["batch__directed_site_id"],
                    directed_division_code=r["batch__directed_division_code"],
                )
            )
    return out


def open_need_lines(association_id: int, item_ids=None):
    """The member companies' need lines still short, with what the planner needs to
    know about each (a values queryset, one query)."""
    qs = (
        NeedLine.all_tenants.filter(
            company_id__in=member_company_ids([association_id]), state__in=LIVE_STATES
        )
        .annotate(remaining=F("quantity") - F("committed") - F("in_transit") - F("fulfilled"))
        .filter(remaining__gt=0)
    )
    if item_ids:
        qs = qs.filter(item_id__in=sorted(item_ids))
    return qs.values(
        "id",
        "item_id",
        "company_id",
        "site_id",
        "remaining",
        "site__community__code",
        "company__division__code",
    ).order_by("id")


def figures_for(association_id: int) -> tuple[dict, dict]:
    """(by (company, site), by company) live figures of the member companies."""
    by_site = live_figures(member_company_ids([association_id]))
    return by_site, company_figures(by_site)


def line_figures(by_site: dict, by_company: dict, company_id: int, site_id) -> SiteFigures:
    if site_id:
        return by_site.get((company_id, site_id), SiteFigures())
    return by_company.get(company_id, SiteFigures())


def slot_for(row: dict, by_site: dict, by_company: dict) -> planner.NeedSlot:
    fig = line_figures(by_site, by_company, row["company_id"], row["site_id"])
    if row["site_id"]:
        dest = planner.Destination(
            "site", row["company_id"], row["site_id"], row["site__community__code"] or ""
        )
    else:
        dest = planner.Destination(
            "company", row["company_id"], None, row["company__division__code"] or ""
        )
    return planner.NeedSlot(
        need_line_id=row["id"],
        item_id=row["item_id"],
        remaining=row["remaining"],
        destination=dest,
        figures=planner.Figures(
            isolation=fig.isolation,
            red=fig.red,
            fevers=fig.fevers,
            residents=fig.residents,
            staff=fig.staff,
        ),
    )


def _check_warehouse(warehouse: Warehouse, association_id: int) -> None:
    if warehouse.association_id != association_id:
        raise Http404


# --- services ---------------------------------------------------------------------------


def plan_propose(
    *, actor, association_id: int, warehouse: Warehouse, item_ids=None, note: str = ""
) -> AllocationPlan:
    """Load the stock and the open needs, share them (`planner.propose`), and keep
    the result as a DRAFT plan. A plan with no lines is refused (nothing to share)."""
    _check_warehouse(warehouse, association_id)
    item_ids = sorted(set(item_ids)) if item_ids else None
    stock = available_stock(warehouse, item_ids)
    rows = list(open_need_lines(association_id, item_ids))
    by_site, by_company = figures_for(association_id)
    slots = [slot_for(row, by_site, by_company) for row in rows]
    packs = dict(
        Item.objects.filter(pk__in={r["item_id"] for r in rows}).values_list("pk", "pack_size")
    )
    proposal = planner.propose(stock, slots, planner.Params(pack_sizes=packs))
    if not proposal:
        if not rows:
            raise ValidationError(_("没有待分配的需求。"))
        raise ValidationError(_("所选仓库没有可分配的库存。"))
    row_of = {row["id"]: row for row in rows}
    with transaction.atomic():
        plan = AllocationPlan.objects.create(
            association_id=association_id, warehouse=warehouse, note=note, created_by=actor
        )
        _insert_lines(
            (
                plan.pk,
                a.need_line_id,
                row_of[a.need_line_id]["company_id"],
                row_of[a.need_line_id]["site_id"],
                a.item_id,
                a.batch_id,
                a.quantity,
            )
            for a in proposal
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.PLAN_PROPOSE,
            obj=plan,
            changes={
                "warehouse": warehouse.pk,
                "items": item_ids,
                "lines": len(proposal),
                "units": sum(a.quantity for a in proposal),
            },
        )
    return plan


# The table and columns of AllocationLine (a test checks they match the model).
LINE_COLUMNS = "plan_id, need_line_id, company_id, site_id, item_id, batch_id, quantity"
INSERT_LINES = (
    "INSERT INTO supplies_allocationline"
    " (plan_id, need_line_id, company_id, site_id, item_id, batch_id, quantity)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def _insert_lines(rows) -> None:
    """A proposal's lines in one statement: tens of thousands at wuhan scale, where
    building model instances for bulk_create costs more than the whole plan. COPY on
    PostgreSQL (an executemany there is one round trip per row), executemany on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(
                f"COPY supplies_allocationline ({LINE_COLUMNS}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(INSERT_LINES, list(rows))


def _lock_draft(plan: AllocationPlan) -> AllocationPlan:
    locked = AllocationPlan.all_tenants.select_for_update().filter(pk=plan.pk).first()
    if locked is None:
        raise Http404
    if locked.state != AllocationPlan.State.DRAFT:
        raise ValidationError(_("方案已批准或已作废，不能再修改。"))
    return locked


def plan_line_set(*, actor, plan: AllocationPlan, line: AllocationLine, quantity: int) -> None:
    """The coordinator's edit of one line: 0 removes it; more than the warehouse can
    still give of that batch, or than the need line still lacks, is refused."""
    if line.plan_id != plan.pk:
        raise Http404
    if quantity is None or quantity < 0:
        raise ValidationError({"quantity": _("数量不能为负数。")})
    with transaction.atomic():
        plan = _lock_draft(plan)
        line = AllocationLine.all_tenants.select_related("item", "batch").get(pk=line.pk)
        before = line.quantity
        if quantity == 0:
            line.delete()
        else:
            _check_line(plan, line, quantity)
            AllocationLine.all_tenants.filter(pk=line.pk).update(quantity=quantity)
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.PLAN_LINE_SET,
            obj=plan,
            changes={"line": line.pk, "quantity": [before, quantity]},
        )


def _check_line(plan: AllocationPlan, line: AllocationLine, quantity: int) -> None:
    need = (
        NeedLine.all_tenants.filter(pk=line.need_line_id)
        .values("quantity", "committed", "in_transit", "fulfilled", "state")
        .get()
    )
    others_need = (
        AllocationLine.all_tenants.filter(plan=plan, need_line_id=line.need_line_id)
        .exclude(pk=line.pk)
        .aggregate(q=Sum("quantity"))["q"]
        or 0
    )
    remaining = need["quantity"] - need["committed"] - need["in_transit"] - need["fulfilled"]
    if need["state"] == NeedLine.State.CANCELLED or quantity + others_need > remaining:
        raise ValidationError(
            {
                "quantity": _("超过该需求尚缺的数量（还缺 %(n)d）。")
                % {"n": max(remaining - others_need, 0)}
            }
        )
    location = warehouse_location(plan.warehouse)
    balance = (
        Balance.all_tenants.filter(
            location_id=location.pk, item_id=line.item_id, batch_id=line.batch_id
        )
        .values_list("quantity", flat=True)
        .first()
        or 0
    )
    held = reserved(location.pk, [(line.item_id, line.batch_id)]).get(
        (line.item_id, line.batch_id), 0
    )
    others_batch = (
        AllocationLine.all_tenants.filter(plan=plan, item_id=line.item_id, batch_id=line.batch_id)
        .exclude(pk=line.pk)
        .aggregate(q=Sum("quantity"))["q"]
        or 0
    )
    can = balance - held - others_batch
    if quantity > can:
        raise ValidationError(
            {
                "quantity": _("第 %(number)d 批%(item)s可分配 %(n)d，不足 %(q)d。")
                % {
                    "number": line.batch.number,
                    "item": line.item.name,
                    "n": max(can, 0),
                    "q": quantity,
                }
            }
        )


def plan_discard(*, actor, plan: AllocationPlan) -> AllocationPlan:
    with transaction.atomic():
        done = AllocationPlan.all_tenants.filter(
            pk=plan.pk, state=AllocationPlan.State.DRAFT
        ).update(state=AllocationPlan.State.DISCARDED)
        if not done:
            raise ValidationError(_("只有草稿方案可以作废。"))
        audit_record(actor=actor, company_id=None, action=AuditAction.PLAN_DISCARD, obj=plan)
    plan.state = AllocationPlan.State.DISCARDED
    return plan


@dataclass
class _Dest:
    company_id: int
    site_id: int | None


def plan_approve(*, actor, plan: AllocationPlan) -> list[Shipment]:
    """Approve a DRAFT plan, all or nothing: the plan's state moves DRAFT→APPROVED
    conditionally (a second approval finds it APPROVED and is refused, so a plan is
    approved once), the warehouse's stock is re-checked under row locks, the need
    lines (locked in id order) are committed by F() updates, and one READY shipment
    per destination is made with its lines."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return _approve(actor, plan, now)
    except IntegrityError as exc:  # a waybill number issued twice: never, by the counter
        raise ValidationError(_("发货单编号冲突，请重试。")) from exc


def _approve(actor, plan: AllocationPlan, now) -> list[Shipment]:
    done = AllocationPlan.all_tenants.filter(pk=plan.pk, state=AllocationPlan.State.DRAFT).update(
        state=AllocationPlan.State.APPROVED, approved_by=actor, approved_at=now
    )
    # Approvals of one association queue on its chain tip, the lock every supplies
    # writer takes first; waybill numbers come from the platform's day counter
    # (services/waybills.py), the last lock taken.
    lock_head(plan.association_id)
    if not done:
        raise ValidationError(_("方案已批准或已作废。"))
    plan = AllocationPlan.all_tenants.select_related("warehouse__district").get(pk=plan.pk)
    lines = list(
        AllocationLine.all_tenants.filter(plan=plan)
        .select_related("item", "batch")
        .order_by("need_line_id", "batch_id")
    )
    if not lines:
        raise ValidationError(_("方案没有分配明细。"))
    location = warehouse_location(plan.warehouse)

    # Stock: lock the warehouse's balances of these batches (key order, as the ledger
    # does), then what is there minus what other READY shipments already hold.
    per_batch: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        per_batch[(line.item_id, line.batch_id)] += line.quantity
    locked = {
        (b.item_id, b.batch_id): b.quantity
        for b in Balance.all_tenants.select_for_update()
        .filter(
            location_id=location.pk,
            item_id__in={k[0] for k in per_batch},
            batch_id__in={k[1] for k in per_batch},
        )
        .order_by("location_id", "item_id", "batch_id")
    }
    held = reserved(location.pk, per_batch)
    for key in sorted(per_batch):
        can = locked.get(key, 0) - held.get(key, 0)
        if per_batch[key] > can:
            line = next(line for line in lines if (line.item_id, line.batch_id) == key)
            raise ValidationError(
                _("第 %(number)d 批%(item)s现可分配 %(n)d，方案需要 %(q)d：请重新生成方案。")
                % {
                    "number": line.batch.number,
                    "item": line.item.name,
                    "n": max(can, 0),
                    "q": per_batch[key],
                }
            )

    # Needs: lock in id order, re-check, commit.
    per_need: dict[int, int] = defaultdict(int)
    for line in lines:
        per_need[line.need_line_id] += line.quantity
    needs = {
        n.pk: n
        for n in NeedLine.all_tenants.select_for_update()
        .filter(pk__in=sorted(per_need))
        .order_by("pk")
    }
    for pk in sorted(per_need):
        n = needs[pk]
        remaining = n.quantity - n.committed - n.in_transit - n.fulfilled
        if n.state == NeedLine.State.CANCELLED or per_need[pk] > remaining:
            raise ValidationError(
                _("需求明细 %(id)d 已变化（还缺 %(n)d，方案分配 %(q)d）：请重新生成方案。")
                % {"id": pk, "n": max(remaining, 0), "q": per_need[pk]}
            )
    by_amount: dict[int, list[int]] = defaultdict(list)
    for pk, qty in per_need.items():
        by_amount[qty].append(pk)
    for qty, pks in sorted(by_amount.items()):
        NeedLine.all_tenants.filter(pk__in=sorted(pks)).update(committed=F("committed") + qty)
    needlines_refresh(per_need)

    shipments = _make_shipments(actor, plan, lines, location, now)
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.PLAN_APPROVE,
        obj=plan,
        changes={"shipments": [s.number for s in shipments], "lines": len(lines)},
    )
    return shipments


def _make_shipments(actor, plan, lines, from_location, now) -> list[Shipment]:
    groups: dict[tuple[int, int | None], list[AllocationLine]] = defaultdict(list)
    for line in lines:
        groups[(line.company_id, line.site_id)].append(line)
    company_ids = sorted({c for c, _s in groups})
    companies = Company.objects.select_related("division").in_bulk(company_ids)
    sites = Site.all_tenants.select_related("community").in_bulk(
        sorted({s for _c, s in groups if s})
    )
    keys = sorted(groups, key=lambda k: (k[0], k[1] or 0))
    numbers = waybill_numbers_issue(count=len(keys), now=now)
    shipments: list[Shipment] = []
    ship_lines: list[ShipmentLine] = []
    for (company_id, site_id), number in zip(keys, numbers, strict=True):
        if site_id:
            to = site_location(sites[site_id], association_id=plan.association_id)
        else:
            to = company_location(companies[company_id], association_id=plan.association_id)
        shipment = Shipment.all_tenants.create(
            company_id=company_id,
            number=number,
            plan=plan,
            site_id=site_id,
            from_location=from_location,
            to_location=to,
            state=Shipment.State.READY,
        )
        shipments.append(shipment)
        for line in groups[(company_id, site_id)]:
            if not direction_allows(line.batch, to):  # the ledger would refuse it at dispatch
                raise ValidationError(
                    _("第 %(number)d 批是定向捐赠，不能调往“%(place)s”。")
                    % {"number": line.batch.number, "place": to.public_name}
                )
            ship_lines.append(
                ShipmentLine(
                    company_id=company_id,
                    shipment=shipment,
                    need_line_id=line.need_line_id,
                    item_id=line.item_id,
                    batch_id=line.batch_id,
                    quantity=line.quantity,
                )
            )
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.SHIPMENT_CREATE,
            obj=shipment,
            changes={"plan": plan.pk, "lines": len(groups[(company_id, site_id)])},
        )
    ShipmentLine.all_tenants.bulk_create(ship_lines, batch_size=1000)
    return shipments
