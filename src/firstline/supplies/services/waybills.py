"""Waybill (shipment) numbers: one format, unique across the platform.

A number is `SH` + the local day of issue (settings.TIME_ZONE, YYYYMMDD) + the
day's serial, five digits or more: SH2026120700001, SH2026120700002, … The serial
comes from the day's `ShipmentNumberDay` row: `UPDATE … SET last = last + n`
takes the row's lock (PostgreSQL) or the database's write lock (SQLite, whose
transactions begin IMMEDIATE), held until the issuing transaction ends, so two
approvals at once get consecutive, distinct ranges and a rolled-back approval
gives its range back. Each number is also inserted into `ShipmentNumber`, whose
unique constraint refuses a number issued twice whatever wrote it.

The counter is the last lock an approval takes (after the plan, the ledger head,
the balances and the need lines: services/shipments.py's order), and its holder
waits on nothing else, so it adds no deadlock.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from firstline.supplies.models import ShipmentNumber, ShipmentNumberDay

PREFIX = "SH"


def waybill_format(day: date, serial: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}{serial:05d}"


def waybill_numbers_issue(
    *, count: int, day: date | None = None, now: datetime | None = None
) -> list[str]:
    """`count` new numbers of the local day `day` (of `now` if not given), in order.
    Call it inside the transaction that stores the shipments: the day's counter stays
    locked until that transaction ends."""
    if count <= 0:
        return []
    day = day or timezone.localdate(now or timezone.now())
    with transaction.atomic():
        ShipmentNumberDay.objects.bulk_create([ShipmentNumberDay(day=day)], ignore_conflicts=True)
        ShipmentNumberDay.objects.filter(day=day).update(last=F("last") + count)
        last = ShipmentNumberDay.objects.values_list("last", flat=True).get(day=day)
        numbers = [waybill_format(day, serial) for serial in range(last - count + 1, last + 1)]
        ShipmentNumber.objects.bulk_create(
            [ShipmentNumber(number=number, day=day) for number in numbers], batch_size=1000
        )
    return numbers
