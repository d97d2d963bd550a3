"""Reads of stock that other parts share: which ledger locations a company or site
user's scope reaches, and what sites hold now (the daily report's stock figures)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet, Sum

from firstline.core.scope import Scope
from firstline.supplies.models import Balance, Location


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
