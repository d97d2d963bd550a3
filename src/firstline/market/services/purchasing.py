"""After the close: the supplier confirms its purchase orders (possibly less than was
ordered), the shortfall is shared across the households in whole units, the site
manager receives the delivery, and each order is handed over.

Sharing a shortfall (`share_whole_units`): a product confirmed at C of the O units
ordered at one site gives each household floor(q * C / O) of its q units, and the
units left over go one each to the largest remainders; ties go to the larger order
line, then to the earlier order (lower id). Whole units, deterministic, and never
more than a household asked for."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.market.models import (
    AuditAction,
    Campaign,
    Order,
    OrderLine,
    OrderMessage,
    Payment,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
)


def share_whole_units(asked: list[tuple[int, int]], available: int) -> dict[int, int]:
    """`asked`: (key, units) in order of precedence for ties (earlier first). Returns
    the units each key gets, summing to min(available, total asked)."""
    total = sum(q for _k, q in asked)
    if available >= total:
        return {k: q for k, q in asked}
    if available <= 0 or total == 0:
        return {k: 0 for k, _q in asked}
    given = {k: q * available // total for k, q in asked}
    left = available - sum(given.values())
    rank = sorted(
        enumerate(asked), key=lambda item: (-(item[1][1] * available % total), -item[1][1], item[0])
    )
    for _i, (k, _q) in rank[:left]:
        given[k] += 1
    return given


def po_confirm(*, actor, purchase_order: PurchaseOrder, confirmed: dict[int, int]) -> PurchaseOrder:
    """The supplier confirms each product's units (missing: all of them). A shortfall
    is shared across the site's households and each affected household is told."""
    with transaction.atomic():
        po = PurchaseOrder.all_tenants.select_for_update().get(pk=purchase_order.pk)
        if po.state != PurchaseOrder.State.SENT:
            raise ValidationError(_("该采购单已确认。"))
        lines = list(PurchaseOrderLine.all_tenants.filter(purchase_order=po).order_by("product_id"))
        names = dict(
            Product.all_tenants.filter(pk__in=[x.product_id for x in lines]).values_list(
                "pk", "name"
            )
        )
        for line in lines:
            units = int(confirmed.get(line.product_id, line.ordered))
            if not 0 <= units <= line.ordered:
                raise ValidationError(
                    {
                        "confirmed": _("%(name)s 的确认数量须在 0 到 %(n)d 之间。")
                        % {"name": names[line.product_id], "n": line.ordered}
                    }
                )
            line.confirmed = units
        PurchaseOrderLine.all_tenants.bulk_update(lines, ["confirmed"])
        told: dict[int, list[str]] = defaultdict(list)
        changed: list[OrderLine] = []
        for line in lines:
            if line.confirmed == line.ordered:
                continue
            order_lines = list(
                OrderLine.all_tenants.select_for_update()
                .filter(
                    company_id=po.company_id,
                    site_id=po.site_id,
                    order__campaign_id=po.campaign_id,
                    order__state=Order.State.PLACED,
                    product_id=line.product_id,
                )
                .order_by("order_id")
            )
            given = share_whole_units([(ol.pk, ol.quantity) for ol in order_lines], line.confirmed)
            for ol in order_lines:
                ol.short = ol.quantity - given[ol.pk]
                if ol.short:
                    changed.append(ol)
                    told[ol.order_id].append(
                        _("%(name)s 缺货 %(n)d 件")
                        % {"name": names[line.product_id], "n": ol.short}
                    )
            # The supplier had less than it offered: what was not confirmed never existed.
            Product.all_tenants.filter(pk=line.product_id).update(available=0)
        OrderLine.all_tenants.bulk_update(changed, ["short"])
        OrderMessage.all_tenants.bulk_create(
            OrderMessage(
                company_id=po.company_id,
                site_id=po.site_id,
                order_id=order_id,
                body=_("供应商供货不足，按比例分配：%(what)s，缺货部分不收费。")
                % {"what": "；".join(parts)},
            )
            for order_id, parts in sorted(told.items())
        )
        for order_id in told:
            _retotal(order_id)
        po.state = PurchaseOrder.State.CONFIRMED
        po.confirmed_at = timezone.now()
        po.total_fen = sum(x.confirmed * x.price_fen for x in lines)
        po.save(update_fields=["state", "confirmed_at", "total_fen", "updated_at"])
        audit_record(
            actor=actor,
            company_id=po.company_id,
            action=AuditAction.PO_CONFIRM,
            obj=po,
            changes={"confirmed": {str(x.product_id): x.confirmed for x in lines}},
        )
    return po


def _retotal(order_id: int) -> None:
    due = (
        OrderLine.all_tenants.filter(order_id=order_id)
        .annotate(amount=(F("quantity") - F("short") - F("refunded")) * F("price_fen"))
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    Order.all_tenants.filter(pk=order_id).update(total_fen=due)


def po_receive(
    *,
    actor,
    purchase_order: PurchaseOrder,
    received: dict[int, int] | None = None,
    quality_issues: str = "",
    photo=None,
) -> PurchaseOrder:
    """The site manager's receipt: units per product (missing: as confirmed), quality
    issues, a photo."""
    received = received or {}
    with transaction.atomic():
        po = PurchaseOrder.all_tenants.select_for_update().get(pk=purchase_order.pk)
        if po.state != PurchaseOrder.State.CONFIRMED:
            raise ValidationError(_("只有供应商已确认的采购单可以验收。"))
        lines = list(PurchaseOrderLine.all_tenants.filter(purchase_order=po).order_by("product_id"))
        for line in lines:
            units = int(received.get(line.product_id, line.confirmed))
            if not 0 <= units <= line.confirmed:
                raise ValidationError({"received": _("验收数量须在 0 到确认数量之间。")})
            line.received = units
        PurchaseOrderLine.all_tenants.bulk_update(lines, ["received"])
        po.state = PurchaseOrder.State.RECEIVED
        po.received_at = timezone.now()
        po.quality_issues = quality_issues
        if photo:
            po.photo = photo
        po.save()
        audit_record(
            actor=actor,
            company_id=po.company_id,
            action=AuditAction.PO_RECEIVE,
            obj=po,
            changes={"received": {str(x.product_id): x.received for x in lines}},
        )
        pending = PurchaseOrder.all_tenants.filter(campaign_id=po.campaign_id).exclude(
            state=PurchaseOrder.State.RECEIVED
        )
        if not pending.exists():
            Campaign.all_tenants.filter(pk=po.campaign_id).update(state=Campaign.State.DELIVERED)
    return po


def order_handover(*, actor, order: Order, delivered: dict[int, int] | None = None) -> Order:
    """Hand an order over (QR code or room lookup): units per product (missing: all
    that was confirmed); what is not handed over is refunded, so each line settles as
    quantity = delivered + short + refunded."""
    delivered = delivered or {}
    with transaction.atomic():
        order = Order.all_tenants.select_for_update().get(pk=order.pk)
        if order.state != Order.State.PLACED:
            raise ValidationError(_("该订单不能交付（已取消或已交付）。"))
        received = PurchaseOrder.all_tenants.filter(
            company_id=order.company_id,
            site_id=order.site_id,
            campaign_id=order.campaign_id,
            state=PurchaseOrder.State.RECEIVED,
        ).count()
        sent = PurchaseOrder.all_tenants.filter(
            company_id=order.company_id, site_id=order.site_id, campaign_id=order.campaign_id
        ).count()
        if not sent or received != sent:
            raise ValidationError(_("本项目的货物尚未全部验收。"))
        lines = list(OrderLine.all_tenants.filter(order=order).order_by("product_id"))
        refunded_any = []
        for line in lines:
            due = line.quantity - line.short
            units = int(delivered.get(line.product_id, due))
            if not 0 <= units <= due:
                raise ValidationError({"delivered": _("交付数量须在 0 到应交数量之间。")})
            line.delivered = units
            line.refunded = due - units
            if line.refunded:
                refunded_any.append(line)
        OrderLine.all_tenants.bulk_update(lines, ["delivered", "refunded"])
        order.state = Order.State.DELIVERED
        order.delivered_at = timezone.now()
        order.save(update_fields=["state", "delivered_at", "updated_at"])
        _retotal(order.pk)
        order.refresh_from_db()
        if refunded_any:
            OrderMessage.all_tenants.create(
                company_id=order.company_id,
                site_id=order.site_id,
                order=order,
                body=_("有 %(n)d 件商品未能交付，已登记退款。")
                % {"n": sum(x.refunded for x in refunded_any)},
            )
        paid = paid_fen(order)
        if paid > order.total_fen:
            Payment.all_tenants.create(
                company_id=order.company_id,
                site_id=order.site_id,
                order=order,
                kind=Payment.Kind.REFUND,
                reference=f"R{order.pk}",
                amount_fen=paid - order.total_fen,
                recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        audit_record(
            actor=actor,
            company_id=order.company_id,
            action=AuditAction.ORDER_HANDOVER,
            obj=order,
            changes={"delivered": {str(x.product_id): x.delivered for x in lines}},
        )
        open_orders = Order.all_tenants.filter(
            campaign_id=order.campaign_id, state=Order.State.PLACED
        )
        if not open_orders.exists():
            Campaign.all_tenants.filter(
                pk=order.campaign_id, state=Campaign.State.DELIVERED
            ).update(state=Campaign.State.DONE)
    return order


def paid_fen(order: Order) -> int:
    rows = dict(
        Payment.all_tenants.filter(order=order)
        .values("kind")
        .annotate(total=Sum("amount_fen"))
        .values_list("kind", "total")
    )
    return (
        rows.get(Payment.Kind.TRANSFER, 0)
        + rows.get(Payment.Kind.COLLECTION, 0)
        - rows.get(Payment.Kind.REFUND, 0)
    )


def payment_record(
    *, actor, order: Order, kind: str, amount_fen: int, reference: str = ""
) -> Payment:
    """Money received (a transfer's reference, cash collected) or refunded; recorded,
    never processed."""
    if kind not in Payment.Kind.values:
        raise ValidationError({"kind": _("请选择收付款类型。")})
    if amount_fen <= 0:
        raise ValidationError({"amount_fen": _("金额必须大于零。")})
    if kind == Payment.Kind.TRANSFER and not reference.strip():
        raise ValidationError({"reference": _("转账须填写流水号。")})
    with transaction.atomic():
        payment = Payment.all_tenants.create(
            company_id=order.company_id,
            site_id=order.site_id,
            order=order,
            kind=kind,
            amount_fen=amount_fen,
            reference=reference.strip(),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor, company_id=order.company_id, action=AuditAction.PAYMENT_RECORD, obj=payment
        )
    return payment
