"""The demo's supplies (issue #7): donations, batches, allocation, shipments and
receipts through the real hash-chained ledger, at demo scale and at the article's
Wuhan scale (on tiny worlds), and the public ledger's figures over them."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from firstline.estates.models import Site
from firstline.orgs.models import Company, User
from firstline.scenario.supplies import ARTICLE_KINDS, INDIVIDUAL_PUBLIC_NAME
from firstline.scenario.world import ScaleOverride, build_world
from firstline.supplies.models import (
    AllocationPlan,
    Balance,
    Donor,
    InboundBatch,
    LedgerEntry,
    Need,
    Shipment,
    ShipmentLine,
)
from firstline.supplies.selectors import public
from firstline.supplies.services import ledger
from firstline.volunteers.models import KitIssue

TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)
# Sites ≥ districts: the world builder puts its first sites one per district.
WUHAN_TINY = ScaleOverride(companies=18, sites=40, residents=300, staff=200, batch=500)

pytestmark = pytest.mark.django_db(transaction=False)


def association_id() -> int:
    return public.public_association_id()


def check_chain_and_balances():
    aid = association_id()
    assert ledger.verify(aid) == []
    assert ledger.reconcile() == []


def test_demo_supplies(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    report = build_world(scale="demo", seed=1, size=TINY)
    names = [s.name for s in report.steps]
    step = report.steps[names.index("supplies")]
    check_chain_and_balances()
    aid = association_id()
    head = public.headline(aid)
    assert step.rows["batches"] == head.batches == InboundBatch.all_tenants.count() == 12
    assert step.rows["donors"] == head.donors == Donor.all_tenants.count() == 10
    # The volunteers step after it draws kit through the ledger: those entries are its.
    kit = LedgerEntry.all_tenants.filter(
        pk__in=KitIssue.entries.through.objects.values("ledgerentry")
    )
    assert step.rows["entries"] == LedgerEntry.all_tenants.exclude(pk__in=kit).count()
    assert step.rows["shipments"] == Shipment.all_tenants.count()

    # The individual donor is published under its public name only.
    person = Donor.all_tenants.get(kind=Donor.Kind.INDIVIDUAL)
    assert person.public_name == INDIVIDUAL_PUBLIC_NAME != person.name

    # The demo donor login speaks for the first donor.
    donor_user = User.objects.get(username="donor_1")
    assert Donor.all_tenants.filter(account=donor_user).count() == 1

    # The demo site: a shipment on the road and an open need.
    first = Site.all_tenants.order_by("pk").first()
    assert Shipment.all_tenants.filter(site=first, state=Shipment.State.IN_TRANSIT).exists()
    assert Need.all_tenants.filter(site=first, state=Need.State.OPEN).exists()
    # Every page has something: received shipments, some with a reasoned shortfall,
    # stock left in the warehouses, approved plans, consumption.
    assert Shipment.all_tenants.filter(state=Shipment.State.RECEIVED).exists()
    short = ShipmentLine.all_tenants.exclude(difference_reason="")
    assert all(line.received_quantity < line.quantity for line in short)
    assert AllocationPlan.all_tenants.filter(state=AllocationPlan.State.APPROVED).exists()
    assert LedgerEntry.all_tenants.filter(kind=LedgerEntry.Kind.CONSUME).exists()
    stock = Balance.all_tenants.filter(location__kind="warehouse").aggregate(q=Sum("quantity"))
    assert stock["q"] > 0
    # Directed gifts went only where directed (the ledger refuses otherwise).
    assert InboundBatch.all_tenants.exclude(directed_company=None).exists()


def test_wuhan_supplies_reach_every_company_site_and_district(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    report = build_world(scale="wuhan", seed=3, size=WUHAN_TINY)
    step = report.steps[[s.name for s in report.steps].index("supplies")]
    check_chain_and_balances()
    aid = association_id()
    head = public.headline(aid)
    assert head.batches == step.rows["batches"] == 140
    assert head.donors == step.rows["donors"] == 100
    # The seven kinds of the article, nothing else.
    codes = set(LedgerEntry.all_tenants.values_list("item__kind", flat=True))
    assert codes == set(ARTICLE_KINDS)
    # Every company and every site got something; all districts the world spans.
    assert head.companies_reached == Company.objects.count() == step.rows["companies_reached"]
    assert head.sites_reached == Site.all_tenants.count() == step.rows["sites_reached"]
    districts = {code[:6] for code in Site.all_tenants.values_list("community__code", flat=True)}
    assert len(districts) == 15
    assert head.districts_reached == 15 == step.rows["districts_reached"]
    # All allocated, shipped and received: nothing waits in a warehouse or on the road.
    assert not Shipment.all_tenants.exclude(state=Shipment.State.RECEIVED).exists()
    donated = LedgerEntry.all_tenants.filter(kind="inbound").aggregate(q=Sum("quantity"))["q"]
    dispatched = LedgerEntry.all_tenants.filter(kind="dispatch").aggregate(q=Sum("quantity"))["q"]
    assert donated == dispatched
    # The published totals are the sums of their lines.
    assert sum(r["received"] for r in public.by_district(aid)) == head.received
    assert sum(r["received"] for r in public.by_company(aid)) == head.received
