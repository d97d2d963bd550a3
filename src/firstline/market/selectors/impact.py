"""The programme's impact: what reached households (delivered units), in jin, yuan
and households, by county, supplier, product, company and district. Public figures
are aggregates across every company by design (the public impact page); a row whose
households fall under the threshold shows them suppressed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Sum

from firstline.core.personal.aggregates import suppress
from firstline.market.models import GRAMS_PER_JIN, OrderLine

BY = {
    "county": ("product__supplier__county__name",),
    "supplier": ("product__supplier__name",),
    "product": ("product__name",),
    "company": ("company__name",),
    "district": ("site__community__parent__parent__name",),
}


@dataclass
class ImpactRow:
    label: str
    jin: int
    yuan: int
    households: int | str


def _delivered(association_id: int | None = None):
    qs = OrderLine.all_tenants.filter(delivered__gt=0)
    if association_id is not None:
        qs = qs.filter(order__campaign__association_id=association_id)
    return qs


def _figures(qs) -> dict:
    return qs.aggregate(
        grams=Sum(F("delivered") * F("product__grams_per_unit")),
        fen=Sum(F("delivered") * F("price_fen")),
        households=Count("order__household_id", distinct=True),
    )


def _row(label: str, f: dict, *, suppressed: bool) -> ImpactRow:
    households = f["households"] or 0
    return ImpactRow(
        label=label or "—",
        jin=(f["grams"] or 0) // GRAMS_PER_JIN,
        yuan=(f["fen"] or 0) // 100,
        households=suppress(households) if suppressed else households,
    )


def impact_across_tenants(*, association_id: int | None = None) -> dict:
    """Totals and every breakdown, across every company (public by design: no row of
    a household, only sums)."""
    qs = _delivered(association_id)
    out: dict = {"total": _row("", _figures(qs), suppressed=False)}
    for name, (path,) in BY.items():
        rows = (
            qs.values(path)
            .annotate(
                grams=Sum(F("delivered") * F("product__grams_per_unit")),
                fen=Sum(F("delivered") * F("price_fen")),
                households=Count("order__household_id", distinct=True),
            )
            .order_by(path)
        )
        out[name] = [_row(r[path], r, suppressed=True) for r in rows]
    return out
