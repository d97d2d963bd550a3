"""The sender's figures of a notice: its audience, its readers, its read rate and
its text messages, all counted in the database when asked.

- Audience: the residents (a residents' notice) plus the staff (a staff notice) of
  the sites the notice reaches (`NoticeSite`), counted now: people who moved in since
  publication count, people who left do not. A draft has none yet.
- Readers: distinct receipts (`NoticeRead`: one per signed-in user, one per resident
  known by the one-time code).
- Read rate: readers ÷ audience, at most 100 % (a resident who reads both with an
  account and by one-time code is two receipts).

The notice itself was read in the caller's scope; its receipts and audience are
counted across the companies it reached (an association's or authority's notice
reaches many), so this module counts with `all_tenants` and only counts leave it.
Each figure is a correlated subquery: a list of notices is one query however many.
"""

from __future__ import annotations

from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from firstline.estates.models import Resident, Site, Staff
from firstline.notices.models import NoticeRead, NoticeSite, NoticeSms


def _count(qs):
    """SELECT COUNT(*) of `qs` as a scalar subquery (0 when there are no rows)."""
    counted = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _reached(outer: str = "pk"):
    return NoticeSite.all_tenants.filter(notice_id=OuterRef(OuterRef(outer))).values("site_id")


def audience_expression():
    residents = _count(Resident.all_tenants.filter(site_id__in=_reached()))
    staff = _count(Staff.all_tenants.filter(site_id__in=_reached()))
    return Case(When(to_residents=True, then=residents), default=Value(0)) + Case(
        When(to_staff=True, then=staff), default=Value(0)
    )


def with_figures(qs):
    """The notices with `read_count`, `audience` and `site_count`, in the same query."""
    return qs.annotate(
        read_count=_count(NoticeRead.all_tenants.filter(notice_id=OuterRef("pk"))),
        audience=audience_expression(),
        site_count=_count(NoticeSite.all_tenants.filter(notice_id=OuterRef("pk"))),
    )


def rate(reads: int, audience: int) -> int | None:
    """Whole percent, at most 100; None without an audience."""
    if not audience:
        return None
    return min(100, round(reads * 100 / audience))


def sms_tally(notice) -> dict:
    counts = NoticeSms.all_tenants.filter(notice=notice).aggregate(
        n_sent=Count("id", filter=Q(sent=True)), n_failed=Count("id", filter=Q(sent=False))
    )
    return {"sent": counts["n_sent"] or 0, "failed": counts["n_failed"] or 0}


def site_rows(notice, *, limit: int = 50) -> list[dict]:
    """Per reached site: its name, audience and readers (the first `limit` by name), in
    one query."""
    site = OuterRef("site_id")
    residents = _count(Resident.all_tenants.filter(site_id=site))
    staff = _count(Staff.all_tenants.filter(site_id=site))
    audience = (residents if notice.to_residents else Value(0)) + (
        staff if notice.to_staff else Value(0)
    )
    rows = list(
        NoticeSite.all_tenants.filter(notice=notice)
        .annotate(
            audience=audience,
            reads=_count(NoticeRead.all_tenants.filter(notice_id=notice.pk, site_id=site)),
            site_name=Subquery(Site.all_tenants.filter(pk=site).values("name")[:1]),
        )
        .order_by("site_name", "site_id")
        .values("site_id", "site_name", "audience", "reads")[:limit]
    )
    for row in rows:
        row["rate"] = rate(row["reads"], row["audience"])
    return rows


def receipts(notice) -> dict:
    """The figures of one notice (read in scope by the caller)."""
    from firstline.notices.models import Notice

    row = (
        with_figures(Notice.all_tenants.filter(pk=notice.pk))
        .values("read_count", "audience", "site_count")
        .get()
    )
    return {
        **row,
        "rate": rate(row["read_count"], row["audience"]),
        "sms": sms_tally(notice),
    }
