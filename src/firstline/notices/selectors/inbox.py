"""What recipients read: the notices reaching them, current ones only (published,
past their publish time, not expired, not withdrawn), urgent first, then newest.

A signed-in reader's scope reaches notices through `NoticeInbox`'s paths (their
households' sites for residents' notices, their sites and companies for staff
notices). A resident without an account, signed in by the declaration's one-time
code, gets a scope of the households of the residents that phone verified
(`declare_scope`)."""

from __future__ import annotations

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from firstline.core.roles import NOTICES_READ, Role, Target
from firstline.core.scope import Grant, Scope
from firstline.estates.models import Household
from firstline.notices.models import (
    InboxAttachment,
    Notice,
    NoticeInbox,
    NoticeRead,
    NoticeSite,
    current_q,
)

DASHBOARD_MAX = 5


def urgent_first():
    return Case(
        When(urgency=Notice.Urgency.URGENT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def current(qs, now=None):
    """Current notices of a scoped inbox queryset, urgent first, then newest."""
    return (
        qs.filter(current_q(now))
        .annotate(urgent_rank=urgent_first())
        .order_by("urgent_rank", "-publish_at", "-id")
    )


def read_receipts(scope: Scope, *, user_id=None, resident_ids=()):
    """The reader's receipts, read in the reader's own scope."""
    reads = NoticeRead.objects.for_scope(scope)
    if user_id is not None:
        return reads.filter(user_id=user_id)
    return reads.filter(resident_id__in=list(resident_ids))


def with_read(qs, receipts):
    """Annotate `is_read` from the reader's receipts (one EXISTS per row, same query)."""
    return qs.annotate(is_read=Exists(receipts.filter(notice_id=OuterRef("pk"))))


def inbox(scope: Scope, *, user_id=None, resident_ids=(), now=None):
    qs = current(NoticeInbox.objects.for_scope(scope), now)
    return with_read(qs, read_receipts(scope, user_id=user_id, resident_ids=resident_ids))


def dashboard_notices(scope: Scope, user_id: int, *, now=None) -> dict:
    """The resident's home: the current notices that are unread or urgent (at most 5),
    and how many are unread in all. Two queries."""
    scope = scope.for_perm(NOTICES_READ)
    if not scope.grants:
        return {"items": [], "unread": 0}
    qs = inbox(scope, user_id=user_id, now=now)
    items = list(
        qs.filter(Q(is_read=False) | Q(urgency=Notice.Urgency.URGENT)).values(
            "id", "title", "urgency", "publish_at", "is_read"
        )[:DASHBOARD_MAX]
    )
    return {"items": items, "unread": qs.filter(is_read=False).count()}


def _only(scope: Scope, *targets: str) -> Scope:
    return Scope(scope.user_id, tuple(g for g in scope.grants if g.target in targets))


def reader_place(scope: Scope, notice) -> dict | None:
    """Where the reader meets the notice: the company and site (and household, for a
    resident) of the first of the reader's grants it reaches; None when none does."""
    if notice.to_residents:
        residents = _only(scope, Target.HOUSEHOLD)
        site = (
            NoticeSite.objects.for_scope(residents)
            .filter(notice_id=notice.pk, to_residents=True)
            .order_by("site_id")
            .values("site_id", "company_id")
            .first()
        )
        if site is not None:
            household = (
                Household.objects.for_scope(residents)
                .filter(site_id=site["site_id"])
                .order_by("id")
                .values_list("pk", flat=True)
                .first()
            )
            return {**site, "household_id": household}
    if notice.to_staff:
        staff = _only(scope, Target.SITE, Target.COMPANY)
        site = (
            NoticeSite.objects.for_scope(staff)
            .filter(notice_id=notice.pk, to_staff=True)
            .order_by("site_id")
            .values("site_id", "company_id")
            .first()
        )
        if site is not None:
            return {**site, "household_id": None}
    return None


def attachments(scope: Scope, notice) -> list:
    return list(InboxAttachment.objects.for_scope(scope).filter(notice_id=notice.pk).order_by("id"))


def declare_scope(residents) -> Scope:
    """The scope of a resident signed in by one-time code: their households, as a
    resident's grants (no user)."""
    grants = tuple(
        Grant(Role.RESIDENT, Target.HOUSEHOLD, r.household_id, r.company_id)
        for r in sorted(residents, key=lambda r: r.pk)
    )
    return Scope(user_id=None, grants=grants)


def attachments_by_id(scope: Scope, pk: int) -> list:
    """The file `pk` of a current notice reaching the scope (an empty list otherwise)."""
    return list(
        InboxAttachment.objects.for_scope(scope).filter(pk=pk).filter(current_q(prefix="notice__"))
    )
