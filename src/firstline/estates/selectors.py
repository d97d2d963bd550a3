"""Reads of the estates app: scoped querysets with their joins decided, and search."""

from __future__ import annotations

import re

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.identity import normalize_id_number, normalize_phone
from firstline.estates.models import Household, Resident


def _count_of(model, fk: str):
    """A correlated COUNT(*) for one row of the outer query (no GROUP BY over the list)."""
    sub = (
        model.all_tenants.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def site_list(qs):
    return qs.select_related(
        "community", "community__parent", "community__parent__parent"
    ).annotate(
        household_count=_count_of(Household, "site"),
        resident_count=_count_of(Resident, "site"),
    )


def building_list(qs):
    return qs.select_related("site").annotate(household_count=_count_of(Household, "building"))


def household_list(qs):
    return qs.select_related("site", "building").annotate(
        resident_count=_count_of(Resident, "household")
    )


def resident_list(qs):
    return qs.select_related("site", "household", "household__building")


def staff_list(qs):
    return qs.select_related("site", "user")


def site_search_q(term: str) -> Q:
    term = term.strip()
    return (
        Q(name__icontains=term)
        | Q(name_initials__startswith=term.lower())
        | Q(address__icontains=term)
    )


def resident_search_q(term: str) -> Q:
    """Name, pinyin initials, room, last four of the phone, or an exact full phone or
    ID number (matched through its keyed HMAC, so no plaintext is ever compared)."""
    term = term.strip()
    q = Q(name__icontains=term) | Q(household__room=term)
    if re.fullmatch(r"[A-Za-z]{1,16}", term):
        q |= Q(name_initials__startswith=term.lower())
    if re.fullmatch(r"\d{4}", term):
        q |= Q(phone_last4=term)
    phone = normalize_phone(term)
    if re.fullmatch(r"1\d{10}", phone):
        q |= Q(phone_hmac=lookup_digest("phone", phone))
    id_number = normalize_id_number(term)
    if re.fullmatch(r"\d{17}[\dX]", id_number):
        q |= Q(id_number_hmac=lookup_digest("id_number", id_number))
    room = re.fullmatch(r"(?P<b>[^\s-]+)-(?:(?P<u>[^\s-]+)-)?(?P<r>[^\s-]+)", term)
    if room:  # "3-1-502" or "3-502": building-unit-room
        q |= Q(household__building__name=room["b"], household__room=room["r"])
    return q


def staff_search_q(term: str) -> Q:
    term = term.strip()
    q = Q(name__icontains=term) | Q(name_initials__startswith=term.lower())
    if re.fullmatch(r"\d{4}", term):
        q |= Q(phone_last4=term)
    return q


def household_search_q(term: str) -> Q:
    term = term.strip()
    return Q(room=term) | Q(building__name=term)


def building_search_q(term: str) -> Q:
    return Q(name__icontains=term.strip())
