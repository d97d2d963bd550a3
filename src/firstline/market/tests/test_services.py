"""The programme's writes: ordering within the window and stock, closing into
purchase orders, a shortfall shared in whole units with every household told, the
receipt, the handover and the reconcile invariant, money recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.estates.models import Household
from firstline.market.models import (
    Campaign,
    Certificate,
    Order,
    OrderLine,
    OrderMessage,
    Payment,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
)
from firstline.market.services import campaigns, catalogue, orders, purchasing
from firstline.market.tests.furnish import furnish, open_campaign
from firstline.testing.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def test_share_whole_units_largest_remainder_with_documented_ties():
    # 10 units asked as 5, 3, 2; 7 confirmed: 3.5, 2.1, 1.4 → 3, 2, 1 and one left to
    # the largest remainder (0.5, key 1).
    assert purchasing.share_whole_units([(1, 5), (2, 3), (3, 2)], 7) == {1: 4, 2: 2, 3: 1}
    # equal remainders: the larger line, then the earlier one
    assert purchasing.share_whole_units([(1, 1), (2, 3)], 2) == {1: 0, 2: 2}
    assert purchasing.share_whole_units([(1, 1), (2, 1), (3, 2)], 2) == {1: 1, 2: 0, 3: 1}
    assert purchasing.share_whole_units([(1, 1), (2, 1), (3, 1)], 1) == {1: 1, 2: 0, 3: 0}
    assert purchasing.share_whole_units([(1, 4)], 9) == {1: 4}
    assert purchasing.share_whole_units([(1, 4), (2, 2)], 0) == {1: 0, 2: 0}


def test_order_moves_stock_and_change_and_cancel_give_it_back(world):
    before = Product.all_tenants.get(pk=world.apple.pk).available
    order = orders.order_place(
        actor=world.a.users["resident"],
        campaign_site=world.a.campaign_site,
        household=world.a.household,
        quantities={world.apple.pk: 3},
    )
    assert order.total_fen == 3 * 6800
    assert Product.all_tenants.get(pk=world.apple.pk).available == before - 3
    orders.order_place(
        actor=world.a.users["resident"],
        campaign_site=world.a.campaign_site,
        household=world.a.household,
        quantities={world.apple.pk: 1, world.rice.pk: 1},
        handover=Order.Handover.DOORSTEP,
    )
    assert Product.all_tenants.get(pk=world.apple.pk).available == before - 1
    order.refresh_from_db()
    assert (order.total_fen, order.handover) == (6800 + 9900, "doorstep")
    orders.order_cancel(actor=world.a.users["resident"], order=order)
    assert Product.all_tenants.get(pk=world.apple.pk).available == before
    assert not OrderLine.all_tenants.filter(order=order).exists()


def test_ordering_more_than_the_stock_is_refused_and_changes_nothing(world):
    Product.all_tenants.filter(pk=world.rice.pk).update(available=2)
    with pytest.raises(ValidationError) as exc:
        orders.order_place(
            actor=None,
            campaign_site=world.a.campaign_site,
            household=world.a.household,
            quantities={world.rice.pk: 3},
        )
    assert "quantities" in exc.value.message_dict
    assert Product.all_tenants.get(pk=world.rice.pk).available == 2
    assert not Order.all_tenants.filter(campaign=world.campaign).exists()


def test_household_of_another_site_and_closed_window_are_refused(world):
    with pytest.raises(ValidationError):
        orders.order_place(
            actor=None,
            campaign_site=world.a.campaign_site,
            household=world.a.sibling.household,
            quantities={world.apple.pk: 1},
        )
    Campaign.all_tenants.filter(pk=world.campaign.pk).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError):
        orders.order_place(
            actor=None,
            campaign_site=world.a.campaign_site,
            household=world.a.household,
            quantities={world.apple.pk: 1},
        )


def test_expired_certificate_blocks_a_new_campaign(world):
    catalogue.certificate_add(
        supplier=world.supplier,
        kind=Certificate.Kind.GREEN,
        number="LB-1",
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        open_campaign(world, [world.apple], title="过期")
    assert "products" in exc.value.message_dict
    assert not Campaign.all_tenants.filter(title="过期").exists()


def test_close_adds_up_per_site_and_supplier(world):
    # four sites × (2 oranges + 1 rice) in the closed campaign
    pos = PurchaseOrder.all_tenants.filter(campaign=world.closed_campaign)
    assert pos.count() == 4
    lines = PurchaseOrderLine.all_tenants.filter(purchase_order=world.a.purchase_order)
    assert sorted(lines.values_list("product_id", "ordered")) == sorted(
        [(world.apple.pk, 2), (world.rice.pk, 1)]
    )
    assert world.a.purchase_order.total_fen == 2 * 6800 + 9900
    assert Campaign.all_tenants.get(pk=world.closed_campaign.pk).state == "ordered"


def test_tick_closes_only_campaigns_whose_window_passed(world):
    assert campaigns.market_tick() == 0
    Campaign.all_tenants.filter(pk=world.campaign.pk).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    assert campaigns.market_tick() == 1
    assert Campaign.all_tenants.get(pk=world.campaign.pk).state == "closed"  # no orders


def _extra_households(tenant, n):
    return [
        Household.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            building=tenant.building,
            unit="2",
            room=f"{i}01",
        )
        for i in range(1, n + 1)
    ]


def test_shortfall_shared_in_whole_units_households_told_and_lines_reconcile(world):
    homes = [world.a.household, *_extra_households(world.a, 2)]
    for home, units in zip(homes, (5, 3, 2), strict=True):
        orders.order_place(
            actor=None,
            campaign_site=world.a.campaign_site,
            household=home,
            quantities={world.apple.pk: units, world.rice.pk: 1},
        )
    (po,) = [
        p
        for p in campaigns.campaign_close(actor=None, campaign=world.campaign)
        if p.site_id == world.a.site.pk
    ]
    purchasing.po_confirm(
        actor=world.users["supplier"], purchase_order=po, confirmed={world.apple.pk: 7}
    )
    got = {
        ol.order.household_id: (ol.quantity, ol.short)
        for ol in OrderLine.all_tenants.filter(
            order__campaign=world.campaign, product=world.apple, site=world.a.site
        ).select_related("order")
    }
    assert got == {homes[0].pk: (5, 1), homes[1].pk: (3, 1), homes[2].pk: (2, 1)}
    told = OrderMessage.all_tenants.filter(order__campaign=world.campaign)
    assert sorted(told.values_list("order__household_id", flat=True)) == sorted(h.pk for h in homes)
    first = Order.all_tenants.get(campaign=world.campaign, household=homes[0])
    assert first.total_fen == 4 * 6800 + 9900
    purchasing.po_receive(
        actor=world.a.users["site_manager"], purchase_order=po, quality_issues="1箱破损"
    )
    purchasing.payment_record(
        actor=None,
        order=first,
        kind=Payment.Kind.TRANSFER,
        amount_fen=5 * 6800 + 9900,
        reference="T1",
    )
    # The first household gets 3 of its 4 oranges: one refunded.
    purchasing.order_handover(
        actor=world.a.users["site_manager"], order=first, delivered={world.apple.pk: 3}
    )
    for other in homes[1:]:
        purchasing.order_handover(
            actor=None, order=Order.all_tenants.get(campaign=world.campaign, household=other)
        )
    for line in OrderLine.all_tenants.filter(order__campaign=world.campaign, site=world.a.site):
        assert line.quantity == line.delivered + line.short + line.refunded
    first.refresh_from_db()
    assert first.state == "delivered"
    assert first.total_fen == 3 * 6800 + 9900
    assert purchasing.paid_fen(first) == first.total_fen
    assert Payment.all_tenants.get(order=first, kind="refund").amount_fen == 2 * 6800


def test_handover_waits_for_the_receipt_and_confirm_happens_once(world):
    po = world.a.purchase_order
    with pytest.raises(ValidationError):
        purchasing.order_handover(actor=None, order=world.a.order)
    purchasing.po_confirm(actor=None, purchase_order=po, confirmed={})
    with pytest.raises(ValidationError):
        purchasing.po_confirm(actor=None, purchase_order=po, confirmed={})
    with pytest.raises(ValidationError):
        purchasing.po_receive(actor=None, purchase_order=po, received={world.apple.pk: 3})
    assert PurchaseOrder.all_tenants.get(pk=po.pk).state == "confirmed"
