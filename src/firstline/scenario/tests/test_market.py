"""The demo's produce programme (issue #23): suppliers in poor counties and the
Tibetan barley partner, four done campaigns whose every line reconciles and whose
totals are what the public impact page shows, and a campaign open now in which the
first household of a site (the demo resident's) can order."""

import random

import pytest
from django.utils import timezone

from firstline.estates.models import Household
from firstline.market.models import Campaign, CampaignSite, Order, OrderLine, Supplier
from firstline.market.selectors.impact import impact_across_tenants
from firstline.market.services import orders
from firstline.scenario.market import build_market, households_for
from firstline.testing.world import build_world

pytestmark = pytest.mark.django_db


def test_households_in_proportion_to_residents():
    assert households_for("wuhan") == 50_000
    assert households_for("demo", 20_000) == 1_000


def test_the_market_world():
    world = build_world()
    sites = [c.site for t in (world.a, world.b) for c in t.corners]
    for t in (world.a, world.b):
        for c in t.corners:
            Household.all_tenants.bulk_create(
                Household(
                    company=c.company, site=c.site, building=c.building, unit="2", room=f"{n}02"
                )
                for n in range(1, 11)
            )
    report = build_market(
        rng=random.Random(13),
        now=timezone.now(),
        association=world.association,
        sites=sites,
        scale="demo",
        residents=600,  # 50,000 × 600 / 1,000,000 = 30 households of the 40 free
    )
    figures = report.figures()
    assert figures["households"] == figures["orders"] == 30
    assert Supplier.all_tenants.filter(county__code="540121").exists()  # highland barley
    assert Supplier.all_tenants.filter(poverty="poor").count() >= 4
    assert set(Campaign.all_tenants.values_list("state", flat=True)) == {"done", "open"}
    for line in OrderLine.all_tenants.all():
        assert line.quantity == line.delivered + line.short + line.refunded
    impact = impact_across_tenants()
    assert (impact["total"].jin, impact["total"].yuan, impact["total"].households) == (
        figures["jin"],
        figures["yuan"],
        30,
    )
    # The demo resident's household (the site's first) orders in the open campaign.
    assert not Order.all_tenants.filter(household=world.a.household).exists()
    open_site = CampaignSite.all_tenants.get(campaign__state="open", site=world.a.site)
    product_id = open_site.campaign.offers.order_by("id").first().product_id
    order = orders.order_place(
        actor=None,
        campaign_site=open_site,
        household=world.a.household,
        quantities={product_id: 2},
    )
    assert order.state == "placed"
