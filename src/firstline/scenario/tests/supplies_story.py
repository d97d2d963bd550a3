"""Test helper: a whole supplies story in the test world, written by the scenario's
real builder (ledger.post for every movement) over companies a's and b's sites."""

from __future__ import annotations

import random

from django.utils import timezone

from firstline.scenario.supplies import build_supplies
from firstline.supplies.models import Donor, InboundBatch


def furnish(world):
    """Batches, shipments, receipts (some short), use and open needs; returns the report."""
    return build_supplies(
        rng=random.Random(7),
        now=timezone.now(),
        sites=[world.a.site, world.b.site],
        scale="demo",
    )


def person_donor() -> Donor:
    """The donor who is a person: the public must never see its name."""
    return Donor.all_tenants.get(kind=Donor.Kind.INDIVIDUAL)


def batch_of_person() -> InboundBatch:
    return InboundBatch.all_tenants.filter(donor=person_donor()).order_by("number").first()
