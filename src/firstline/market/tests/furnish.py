"""The test world furnished for market: the association's supplier (with a login,
`world.users["supplier"]`, and a second supplier without one), two products, an open
campaign at all four sites (`world.campaign`), and at each site
(`tenant.campaign_site`) an order of its household (`tenant.order`) closed into a
purchase order (`tenant.purchase_order`) in a second, closed campaign; each company
has a draft campaign of its own over its two sites (`tenant.company_campaign`). Built
with the services, so the rows are what the pages will see."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from firstline.core.roles import Role
from firstline.market.models import Campaign, CampaignSite, Certificate, Order, PurchaseOrder
from firstline.market.services import campaigns, catalogue, orders
from firstline.testing.world import World, make_user

FAR = date(2099, 12, 31)


def make_supplier(world: World, name: str, *, login: str = ""):
    user = make_user(login, Role.SUPPLIER, association=world.association) if login else None
    supplier = catalogue.supplier_save(
        actor=None,
        association_id=world.association.pk,
        name=name,
        county=world.divisions["42"],
        contact_name="王经理",
        phone="13800138000",
        user=user,
    )
    catalogue.certificate_add(
        supplier=supplier, kind=Certificate.Kind.FOOD_SAFETY, number="JY142", expires_on=FAR
    )
    return supplier


def open_campaign(world: World, products, *, title: str = "春季助农团购") -> Campaign:
    now = timezone.now()
    sites = [c.site for t in (world.a, world.b) for c in t.corners]
    return campaigns.campaign_create(
        actor=None,
        association_id=world.association.pk,
        title=title,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        delivery_on=timezone.localdate() + timedelta(days=5),
        products=products,
        sites=sites,
    )


def furnish(world: World) -> World:
    supplier = make_supplier(world, "恩施富硒茶合作社", login="supplier_1")
    world.users["supplier"] = supplier.user
    world.supplier = supplier
    world.other_supplier = make_supplier(world, "阜平香菇合作社", login="supplier_2")
    world.users["other_supplier"] = world.other_supplier.user
    world.apple = catalogue.product_save(
        actor=None,
        supplier=supplier,
        name="秭归脐橙",
        origin="湖北秭归",
        grams_per_unit=5000,
        price_fen=6800,
        available=1000,
        trace_code="ZG-2020-001",
    )
    world.rice = catalogue.product_save(
        actor=None,
        supplier=supplier,
        name="富硒大米",
        origin="湖北恩施",
        grams_per_unit=10000,
        price_fen=9900,
        available=1000,
    )
    # The first campaign is closed into purchase orders; the second stays open.
    closed = open_campaign(world, [world.apple, world.rice], title="二月助农团购")
    for tenant in (world.a, world.b):
        for corner in tenant.corners:
            cs = CampaignSite.all_tenants.get(campaign=closed, site=corner.site)
            orders.order_place(
                actor=corner.users["resident"],
                campaign_site=cs,
                household=corner.household,
                quantities={world.apple.pk: 2, world.rice.pk: 1},
            )
    campaigns.campaign_close(actor=None, campaign=closed)
    world.closed_campaign = closed
    world.campaign = open_campaign(world, [world.apple, world.rice])
    for tenant in (world.a, world.b):
        for corner in tenant.corners:
            corner.campaign_site = CampaignSite.all_tenants.get(
                campaign=world.campaign, site=corner.site
            )
            corner.order = Order.all_tenants.get(campaign=closed, household=corner.household)
            corner.purchase_order = PurchaseOrder.all_tenants.get(campaign=closed, site=corner.site)
    for tenant in (world.a, world.b):
        now = timezone.now()
        draft = campaigns.campaign_create(
            actor=None,
            association_id=world.association.pk,
            company=tenant.company,
            title=f"{tenant.company.name}助农团购",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=2),
            delivery_on=timezone.localdate() + timedelta(days=5),
            products=[world.apple],
            sites=[c.site for c in tenant.corners],
            open_now=False,
        )
        for corner in tenant.corners:
            corner.company_campaign = draft
    return world
