"""Reads of the access administration pages: scoped querysets with their joins and
computed columns decided here, so each list page runs a fixed number of queries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from firstline.access.models import AccessPolicy, Device, Pass
from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.normalise import normalise_digits, normalise_phone, normalise_plate
from firstline.estates.selectors import room_q


class PassStatus:
    VALID = "valid"
    PENDING = "pending"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    choices = [
        (VALID, _("有效")),
        (PENDING, _("未生效")),
        (USED, _("已使用")),
        (EXPIRED, _("已过期")),
        (REVOKED, _("已注销")),
    ]
    labels = dict(choices)


def _count_of(rows: QuerySet, fk: str):
    """A correlated COUNT of `rows` (scoped) for one row of the outer query (no GROUP
    BY over the list)."""
    sub = (
        rows.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def policy_list(qs: QuerySet, *, now: datetime) -> QuerySet:
    """Policy versions, each knowing which version of its site is in force now."""
    in_force = (
        AccessPolicy.objects.for_scope(qs.scope)
        .filter(site_id=OuterRef("site_id"), effective_from__lte=now)
        .order_by("-effective_from", "-version")
        .values("pk")[:1]
    )
    return qs.select_related("site", "created_by").annotate(in_force_id=Subquery(in_force))


def policy_previous(qs: QuerySet, policy: AccessPolicy) -> AccessPolicy | None:
    return (
        qs.filter(site_id=policy.site_id, version__lt=policy.version).order_by("-version").first()
    )


def pass_status(now: datetime, via: str = ""):
    """The state of a pass as one SQL expression, so it filters and badges a list with
    no Python loop; `via` reaches the pass through a relation ("pass_ref")."""
    path = f"{via}__" if via else ""
    whens = [When(**{f"{via}__isnull": True}, then=Value(""))] if via else []
    return Case(
        *whens,
        When(**{f"{path}revoked_at__isnull": False}, then=Value(PassStatus.REVOKED)),
        When(**{f"{path}used_at__isnull": False}, then=Value(PassStatus.USED)),
        When(**{f"{path}valid_until__lte": now}, then=Value(PassStatus.EXPIRED)),
        When(**{f"{path}valid_from__gt": now}, then=Value(PassStatus.PENDING)),
        default=Value(PassStatus.VALID),
        output_field=CharField(),
    )


def pass_list(qs: QuerySet, *, now: datetime) -> QuerySet:
    return qs.select_related("site", "household__building", "resident").annotate(
        status=pass_status(now)
    )


def valid_q(now: datetime, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}revoked_at__isnull": True,
            f"{prefix}used_at__isnull": True,
            f"{prefix}valid_until__gt": now,
        }
    )


def sheet_passes(qs: QuerySet, *, building_id: int, now: datetime) -> QuerySet:
    """Residents' valid passes in one building, in room order, for the printed sheet."""
    return (
        qs.filter(valid_q(now), household__building_id=building_id, kind=Pass.Kind.RESIDENT)
        .select_related("household__building")
        .order_by("household__unit", "household__room", "holder_name", "pk")
    )


def checkpoint_list(qs: QuerySet) -> QuerySet:
    return qs.select_related("site").annotate(
        device_count=_count_of(Device.objects.for_scope(qs.scope), "checkpoint")
    )


def device_list(qs: QuerySet, *, now: datetime) -> QuerySet:
    """Devices with `online` computed in SQL from the last heartbeat."""
    seen_since = now - timedelta(seconds=Device.ONLINE_SECONDS)
    return qs.select_related("site", "checkpoint").annotate(
        online=Case(
            When(active=True, last_seen_at__gte=seen_since, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def visitor_list(qs: QuerySet, *, now: datetime) -> QuerySet:
    return qs.select_related("site", "household__building", "pass_ref").annotate(
        pass_status=pass_status(now, via="pass_ref")
    )


def delivery_list(qs: QuerySet) -> QuerySet:
    return qs.select_related("site", "household__building", "recorded_by")


def vehicle_list(qs: QuerySet) -> QuerySet:
    return qs.select_related("site", "household__building")


def pass_search_q(term: str) -> Q:
    term = term.strip()
    return Q(holder_name__icontains=term) | room_q(term, "household__")


def visitor_search_q(term: str) -> Q:
    term = term.strip()
    q = Q(name__icontains=term) | room_q(term, "household__")
    last4 = normalise_digits(term)
    if re.fullmatch(r"[0-9]{4}", last4):
        q |= Q(phone_last4=last4)
    phone = normalise_phone(term)
    if re.fullmatch(r"1[0-9]{10}", phone):
        q |= Q(phone_hmac=lookup_digest("phone", phone))
    return q


def delivery_search_q(term: str) -> Q:
    term = term.strip()
    return Q(carrier__icontains=term) | Q(note__icontains=term) | Q(household__room=term)


def vehicle_search_q(term: str) -> Q:
    return Q(plate__icontains=normalise_plate(term)) | Q(household__room=term.strip())
