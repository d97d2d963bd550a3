"""The daily report counts its own local day (Asia/Shanghai), at the day's edges
(issue #17: the 12-06 report's stock counted supplies received on 12-07).

The report of 12-06 is submitted the next morning, as managers do before the cut-off:
what happened on 12-07 must not be in it, whether the UTC date of the moment is 12-06
(16:00 UTC = 00:00 on the 7th in Shanghai) or 12-07 (07:59 UTC = 15:59 local)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from firstline.access.models import AccessEvent, Decision, Direction
from firstline.estates.models import Site
from firstline.reports.models import DailyReport
from firstline.reports.selectors.prefill import figures_compute, figures_compute_days
from firstline.reports.services.daily import report_open, report_submit
from firstline.reports.tests.records import at
from firstline.sanitation.tests.rows import make_area, make_entry, make_task
from firstline.supplies.models import LedgerEntry, Location
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import site_location, warehouse_location
from firstline.supplies.tests.shipping import item, stock_in, warehouse

DAY = date(2026, 12, 6)
NEXT = date(2026, 12, 7)
MORNING_AFTER = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 on the 7th in Shanghai


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return at(day, hour, minute) + timedelta(seconds=second)


def move_to_site(world, tenant, code: str, quantity: int, when: datetime) -> None:
    """Stock arrives at the warehouse and goes on to the site, both at `when`."""
    thing = item(code, name=f"物资{code}")
    with time_machine.travel(when, tick=False):
        batch = stock_in(world, [(thing, quantity)])
        site = Site.all_tenants.select_related("community").get(pk=tenant.site.pk)
        ledger.post(
            association_id=world.association.pk,
            at=when,
            moves=[
                ledger.Move(
                    kind=LedgerEntry.Kind.TRANSFER,
                    item_id=thing.pk,
                    batch_id=batch.pk,
                    from_location_id=warehouse_location(warehouse(world)).pk,
                    to_location_id=site_location(site, association_id=world.association.pk).pk,
                    quantity=quantity,
                )
            ],
        )


def use_at_site(world, tenant, code: str, quantity: int, when: datetime) -> None:
    from firstline.supplies.services.locations import system_location

    site = Site.all_tenants.select_related("community").get(pk=tenant.site.pk)
    entry = LedgerEntry.all_tenants.filter(item__code=code).latest("seq")
    with time_machine.travel(when, tick=False):
        ledger.post(
            association_id=world.association.pk,
            at=when,
            moves=[
                ledger.Move(
                    kind=LedgerEntry.Kind.CONSUME,
                    item_id=entry.item_id,
                    batch_id=entry.batch_id,
                    from_location_id=site_location(site, association_id=world.association.pk).pk,
                    to_location_id=system_location(
                        Location.Kind.CONSUMED, association_id=world.association.pk
                    ).pk,
                    quantity=quantity,
                    reason="一线使用",
                )
            ],
        )


def test_stock_is_what_the_site_held_at_the_end_of_its_local_day(world):
    move_to_site(world, world.a, "N95-01", 100, local(DAY, 0))  # 00:00 on the 6th: in
    move_to_site(world, world.a, "N95-01", 20, local(DAY, 23, 59, 59))  # last second: in
    move_to_site(world, world.a, "GLOVE-01", 7, datetime(2026, 12, 6, 16, 0, tzinfo=UTC))
    # ↑ UTC date 12-06, but 00:00 on the 7th in Shanghai: not the 6th's
    move_to_site(world, world.a, "N95-01", 300, datetime(2026, 12, 7, 7, 59, tzinfo=UTC))
    # ↑ 15:59 local on the 7th: not the 6th's
    use_at_site(world, world.a, "N95-01", 50, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):
        figures = figures_compute_days([DAY, NEXT], [world.a.site.pk, world.b.site.pk])
    assert figures[(world.a.site.pk, DAY)]["stock"] == {"N95-01": 120}
    assert figures[(world.a.site.pk, NEXT)]["stock"] == {"N95-01": 370, "GLOVE-01": 7}
    assert figures[(world.b.site.pk, DAY)]["stock"] == {}
    # The day before anything arrived held nothing.
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):
        before = figures_compute(DAY - timedelta(days=1), [world.a.site.pk])
    assert before[world.a.site.pk]["stock"] == {}


def test_the_report_submitted_the_next_morning_counts_its_own_day(world):
    """The reported case: received on the 7th, the 6th's report sent on the 7th."""
    move_to_site(world, world.a, "N95-01", 40, local(DAY, 9))
    move_to_site(world, world.a, "N95-01", 500, datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    for moment, direction in (
        (local(DAY, 0), Direction.IN),  # the day's first instant
        (local(DAY, 23, 59, 59), Direction.IN),  # and its last
        (datetime(2026, 12, 6, 16, 0, tzinfo=UTC), Direction.IN),  # 00:00 on the 7th
        (local(DAY, 0) - timedelta(seconds=1), Direction.OUT),  # 23:59:59 on the 5th
        (datetime(2026, 12, 6, 7, 59, tzinfo=UTC), Direction.OUT),  # 15:59 on the 6th
    ):
        AccessEvent.all_tenants.create(
            company=world.a.company,
            site=world.a.site,
            client_uuid=uuid.uuid4(),
            direction=direction,
            credential=AccessEvent.Credential.LOOKUP,
            resident=world.a.residents[0],
            household=world.a.household,
            temperature=Decimal("36.5"),
            decision=Decision.ADMIT,
            device_time=moment,
        )
    with time_machine.travel(MORNING_AFTER, tick=False):
        report = report_open(site_id=world.a.site.pk, day=DAY)
        assert report.stock == {"N95-01": 40}
        report = report_submit(
            actor=world.a.users["site_manager"], report=report, notes="", help_needed=""
        )
    stored = DailyReport.all_tenants.get(pk=report.pk)
    assert stored.state == DailyReport.State.SUBMITTED
    assert stored.stock == {"N95-01": 40}
    assert (stored.entries, stored.exits) == (2, 1)


def test_disinfection_done_after_the_day_is_missed_on_its_report(world):
    """A task of the 6th done at 08:00 on the 7th was not done on the 6th; one done at
    23:59:59 on the 6th was."""
    entry = make_entry(make_area(world.a))
    make_task(entry, DAY, slot=1, hour=18, state="done", done_at=local(DAY, 23, 59, 59))
    make_task(entry, DAY, slot=2, hour=20, state="done", done_at=local(NEXT, 8))
    make_task(entry, DAY, slot=3, hour=12, state="done", done_at=local(DAY, 11))
    make_task(entry, NEXT, slot=4, hour=8, state="done", done_at=local(NEXT, 0))
    with time_machine.travel(MORNING_AFTER, tick=False):
        figures = figures_compute_days([DAY, NEXT], [world.a.site.pk], now=timezone.now())
    day = figures[(world.a.site.pk, DAY)]
    assert (day["sanitation_due"], day["sanitation_done"]) == (3, 2)
    after = figures[(world.a.site.pk, NEXT)]
    assert (after["sanitation_due"], after["sanitation_done"]) == (1, 1)
