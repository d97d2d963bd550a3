"""Twenty households order the same scarce product at the same moment (PostgreSQL,
real connections): stock never goes negative, what was sold is what the orders hold,
and after the close, confirm and handover every line reconciles."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from firstline.estates.models import Household
from firstline.market.models import Order, OrderLine, Product, PurchaseOrder
from firstline.market.services import campaigns, orders, purchasing
from firstline.market.tests.furnish import furnish
from firstline.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections"),
    pytest.mark.django_db(transaction=True),
]

ORDERERS = 20


def test_twenty_concurrent_orderers_keep_stock_and_totals():
    world = furnish(build_world())
    tenant = world.a
    homes = [
        Household.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            building=tenant.building,
            unit="3",
            room=f"{i:02d}01",
        )
        for i in range(1, ORDERERS + 1)
    ]
    Product.all_tenants.filter(pk=world.apple.pk).update(available=50)
    barrier = threading.Barrier(ORDERERS)
    results: list[str] = []

    def run(home):
        try:
            barrier.wait()
            orders.order_place(
                actor=None,
                campaign_site=tenant.campaign_site,
                household=home,
                quantities={world.apple.pk: 3, world.rice.pk: 1},
            )
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(h,)) for h in homes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 16  # 16 × 3 = 48 of 50 oranges; the other 4 refused
    sold = OrderLine.all_tenants.filter(
        order__campaign=world.campaign, product=world.apple
    ).aggregate(n=Sum("quantity"))["n"]
    assert sold == 48
    assert Product.all_tenants.get(pk=world.apple.pk).available == 2
    placed = Order.all_tenants.filter(campaign=world.campaign)
    assert placed.aggregate(t=Sum("total_fen"))["t"] == 16 * (3 * 6800 + 9900)

    campaigns.campaign_close(actor=None, campaign=world.campaign)
    po = PurchaseOrder.all_tenants.get(campaign=world.campaign, site=tenant.site)
    purchasing.po_confirm(actor=None, purchase_order=po, confirmed={world.apple.pk: 40})
    purchasing.po_receive(actor=None, purchase_order=po)
    for order in placed:
        purchasing.order_handover(actor=None, order=order)
    lines = OrderLine.all_tenants.filter(order__campaign=world.campaign, product=world.apple)
    assert all(x.quantity == x.delivered + x.short + x.refunded for x in lines)
    assert lines.aggregate(n=Sum("delivered"))["n"] == 40
    assert lines.aggregate(n=Sum("short"))["n"] == 8
