"""Shipments on their way, their receipt, and what a site uses: the writes.

Every service is one transaction whose state change is a conditional UPDATE
(`… WHERE state = 'ready'`), so a double click or two people at once act once: the
second finds nothing to change. Rows are locked in one fixed order everywhere, so
two services never wait on each other in a circle:

    plan / shipment (the conditional UPDATE) → the ledger head → balances (by key;
    both inside ledger.post, or the head taken first by consumption) → need lines
    (by id).

That is also allocation.plan_approve's order (plan → warehouse balances → need
lines), so an approval and a dispatch touching the same need line cannot deadlock.

Stock moves only through `ledger.post`, in the same transaction as the shipment's
state and the need lines' figures, so a refusal there (not enough in the
warehouse, a directed gift going elsewhere) leaves nothing half-written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.scope import Scope
from firstline.core.services import audit_record, stored_actor
from firstline.estates.models import Site
from firstline.supplies.models import (
    AllocationPlan,
    AuditAction,
    Balance,
    BatchLine,
    Item,
    LedgerEntry,
    LedgerHead,
    Location,
    NeedLine,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import system_location
from firstline.supplies.services.needs import needlines_refresh

RECEIVE = "supplies.receive_shipment"
CONSUME = "supplies.record_consumption"
REASON_MAX = 200


def _lock_need_lines(ids) -> dict[int, NeedLine]:
    """The need lines a shipment touches, locked in id order (the fixed order)."""
    if not ids:
        return {}
    rows = (
        NeedLine.all_tenants.select_for_update()
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
        .only("id", "committed", "in_transit", "fulfilled")
    )
    return {row.pk: row for row in rows}


def _lines(shipment_id: int) -> list[ShipmentLine]:
    return list(
        ShipmentLine.all_tenants.filter(shipment_id=shipment_id)
        .select_related("item", "batch")
        .order_by("pk")
    )


# --- dispatch ----------------------------------------------------------------------------


def shipment_dispatch(*, actor, shipment: Shipment) -> bool:
    """READY → IN_TRANSIT: the goods leave the warehouse for the association's transit
    account, and the need lines move committed → in transit. False (nothing written)
    when the shipment had already left. The caller has checked `supplies.coordinate`
    over the shipment's association."""
    now = timezone.now()
    with transaction.atomic():
        acted = Shipment.all_tenants.filter(pk=shipment.pk, state=Shipment.State.READY).update(
            state=Shipment.State.IN_TRANSIT,
            dispatched_at=now,
            dispatched_by=stored_actor(actor),
            updated_at=now,
        )
        if not acted:
            return False
        row = Shipment.all_tenants.select_related("from_location", "to_location").get(
            pk=shipment.pk
        )
        lines = _lines(row.pk)
        if not lines:
            raise ValidationError(
                _("发货单 %(number)s 没有明细，不能发货。") % {"number": row.number}
            )
        for line in lines:
            # The ledger checks a directed gift where it lands (at receipt); refuse it
            # here already, or the goods would leave and be stuck in transit.
            if not ledger.direction_allows(line.batch, row.to_location):
                raise ValidationError(
                    _("第 %(number)d 批是定向捐赠，不能调往“%(place)s”。")
                    % {"number": line.batch.number, "place": row.to_location.public_name}
                )
        per_need: dict[int, int] = defaultdict(int)
        for line in lines:
            if line.need_line_id:
                per_need[line.need_line_id] += line.quantity
        association_id = row.from_location.association_id
        transit = system_location(Location.Kind.TRANSIT, association_id=association_id)
        ledger.post(
            association_id=association_id,
            moves=[
                ledger.Move(
                    kind=LedgerEntry.Kind.DISPATCH,
                    item_id=line.item_id,
                    batch_id=line.batch_id,
                    from_location_id=row.from_location_id,
                    to_location_id=transit.pk,
                    quantity=line.quantity,
                    shipment_id=row.pk,
                )
                for line in lines
            ],
            actor=stored_actor(actor),
            at=now,
        )
        need_lines = _lock_need_lines(per_need)
        for pk, quantity in per_need.items():
            if need_lines[pk].committed < quantity:
                raise ValidationError(
                    _("需求明细 %(id)d 的已分配数量（%(have)d）少于本次发货（%(q)d）。")
                    % {"id": pk, "have": need_lines[pk].committed, "q": quantity}
                )
        for pk in sorted(per_need):
            NeedLine.all_tenants.filter(pk=pk).update(
                committed=F("committed") - per_need[pk],
                in_transit=F("in_transit") + per_need[pk],
                updated_at=now,
            )
        needlines_refresh(per_need)
        audit_record(
            actor=actor,
            company_id=row.company_id,
            action=AuditAction.SHIPMENT_DISPATCH,
            obj=row,
            changes={"state": [Shipment.State.READY, Shipment.State.IN_TRANSIT]},
        )
    return True


@dataclass
class PlanDispatch:
    dispatched: list[str] = field(default_factory=list)  # shipment numbers
    refused: dict[str, str] = field(default_factory=dict)  # number → why


def plan_dispatch(*, actor, plan: AllocationPlan) -> PlanDispatch:
    """Dispatch every READY shipment of an approved plan, each in its own transaction
    (in id order): one that lacks stock is named with the reason and the others go."""
    result = PlanDispatch()
    ready = (
        Shipment.all_tenants.filter(plan_id=plan.pk, state=Shipment.State.READY)
        .order_by("pk")
        .only("id", "number")
    )
    for shipment in list(ready):
        try:
            if shipment_dispatch(actor=actor, shipment=shipment):
                result.dispatched.append(shipment.number)
        except ValidationError as exc:
            result.refused[shipment.number] = " ".join(exc.messages)
    return result


# --- receipt -----------------------------------------------------------------------------


def receivable(scope: Scope):
    """The shipments a user may sign for (their company's or their sites')."""
    return Shipment.objects.for_scope(scope.for_perm(RECEIVE))


def _clean_received(lines: list[ShipmentLine], received: dict) -> dict[int, tuple[int, str]]:
    """{line id: (quantity, reason)} checked against what was sent; errors keyed
    `qty_<line id>` / `reason_<line id>` (the receive form's field names)."""
    errors: dict[str, str] = {}
    by_id = {line.pk: line for line in lines}
    unknown = sorted(set(map(int, received)) - set(by_id))
    if unknown:
        errors["lines"] = _("明细 %(ids)s 不属于这张发货单。") % {
            "ids": ", ".join(map(str, unknown))
        }
    out: dict[int, tuple[int, str]] = {}
    for line in lines:
        given = received.get(line.pk, received.get(str(line.pk)))
        if given is None:
            errors[f"qty_{line.pk}"] = _("%(item)s：请填写实收数量。") % {"item": line.item.name}
            continue
        quantity, reason = given
        reason = (reason or "").strip()
        if not isinstance(quantity, int) or quantity < 0 or quantity > line.quantity:
            errors[f"qty_{line.pk}"] = _("%(item)s：实收数量应在 0 到 %(sent)d 之间。") % {
                "item": line.item.name,
                "sent": line.quantity,
            }
            continue
        if quantity != line.quantity and not reason:
            errors[f"reason_{line.pk}"] = _(
                "%(item)s：实收 %(got)d 与发货 %(sent)d 不符，请说明原因。"
            ) % {"item": line.item.name, "got": quantity, "sent": line.quantity}
            continue
        if len(reason) > REASON_MAX:
            errors[f"reason_{line.pk}"] = _("%(item)s：原因最多 %(n)d 个字。") % {
                "item": line.item.name,
                "n": REASON_MAX,
            }
            continue
        out[line.pk] = (quantity, reason if quantity != line.quantity else "")
    if errors:
        raise ValidationError(errors)
    return out


def shipment_receive(*, actor, scope: Scope, shipment: Shipment, received: dict) -> bool:
    """IN_TRANSIT → RECEIVED, signed by a user of the receiving company or site.

    `received` = {line id: (quantity, reason)}, one entry per line: 0 … sent, and a
    reason whenever it differs. The units received move transit → destination; the
    difference transit → written off with the reason; the need lines move in transit
    → fulfilled (the shortfall leaves them unfulfilled, to be allocated again).
    404 outside the user's scope; False (nothing written) when already received."""
    if not receivable(scope).filter(pk=shipment.pk).exists():
        raise Http404
    now = timezone.now()
    with transaction.atomic():
        acted = Shipment.all_tenants.filter(pk=shipment.pk, state=Shipment.State.IN_TRANSIT).update(
            state=Shipment.State.RECEIVED,
            received_at=now,
            received_by=stored_actor(actor),
            updated_at=now,
        )
        if not acted:
            state = Shipment.all_tenants.filter(pk=shipment.pk).values_list("state", flat=True)
            if state.first() == Shipment.State.RECEIVED:
                return False
            raise ValidationError(_("这张发货单还没有发出，不能签收。"))
        row = Shipment.all_tenants.select_related("to_location").get(pk=shipment.pk)
        lines = _lines(row.pk)
        figures = _clean_received(lines, received)
        per_need: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # [sent, received]
        for line in lines:
            if line.need_line_id:
                per_need[line.need_line_id][0] += line.quantity
                per_need[line.need_line_id][1] += figures[line.pk][0]
        association_id = row.to_location.association_id
        transit = system_location(Location.Kind.TRANSIT, association_id=association_id)
        written_off = system_location(Location.Kind.WRITTEN_OFF, association_id=association_id)
        moves = []
        for line in lines:
            quantity, reason = figures[line.pk]
            ShipmentLine.all_tenants.filter(pk=line.pk).update(
                received_quantity=quantity, difference_reason=reason, updated_at=now
            )
            common = {
                "item_id": line.item_id,
                "batch_id": line.batch_id,
                "from_location_id": transit.pk,
                "shipment_id": row.pk,
            }
            if quantity:
                moves.append(
                    ledger.Move(
                        kind=LedgerEntry.Kind.RECEIVE,
                        to_location_id=row.to_location_id,
                        quantity=quantity,
                        **common,
                    )
                )
            if line.quantity - quantity:
                moves.append(
                    ledger.Move(
                        kind=LedgerEntry.Kind.SHORTFALL,
                        to_location_id=written_off.pk,
                        quantity=line.quantity - quantity,
                        reason=reason,
                        **common,
                    )
                )
        ledger.post(association_id=association_id, moves=moves, actor=stored_actor(actor), at=now)
        need_lines = _lock_need_lines(per_need)
        for pk, (sent, _got) in per_need.items():
            if need_lines[pk].in_transit < sent:
                raise ValidationError(
                    _("需求明细 %(id)d 的在途数量（%(have)d）少于本次签收（%(q)d）。")
                    % {"id": pk, "have": need_lines[pk].in_transit, "q": sent}
                )
        for pk in sorted(per_need):
            sent, got = per_need[pk]
            NeedLine.all_tenants.filter(pk=pk).update(
                in_transit=F("in_transit") - sent, fulfilled=F("fulfilled") + got, updated_at=now
            )
        needlines_refresh(per_need)
        audit_record(
            actor=actor,
            company_id=row.company_id,
            action=AuditAction.SHIPMENT_RECEIVE,
            obj=row,
            changes={
                "state": [Shipment.State.IN_TRANSIT, Shipment.State.RECEIVED],
                "received": {str(pk): list(v) for pk, v in sorted(figures.items())},
            },
        )
    return True


# --- use at a site -----------------------------------------------------------------------


def _fifo_balances(location_id: int, item_ids: list[int]):
    """The site's positive balances of the items, the batch expiring first first
    (its earliest lot of that item; batches with no expiry last, then oldest in)."""
    expiry = (
        BatchLine.all_tenants.filter(
            batch_id=OuterRef("batch_id"),
            item_id=OuterRef("item_id"),
            lot__expiry_date__isnull=False,
        )
        .order_by("lot__expiry_date")
        .values("lot__expiry_date")[:1]
    )
    return (
        Balance.all_tenants.filter(location_id=location_id, item_id__in=item_ids, quantity__gt=0)
        .annotate(expiry=Subquery(expiry))
        .order_by(F("expiry").asc(nulls_last=True), "batch__received_at", "batch_id")
        .values("item_id", "batch_id", "quantity")
    )


def consumption_record(
    *, actor, scope: Scope, site: Site, lines: list[tuple[Item, int]], reason: str
) -> list[LedgerEntry]:
    """Units a site used (site → consumed), drawn from its batches expiring first.
    Refuses, naming the item, more than the site has; 404 for a site outside the
    user's `supplies.record_consumption` scope."""
    if not Site.objects.for_scope(scope.for_perm(CONSUME)).filter(pk=site.pk).exists():
        raise Http404
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("请说明用途。")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("用途最多 %(n)d 个字。") % {"n": REASON_MAX}
    wanted: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for index, (item, quantity) in enumerate(lines, start=1):
        if item is None or not isinstance(quantity, int) or quantity <= 0:
            errors[f"line_{index}"] = _("第 %(n)d 行：请选择物资并填写大于 0 的数量。") % {
                "n": index
            }
            continue
        wanted[item.pk] += quantity
        names[item.pk] = item.name
    if not wanted and "reason" not in errors and not errors:
        errors["lines"] = _("请至少填写一行使用记录。")
    if errors:
        raise ValidationError(errors)
    location = Location.all_tenants.filter(site_id=site.pk, kind=Location.Kind.SITE).first()
    if location is None:
        raise ValidationError({"lines": _("该项目还没有任何库存。")})
    with transaction.atomic():
        # Hold the chain head first: no other post can move this site's stock between
        # reading the batches here and posting (the head is ledger.post's first lock).
        LedgerHead.all_tenants.get_or_create(association_id=location.association_id)
        LedgerHead.all_tenants.select_for_update().get(association_id=location.association_id)
        on_hand: dict[int, int] = defaultdict(int)
        moves = []
        consumed = system_location(Location.Kind.CONSUMED, association_id=location.association_id)
        left = dict(wanted)
        for row in _fifo_balances(location.pk, sorted(wanted)):
            on_hand[row["item_id"]] += row["quantity"]
            take = min(left[row["item_id"]], row["quantity"])
            if take:
                left[row["item_id"]] -= take
                moves.append(
                    ledger.Move(
                        kind=LedgerEntry.Kind.CONSUME,
                        item_id=row["item_id"],
                        batch_id=row["batch_id"],
                        from_location_id=location.pk,
                        to_location_id=consumed.pk,
                        quantity=take,
                        reason=reason,
                    )
                )
        short = {pk: n for pk, n in left.items() if n}
        if short:
            raise ValidationError(
                {
                    "lines": [
                        _("%(item)s库存不足：现有 %(have)d，需要 %(need)d。")
                        % {"item": names[pk], "have": on_hand[pk], "need": wanted[pk]}
                        for pk in sorted(short)
                    ]
                }
            )
        entries = ledger.post(
            association_id=location.association_id, moves=moves, actor=stored_actor(actor)
        )
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.CONSUMPTION_RECORD,
            obj=site,
            changes={
                "consumed": {str(pk): n for pk, n in sorted(wanted.items())},
                "reason": reason,
            },
        )
    return entries
