"""Reads of orders, purchase orders and campaigns: scoped querysets with their joins
decided. A supplier's grant is over the association; its reads are narrowed to its
own supplier by user here."""

from __future__ import annotations

from firstline.core.scope import Scope
from firstline.market.models import CampaignSite, Order, PurchaseOrder

RUN_SITE = "market.run_site"
RUN_CAMPAIGN = "market.run_campaign"
ORDER = "market.order"
SUPPLY = "market.supply"
MANAGE = "market.manage_programme"
VIEW_IMPACT = "market.view_impact"


def orders_with_lines(qs):
    return qs.select_related("campaign", "household__building").prefetch_related(
        "lines__product", "messages"
    )


def own_supplier_only(qs):
    """A supplier's purchase orders: its own supplier's only (by login)."""
    return qs.filter(supplier__user_id=qs.scope.user_id)


def purchase_orders_with_lines(qs):
    return qs.select_related("campaign", "supplier", "site").prefetch_related("lines__product")


def supplier_purchase_orders(scope: Scope):
    return purchase_orders_with_lines(
        own_supplier_only(PurchaseOrder.objects.for_scope(scope.for_perm(SUPPLY)))
    ).order_by("-created_at", "-id")


def household_orders(scope: Scope):
    return orders_with_lines(Order.objects.for_scope(scope.for_perm(ORDER))).order_by(
        "-created_at", "-id"
    )


def open_campaign_sites(scope: Scope):
    """The campaigns the household's site may order in now (its own grants)."""
    return (
        CampaignSite.objects.for_scope(scope.for_perm(ORDER))
        .filter(campaign__state="open")
        .select_related("campaign", "site")
        .prefetch_related("campaign__offers__product")
        .order_by("campaign__closes_at", "id")
    )
