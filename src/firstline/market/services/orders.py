"""A household's order: placed, changed or cancelled while the window is open, by the
owner or by the site manager for a household without a phone.

Stock is the product's `available`: every write locks the products it touches in id
order (so two orderers never deadlock), checks, and moves it with F() expressions;
the database refuses a negative (a PositiveIntegerField's check)."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.market.models import (
    AuditAction,
    Campaign,
    CampaignProduct,
    CampaignSite,
    Order,
    OrderLine,
    Product,
)

CODE_SALT = "firstline.market.order"
MAX_UNITS = 999


def order_code(order: Order) -> str:
    """The order's signed code (its QR at handover)."""
    return signing.dumps(order.pk, salt=CODE_SALT)


def order_from_code(code: str) -> int | None:
    try:
        value = signing.loads(code, salt=CODE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _window_open(campaign: Campaign) -> None:
    now = timezone.now()
    if campaign.state != Campaign.State.OPEN or not (campaign.opens_at <= now < campaign.closes_at):
        raise ValidationError(_("本次活动不在预订时间内。"))


def order_place(
    *,
    actor,
    campaign_site: CampaignSite,
    household,
    quantities: dict[int, int],
    handover: str = Order.Handover.PICKUP,
    by_staff: bool = False,
) -> Order:
    """Place or change the household's order: `quantities` maps product id to whole
    units (0 drops a product). Everything or nothing."""
    if household.site_id != campaign_site.site_id:
        raise ValidationError({"household": _("该住户不在本活动的项目内。")})
    wanted = {int(k): int(v) for k, v in quantities.items() if int(v) > 0}
    if any(int(v) < 0 or int(v) > MAX_UNITS for v in quantities.values()):
        raise ValidationError({"quantities": _("数量须为 0 到 999 的整数。")})
    if not wanted:
        raise ValidationError({"quantities": _("请至少预订一件商品。")})
    with transaction.atomic():
        campaign = Campaign.all_tenants.select_for_update().get(pk=campaign_site.campaign_id)
        _window_open(campaign)
        offers = {
            o.product_id: o.price_fen for o in CampaignProduct.all_tenants.filter(campaign=campaign)
        }
        if unknown := set(wanted) - set(offers):
            raise ValidationError(
                {"quantities": _("本次活动没有这些商品：%(ids)s") % {"ids": sorted(unknown)}}
            )
        order = (
            Order.all_tenants.select_for_update()
            .filter(company_id=household.company_id, campaign=campaign, household=household)
            .first()
        )
        before = (
            dict(OrderLine.all_tenants.filter(order=order).values_list("product_id", "quantity"))
            if order and order.state == Order.State.PLACED
            else {}
        )
        total = sum(offers[p] * q for p, q in wanted.items())
        if total < campaign.min_order_fen:
            raise ValidationError(
                {
                    "quantities": _("未达到起订金额 %(yuan)s 元。")
                    % {"yuan": campaign.min_order_fen / 100}
                }
            )
        deltas = {p: wanted.get(p, 0) - before.get(p, 0) for p in set(wanted) | set(before)}
        products = {
            p.pk: p
            for p in Product.all_tenants.select_for_update()
            .filter(pk__in=sorted(deltas))
            .order_by("pk")
        }
        short = [products[p].name for p, d in deltas.items() if d > products[p].available]
        if short:
            raise ValidationError(
                {"quantities": _("库存不足：%(names)s") % {"names": "、".join(sorted(short))}}
            )
        for p, d in sorted(deltas.items()):
            if d:
                Product.all_tenants.filter(pk=p).update(available=F("available") - d)
        if order is None:
            order = Order(
                company_id=household.company_id,
                site_id=household.site_id,
                campaign=campaign,
                household=household,
            )
        order.state = Order.State.PLACED
        order.handover = handover
        order.total_fen = total
        order.placed_by = actor if getattr(actor, "is_authenticated", False) else None
        order.by_staff = by_staff
        order.save()
        OrderLine.all_tenants.filter(order=order).delete()
        OrderLine.all_tenants.bulk_create(
            OrderLine(
                company_id=order.company_id,
                site_id=order.site_id,
                order=order,
                product_id=p,
                price_fen=offers[p],
                quantity=q,
            )
            for p, q in sorted(wanted.items())
        )
        audit_record(
            actor=actor,
            company_id=order.company_id,
            action=AuditAction.ORDER_PLACE,
            obj=order,
            changes={"lines": {str(p): q for p, q in sorted(wanted.items())}, "total_fen": total},
        )
    return order


def order_cancel(*, actor, order: Order) -> Order:
    """Cancel before the window closes: the units go back to stock."""
    with transaction.atomic():
        campaign = Campaign.all_tenants.select_for_update().get(pk=order.campaign_id)
        _window_open(campaign)
        order = Order.all_tenants.select_for_update().get(pk=order.pk)
        if order.state != Order.State.PLACED:
            raise ValidationError(_("该订单已取消。"))
        lines = dict(
            OrderLine.all_tenants.filter(order=order).values_list("product_id", "quantity")
        )
        list(Product.all_tenants.select_for_update().filter(pk__in=sorted(lines)).order_by("pk"))
        for p, q in sorted(lines.items()):
            Product.all_tenants.filter(pk=p).update(available=F("available") + q)
        OrderLine.all_tenants.filter(order=order).delete()
        order.state = Order.State.CANCELLED
        order.total_fen = 0
        order.save(update_fields=["state", "total_fen", "updated_at"])
        audit_record(
            actor=actor, company_id=order.company_id, action=AuditAction.ORDER_CANCEL, obj=order
        )
    return order
