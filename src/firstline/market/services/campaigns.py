"""Campaigns: created with their products and sites, opened (suppliers' certificates
checked), closed by hand or by the tick when the window has passed; closing adds the
orders up per site and supplier into purchase orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.market.models import (
    AuditAction,
    Campaign,
    CampaignProduct,
    CampaignSite,
    Certificate,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
)


def certificates_check(*, products, today: date) -> None:
    """Every supplier holds a food-safety licence in force and no expired certificate."""
    suppliers = {p.supplier_id: p.supplier for p in products}
    certs = Certificate.all_tenants.filter(supplier_id__in=suppliers).values_list(
        "supplier_id", "kind", "expires_on"
    )
    licensed, expired = set(), set()
    for supplier_id, kind, expires_on in certs:
        if expires_on < today:
            expired.add(supplier_id)
        elif kind == Certificate.Kind.FOOD_SAFETY:
            licensed.add(supplier_id)
    refused = sorted(
        str(s.name) for pk, s in suppliers.items() if pk in expired or pk not in licensed
    )
    if refused:
        raise ValidationError(
            {
                "products": _("以下供应商的资质已过期或缺少食品经营许可证：%(names)s")
                % {"names": "、".join(refused)}
            }
        )


def campaign_create(
    *,
    actor,
    association_id: int,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    delivery_on: date,
    products: list[Product],
    sites: list,
    company=None,
    min_order_fen: int = 0,
    open_now: bool = True,
) -> Campaign:
    """A campaign with its offers and sites; opened at once unless `open_now` is False."""
    if not products:
        raise ValidationError({"products": _("至少选择一种农产品。")})
    if not sites:
        raise ValidationError({"sites": _("至少选择一个项目。")})
    if company is not None and any(s.company_id != company.pk for s in sites):
        raise ValidationError({"sites": _("企业发起的活动只能包含本企业的项目。")})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("截单时间必须晚于开始时间。")})
    if delivery_on < timezone.localdate(closes_at):
        raise ValidationError({"delivery_on": _("配送日期不能早于截单日期。")})
    with transaction.atomic():
        campaign = Campaign.all_tenants.create(
            association_id=association_id,
            company=company,
            title=title,
            opens_at=opens_at,
            closes_at=closes_at,
            delivery_on=delivery_on,
            min_order_fen=min_order_fen,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        CampaignProduct.all_tenants.bulk_create(
            CampaignProduct(
                association_id=association_id, campaign=campaign, product=p, price_fen=p.price_fen
            )
            for p in products
        )
        CampaignSite.all_tenants.bulk_create(
            CampaignSite(company_id=s.company_id, site=s, campaign=campaign) for s in sites
        )
        audit_record(
            actor=actor,
            company_id=company.pk if company else None,
            action=AuditAction.CAMPAIGN_CREATE,
            obj=campaign,
        )
        if open_now:
            campaign_open(actor=actor, campaign=campaign)
    return campaign


def campaign_update(
    *,
    actor,
    campaign: Campaign,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    delivery_on: date,
    products: list[Product],
    sites: list,
    min_order_fen: int = 0,
) -> Campaign:
    """Edit a draft campaign: its window, minimum, delivery day, products (prices frozen
    anew) and sites. An opened campaign is no longer edited."""
    if not products:
        raise ValidationError({"products": _("至少选择一种农产品。")})
    if not sites:
        raise ValidationError({"sites": _("至少选择一个项目。")})
    if campaign.company_id is not None and any(s.company_id != campaign.company_id for s in sites):
        raise ValidationError({"sites": _("企业发起的活动只能包含本企业的项目。")})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("截单时间必须晚于开始时间。")})
    if delivery_on < timezone.localdate(closes_at):
        raise ValidationError({"delivery_on": _("配送日期不能早于截单日期。")})
    with transaction.atomic():
        campaign = Campaign.all_tenants.select_for_update().get(pk=campaign.pk)
        if campaign.state != Campaign.State.DRAFT:
            raise ValidationError(_("只有草稿状态的活动可以修改。"))
        campaign.title = title
        campaign.opens_at = opens_at
        campaign.closes_at = closes_at
        campaign.delivery_on = delivery_on
        campaign.min_order_fen = min_order_fen
        campaign.save()
        CampaignProduct.all_tenants.filter(campaign=campaign).delete()
        CampaignProduct.all_tenants.bulk_create(
            CampaignProduct(
                association_id=campaign.association_id,
                campaign=campaign,
                product=p,
                price_fen=p.price_fen,
            )
            for p in products
        )
        CampaignSite.all_tenants.filter(campaign=campaign).delete()
        CampaignSite.all_tenants.bulk_create(
            CampaignSite(company_id=s.company_id, site=s, campaign=campaign) for s in sites
        )
        audit_record(
            actor=actor,
            company_id=campaign.company_id,
            action=AuditAction.CAMPAIGN_CREATE,
            obj=campaign,
            changes={"edited": True},
        )
    return campaign


def campaign_open(*, actor, campaign: Campaign) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.all_tenants.select_for_update().get(pk=campaign.pk)
        if campaign.state != Campaign.State.DRAFT:
            raise ValidationError(_("只有草稿状态的活动可以开放预订。"))
        products = list(
            Product.all_tenants.filter(pk__in=campaign.offers.values("product_id")).select_related(
                "supplier"
            )
        )
        certificates_check(products=products, today=timezone.localdate())
        campaign.state = Campaign.State.OPEN
        campaign.save(update_fields=["state"])
        audit_record(
            actor=actor,
            company_id=campaign.company_id,
            action=AuditAction.CAMPAIGN_OPEN,
            obj=campaign,
        )
    return campaign


def campaign_close(
    *, actor, campaign: Campaign, now: datetime | None = None
) -> list[PurchaseOrder]:
    """Close the window (by hand before it ends, too) and add the placed orders up per
    site and supplier into purchase orders, sent to the suppliers."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.all_tenants.select_for_update().get(pk=campaign.pk)
        if campaign.state != Campaign.State.OPEN:
            raise ValidationError(_("只有接受预订中的活动可以截单。"))
        campaign.state = Campaign.State.CLOSED
        if campaign.closes_at > now:
            campaign.closes_at = max(now, campaign.opens_at + timedelta(seconds=1))
        campaign.save(update_fields=["state", "closes_at"])
        totals = (
            OrderLine.all_tenants.filter(order__campaign=campaign, order__state=Order.State.PLACED)
            .values("company_id", "site_id", "product_id", "product__supplier_id", "price_fen")
            .annotate(units=Sum("quantity"))
            .order_by("company_id", "site_id", "product__supplier_id", "product_id")
        )
        grouped: dict[tuple, list[dict]] = defaultdict(list)
        for row in totals:
            grouped[(row["company_id"], row["site_id"], row["product__supplier_id"])].append(row)
        pos = PurchaseOrder.all_tenants.bulk_create(
            PurchaseOrder(
                company_id=company_id,
                site_id=site_id,
                campaign=campaign,
                supplier_id=supplier_id,
                association_id=campaign.association_id,
                total_fen=sum(r["units"] * r["price_fen"] for r in rows),
            )
            for (company_id, site_id, supplier_id), rows in grouped.items()
        )
        PurchaseOrderLine.all_tenants.bulk_create(
            PurchaseOrderLine(
                company_id=po.company_id,
                site_id=po.site_id,
                purchase_order=po,
                product_id=r["product_id"],
                price_fen=r["price_fen"],
                ordered=r["units"],
            )
            for po, rows in zip(pos, grouped.values(), strict=True)
            for r in rows
        )
        if pos:
            campaign.state = Campaign.State.ORDERED
            campaign.save(update_fields=["state"])
        audit_record(
            actor=actor,
            company_id=campaign.company_id,
            action=AuditAction.CAMPAIGN_CLOSE,
            obj=campaign,
            changes={"purchase_orders": len(pos)},
        )
    return pos


def market_tick(*, now: datetime | None = None) -> int:
    """The periodic job: close every open campaign whose window has passed."""
    now = now or timezone.now()
    due = list(
        Campaign.all_tenants.filter(state=Campaign.State.OPEN, closes_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    closed = 0
    for pk in due:
        try:
            campaign_close(actor=None, campaign=Campaign.all_tenants.get(pk=pk), now=now)
        except ValidationError:
            continue  # closed by hand meanwhile
        closed += 1
    return closed
