"""Reads of the estates app: scoped querysets with their joins decided, and search."""

from __future__ import annotations

import re

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.normalise import (
    normalise_digits,
    normalise_id_number,
    normalise_phone,
)
from firstline.estates.models import Household, Resident, Site
from firstline.estates.services.rooms import (
    BUILDING_SPELLINGS,
    ROOM_SPELLINGS,
    UNIT_SPELLINGS,
    canon_room,
    parse_room,
    spellings,
)


def _count_of(rows, fk: str):
    """A correlated COUNT(*) of `rows` (scoped) for one row of the outer query (no
    GROUP BY over the list)."""
    sub = (
        rows.filter(**{fk: OuterRef("pk")})
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
        household_count=_count_of(Household.objects.for_scope(qs.scope), "site"),
        resident_count=_count_of(Resident.objects.for_scope(qs.scope), "site"),
    )


def building_list(qs):
    return qs.select_related("site").annotate(
        household_count=_count_of(Household.objects.for_scope(qs.scope), "building")
    )


def household_list(qs):
    return qs.select_related("site", "building").annotate(
        resident_count=_count_of(Resident.objects.for_scope(qs.scope), "household")
    )


# --- the members registry: counts across tenants by design --------------------------------
# An association's scope reaches its member companies (Company.objects.for_scope) but
# none of their sites; the registry shows how many sites each has. Counts only leave
# these two functions (DESIGN.md: the association sees aggregates).


def with_site_count_across_tenants(qs):
    """Companies (scoped) with their number of sites."""
    sites = (
        Site.all_tenants.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(site_count=Coalesce(Subquery(sites, output_field=IntegerField()), Value(0)))


def site_types_across_tenants(company) -> list[dict]:
    """[{site_type, n}] of one company (read through the scope), largest first."""
    return list(
        Site.all_tenants.filter(company=company)
        .values("site_type")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )


def resident_list(qs):
    return qs.select_related("site", "household", "household__building")


def staff_list(qs):
    return qs.select_related("site", "user")


def sharing_id_number(qs):
    """The residents of `qs` whose ID number another resident of the same company also
    carries: the review list of people who may be one person twice.

    Entry points refuse a second resident with an ID number the company already holds
    (the import, the forms), but rows written before ID numbers were normalised
    (`core.personal.normalise`, estates migration 0003) may be two rows of one person.
    They are not merged or deleted by a machine: they show here, on the resident list,
    until someone corrects the number or deletes the extra row. Nothing is stored for
    this; the list is the fact itself, so it cannot go stale.
    """
    others = Resident.all_tenants.filter(
        company_id=OuterRef("company_id"), id_number_hmac=OuterRef("id_number_hmac")
    ).exclude(pk=OuterRef("pk"))
    return qs.exclude(id_number_hmac="").filter(Exists(others))


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
    q = Q(name__icontains=term)
    if re.fullmatch(r"[A-Za-z]{1,16}", term):
        q |= Q(name_initials__startswith=term.lower())
    last4 = normalise_digits(term)
    if re.fullmatch(r"[0-9]{4}", last4):
        q |= Q(phone_last4=last4)
    phone = normalise_phone(term)
    if re.fullmatch(r"1[0-9]{10}", phone):
        q |= Q(phone_hmac=lookup_digest("phone", phone))
    id_number = normalise_id_number(term)
    if re.fullmatch(r"[0-9]{17}[0-9X]", id_number):
        q |= Q(id_number_hmac=lookup_digest("id_number", id_number))
    return q | room_q(term, "household__")


def room_q(term: str, prefix: str = "") -> Q:
    """Households (or, with prefix "household__", rows that have one) in the room the
    term names however it is written: "1栋1单元101", "3-1-1103", "1栋-1-101",
    "１号楼101室", or a bare room number "301". Matches nothing for other terms."""
    parts = parse_room(term)
    if parts is None:
        bare = canon_room(term)
        if not re.fullmatch(r"[0-9A-Za-z]{1,16}", bare):
            return Q(pk__in=[])
        return Q(**{f"{prefix}room__in": spellings(bare, ROOM_SPELLINGS)})
    building, unit, room = parts
    q = Q(
        **{
            f"{prefix}building__name__in": spellings(building, BUILDING_SPELLINGS),
            f"{prefix}room__in": spellings(room, ROOM_SPELLINGS),
        }
    )
    if unit is not None:
        q &= Q(**{f"{prefix}unit__in": spellings(unit, UNIT_SPELLINGS)})
    return q


def staff_search_q(term: str) -> Q:
    term = term.strip()
    q = Q(name__icontains=term) | Q(name_initials__startswith=term.lower())
    last4 = normalise_digits(term)
    if re.fullmatch(r"[0-9]{4}", last4):
        q |= Q(phone_last4=last4)
    phone = normalise_phone(term)
    if re.fullmatch(r"1[0-9]{10}", phone):
        q |= Q(phone_hmac=lookup_digest("phone", phone))
    return q


def household_search_q(term: str) -> Q:
    term = term.strip()
    return Q(building__name=term) | room_q(term)


def building_search_q(term: str) -> Q:
    return Q(name__icontains=term.strip())
