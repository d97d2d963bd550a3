"""Reads of stock that other parts share: which ledger locations a company or site
user's scope reaches, and what sites hold now or held at the end of a local day
(the daily report's stock figures)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from firstline.core.scope import Scope
from firstline.supplies.models import Balance, LedgerEntry, Location


def scoped_locations(scope: Scope) -> QuerySet[Location]:
    """The company stores and site locations the scope reaches (none if it reaches none)."""
    return Location.objects.for_scope(scope).filter(
        kind__in=[Location.Kind.COMPANY, Location.Kind.SITE]
    )


def site_stock(site_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{site id: {item code: units on hand}} from the cached balances, one query.
    Sites with nothing on hand are left out. For the daily report's prefill, which
    reads the sites it was given (its tick and the submission chose them), so this
    reads across tenants like the prefill does (reports/selectors/prefill.py)."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Balance.all_tenants.filter(
            location__kind=Location.Kind.SITE, location__site_id__in=sorted(set(site_ids))
        )
        .values("location__site_id", "item__code")
        .order_by()
        .annotate(q=Sum("quantity"))
    )
    for row in rows:
        if row["q"]:
            out[row["location__site_id"]][row["item__code"]] = row["q"]
    return dict(out)


def _day_end(day: date) -> datetime:
    """The end of the local day (settings.TIME_ZONE): the next day's 00:00."""
    return datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone()
    )


def site_stock_days(
    site_ids: Iterable[int], days: Iterable[date], *, now: datetime | None = None
) -> dict[tuple[int, date], dict[str, int]]:
    """{(site id, day): {item code: units on hand}} at the end of each local day
    (now, for a day not over yet), three queries whatever the number of days: the
    cached balances now, then the site locations' ledger entries since the first
    day's end, in and out, per local day, taken back off the balances. So the report
    of 12-06 never counts what was received at 07:59 UTC on 12-07 (15:59 local) and
    does count a receipt at 23:59:59 local on 12-06. Items with nothing on hand are
    left out, and sites with nothing at all. Reads across tenants like site_stock."""
    ids = sorted(set(site_ids))
    days = sorted(set(days))
    if not ids or not days:
        return {}
    now = now or timezone.now()
    current = site_stock(ids)
    since = _day_end(days[0])
    # (site, code) → {local day of the entry: units in minus out}
    moved: dict[tuple[int, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    if since < now:
        zone = timezone.get_default_timezone()
        entries = LedgerEntry.all_tenants.filter(at__gte=since).order_by()
        for side, sign in (("to_location", 1), ("from_location", -1)):
            rows = (
                entries.filter(
                    **{
                        f"{side}__kind": Location.Kind.SITE,
                        f"{side}__site_id__in": ids,
                    }
                )
                .annotate(d=TruncDate("at", tzinfo=zone))
                .values(f"{side}__site_id", "item__code", "d")
                .annotate(q=Sum("quantity"))
            )
            for row in rows:
                key = (row[f"{side}__site_id"], row["item__code"])
                moved[key][row["d"]] += sign * row["q"]
    out: dict[tuple[int, date], dict[str, int]] = {}
    codes = {pk: set(current.get(pk, {})) for pk in ids}
    for site_id, code in moved:
        codes[site_id].add(code)
    for pk in ids:
        for day in days:
            stock = {}
            for code in sorted(codes[pk]):
                after = sum(q for d, q in moved.get((pk, code), {}).items() if d > day)
                units = current.get(pk, {}).get(code, 0) - after
                if units:
                    stock[code] = units
            if stock:
                out[(pk, day)] = stock
    return out
