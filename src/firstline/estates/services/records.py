"""Writes of the estates app. Each service: keyword-only arguments, one
transaction, the audit row inside it. Callers (views, API, import) have already
checked the permission over the target through the scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import validate_id_number, validate_phone
from firstline.core.personal.normalise import normalise_id_number, normalise_phone
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.estates.models import AuditAction, Building, Household, Resident, Site, Staff


def name_initials(name: str) -> str:
    """张三丰 → zsf: lets staff find people and sites by pinyin initials."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()[:16]


SITE_FIELDS = ["name", "site_type", "community", "address", "manager_phone"]
BUILDING_FIELDS = ["name", "floors"]
HOUSEHOLD_FIELDS = ["building", "unit", "room"]
RESIDENT_FIELDS = ["name", "birth_year", "relation", *Resident.VULNERABILITY_FIELDS]
STAFF_FIELDS = ["name", "position", "on_duty", "user"]


def _save(
    *,
    actor,
    obj,
    action: AuditAction,
    data: dict,
    fields: list[str],
    personal: dict[str, str | None] | None = None,
) -> None:
    """Assign, seal, validate, save and audit one row: the shape every estates write shares."""
    creating = obj.pk is None
    tracked = fields + list(personal or {})
    before = {} if creating else snapshot(obj, tracked)
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])
    for kind, value in (personal or {}).items():
        set_personal(obj, kind, value)
    if hasattr(obj, "name_initials"):
        obj.name_initials = name_initials(obj.name)
    obj.full_clean(exclude=["company", "site"])
    obj.save()
    audit_record(
        actor=actor,
        company_id=obj.company_id,
        action=action,
        obj=obj,
        changes=changes_of(obj, tracked, before),
    )


def clean_personal(*, phone: str | None, id_number: str | None) -> dict[str, str | None]:
    """Validated, normalised sensitive values; None means 'leave unchanged'."""
    out: dict[str, str | None] = {}
    errors = {}
    if phone is not None:
        phone = normalise_phone(phone)
        try:
            if phone:
                validate_phone(phone)
            out["phone"] = phone or None
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if id_number is not None:
        id_number = normalise_id_number(id_number)
        try:
            if id_number:
                validate_id_number(id_number)
            out["id_number"] = id_number or None
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return out


def id_number_check_free(*, company_id: int, id_number: str | None, resident_pk=None) -> None:
    """One person, one resident row per company: the import refuses an ID number the
    company already holds, and so do the forms (by the keyed HMAC of the normalised
    number, so `４２０１…ｘ` is the same person as `4201…X`)."""
    if not id_number:
        return
    taken = Resident.all_tenants.filter(
        company_id=company_id, id_number_hmac=lookup_digest("id_number", id_number)
    )
    if resident_pk is not None:
        taken = taken.exclude(pk=resident_pk)
    if taken.exists():
        raise ValidationError({"id_number": _("该身份证号已登记在本企业的居民中")})


@transaction.atomic
def site_create(*, actor, company_id: int, data: dict) -> Site:
    site = Site(company_id=company_id)
    _save(actor=actor, obj=site, action=AuditAction.SITE_CREATE, data=data, fields=SITE_FIELDS)
    return site


@transaction.atomic
def site_update(*, actor, site: Site, data: dict) -> Site:
    _save(actor=actor, obj=site, action=AuditAction.SITE_UPDATE, data=data, fields=SITE_FIELDS)
    return site


@transaction.atomic
def building_create(*, actor, site: Site, data: dict) -> Building:
    building = Building(company_id=site.company_id, site=site)
    _save(
        actor=actor,
        obj=building,
        action=AuditAction.BUILDING_CREATE,
        data=data,
        fields=BUILDING_FIELDS,
    )
    return building


@transaction.atomic
def building_update(*, actor, building: Building, data: dict) -> Building:
    _save(
        actor=actor,
        obj=building,
        action=AuditAction.BUILDING_UPDATE,
        data=data,
        fields=BUILDING_FIELDS,
    )
    return building


@transaction.atomic
def household_create(*, actor, building: Building, data: dict) -> Household:
    household = Household(
        company_id=building.company_id, site_id=building.site_id, building=building
    )
    _save(
        actor=actor,
        obj=household,
        action=AuditAction.HOUSEHOLD_CREATE,
        data=data,
        fields=["unit", "room"],
    )
    return household


@transaction.atomic
def household_update(*, actor, household: Household, data: dict) -> Household:
    _save(
        actor=actor,
        obj=household,
        action=AuditAction.HOUSEHOLD_UPDATE,
        data=data,
        fields=["unit", "room"],
    )
    return household


@dataclass(frozen=True)
class RoomRef:
    """Where a resident lives, as staff write it: building, unit, room."""

    building: str
    unit: str
    room: str


def household_find(*, site: Site, ref: RoomRef) -> Household:
    household = (
        Household.all_tenants.filter(
            company_id=site.company_id,
            site=site,
            building__name=ref.building.strip(),
            unit=ref.unit.strip(),
            room=ref.room.strip(),
        )
        .select_related("building")
        .first()
    )
    if household is None:
        raise ValidationError(
            {
                "room": _("该项目没有此房号：%(b)s栋 %(u)s单元 %(r)s")
                % {"b": ref.building, "u": ref.unit, "r": ref.room}
            }
        )
    return household


@transaction.atomic
def resident_create(
    *, actor, household: Household, data: dict, phone: str | None, id_number: str | None
) -> Resident:
    resident = Resident(
        company_id=household.company_id, site_id=household.site_id, household=household
    )
    personal = clean_personal(phone=phone, id_number=id_number)
    id_number_check_free(company_id=household.company_id, id_number=personal.get("id_number"))
    _save(
        actor=actor,
        obj=resident,
        action=AuditAction.RESIDENT_CREATE,
        data=data,
        fields=RESIDENT_FIELDS,
        personal=personal,
    )
    return resident


@transaction.atomic
def resident_update(
    *,
    actor,
    resident: Resident,
    data: dict,
    phone: str | None = None,
    id_number: str | None = None,
    household: Household | None = None,
) -> Resident:
    personal = {
        k: v
        for k, v in clean_personal(phone=phone or None, id_number=id_number or None).items()
        if v
    }
    id_number_check_free(
        company_id=resident.company_id,
        id_number=personal.get("id_number"),
        resident_pk=resident.pk,
    )
    if household is not None and household.pk != resident.household_id:
        if household.company_id != resident.company_id:
            raise ValidationError({"room": _("不能把居民移到其他企业的住户。")})
        resident.household = household
        resident.site_id = household.site_id
    _save(
        actor=actor,
        obj=resident,
        action=AuditAction.RESIDENT_UPDATE,
        data=data,
        fields=RESIDENT_FIELDS,
        personal=personal,
    )
    return resident


@transaction.atomic
def staff_create(*, actor, site: Site, data: dict, phone: str | None) -> Staff:
    staff = Staff(company_id=site.company_id, site=site)
    _save(
        actor=actor,
        obj=staff,
        action=AuditAction.STAFF_CREATE,
        data=data,
        fields=STAFF_FIELDS,
        personal=clean_personal(phone=phone, id_number=None),
    )
    return staff


@transaction.atomic
def staff_update(*, actor, staff: Staff, data: dict, phone: str | None = None) -> Staff:
    personal = {k: v for k, v in clean_personal(phone=phone or None, id_number=None).items() if v}
    _save(
        actor=actor,
        obj=staff,
        action=AuditAction.STAFF_UPDATE,
        data=data,
        fields=STAFF_FIELDS,
        personal=personal,
    )
    return staff
