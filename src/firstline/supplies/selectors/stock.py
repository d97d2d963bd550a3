"""Reads of stock that other parts share: what a site holds now (the daily report's
stock figures), and which ledger locations a user's scope may see.

Locations are not tenant rows (the association's warehouse and the outside world are
locations too), so the scope filter is built here from the user's company and site
grants, the same filter `for_scope` would build (`Scope.q`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet, Sum

from firstline.core.scope import Scope
from firstline.supplies.models import Balance, Location


def scoped_locations(scope: Scope) -> QuerySet[Location]:
    """The company stores and site locations the scope reaches (none if it reaches none)."""
    condition = scope.q(company="company_id", site="site_id")
    if condition is None:
        return Location.objects.none()
    return Location.objects.filter(kind__in=[Location.Kind.COMPANY, Location.Kind.SITE]).filter(
        condition
    )


def site_stock(site_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{site id: {item code: units on hand}} from the cached balances, one query.
    Sites with nothing on hand are left out."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Balance.objects.filter(
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
