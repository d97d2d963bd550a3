"""The scenario's week of gate traffic (`scenario.access`): policies, passes, a week of
events with their fever alerts and follow-ups, as the demo loads them."""

import random
from collections import Counter
from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from firstline.access.models import AccessEvent, AccessPolicy, Alert, FollowUp, Pass
from firstline.access.services.decision import Rules, period_start
from firstline.estates.models import Household, Resident
from firstline.scenario.access import build_access, residents_by_site_of


def test_demo_access_week(world):
    site, other = world.a.site, world.b.site
    households = Household.all_tenants.bulk_create(
        Household(
            company=world.a.company, site=site, building=world.a.building, unit="2", room=f"{n}01"
        )
        for n in range(1, 31)
    )
    Resident.all_tenants.bulk_create(
        Resident(company=world.a.company, site=site, household=h, name=f"住户{h.room}{k}")
        for h in households
        for k in (1, 2)
    )
    now = timezone.now()

    report = build_access(
        rng=random.Random(7),
        now=now,
        sites=[site, other],
        residents_by_site=residents_by_site_of([site, other]),
        quick=False,
    )

    for s in (site, other):
        [policy] = AccessPolicy.all_tenants.filter(site=s)
        assert (policy.mode, policy.outing_quota, policy.outing_period_days) == ("closed", 1, 2)
        assert (policy.outing_window_start, policy.outing_window_end) == (time(6), time(20))
    assert (
        Pass.all_tenants.filter(site=site).count() == 62
        and Pass.all_tenants.filter(site=other).count() == 2
    )
    assert Pass.all_tenants.values("resident_id").distinct().count() == 64 == report.passes
    events = list(AccessEvent.all_tenants.order_by("device_time"))
    assert len(events) == report.events == sum(report.decisions.values())
    assert all(e.device_time < now for e in events)
    week = {timezone.localtime(e.device_time).date() for e in events if e.site_id == site.pk}
    assert len(week) >= 5  # the demo company's site: a week of events
    assert all(e.device_time >= now - timedelta(days=1) for e in events if e.site_id == other.pk)
    fevers = [e for e in events if e.temperature is not None and e.temperature >= Decimal("37.3")]
    assert Alert.all_tenants.count() == FollowUp.all_tenants.count() == len(fevers) == report.alerts
    assert {e.decision for e in fevers} <= {"refer", "deny"}
    # The gate decided, not the generator: no household went out twice in a period.
    rules = Rules.from_policy(AccessPolicy.all_tenants.get(site=site))
    outings = Counter(
        (e.household_id, period_start(rules, timezone.localtime(e.device_time)))
        for e in events
        if e.direction == "out" and e.decision == "admit"
    )
    assert outings and max(outings.values()) == 1
    assert report.decisions["deny"] == sum(1 for e in events if e.decision == "deny") > 0
