"""Writes behind the access administration pages: checkpoints, passes for a whole
building, visitors, deliveries and vehicles. Each service takes keyword-only
arguments, runs in one transaction and writes its audit rows inside it; callers
have already checked the permission over the target through the scope."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.access.models import (
    AuditAction,
    Checkpoint,
    Delivery,
    Pass,
    Vehicle,
    Visitor,
    VisitorRule,
)
from firstline.access.services import gate
from firstline.core.models import AuditEvent
from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_phone, normalise_plate
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.estates.models import Building, Household, Resident, Site

# --- plates -----------------------------------------------------------------------------

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates use no I or O: they read as 1 and 0
# Ordinary plates: province, issuing-office letter, five serial characters (the last may
# be a use mark: 学 driving school, 警 police, 挂 trailer, 港/澳 cross-border, 领 consulate).
_ORDINARY = re.compile(rf"[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9学警挂港澳领]")
# New-energy plates have six serial characters: small cars put the energy letter first
# (D/A/B/C/E battery, F/G/H/J/K hybrid) then a letter or digit and four digits; large
# vehicles put five digits first and the energy letter (D or F) last.
_NEW_ENERGY = re.compile(
    rf"[{PROVINCES}][{_LETTER}](?:[A-HJK][{_LETTER}0-9][0-9]{{4}}|[0-9]{{5}}[DF])"
)
_EMBASSY = re.compile(r"使[0-9]{6}")


def plate_validate(value: str) -> str:
    """The normalised plate, or a ValidationError naming the `plate` field."""
    plate = normalise_plate(value)
    if not plate:
        raise ValidationError({"plate": _("请填写车牌号。")})
    if not any(p.fullmatch(plate) for p in (_ORDINARY, _NEW_ENERGY, _EMBASSY)):
        raise ValidationError(
            {
                "plate": _(
                    "车牌号格式不正确：应为省份简称 + 字母 + 5 位（新能源车 6 位）字母或数字，如 鄂A12345、鄂AD12345。"
                )
            }
        )
    return plate


# --- checkpoints ----------------------------------------------------------------------

CHECKPOINT_FIELDS = ["name", "kind"]


def _save_checked(obj, *, field: str) -> None:
    """Validate (constraints included) and save. A clash with a unique constraint is
    reported on `field`, the one the user typed, also when a concurrent writer won."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ValidationError(
            {
                field if name == NON_FIELD_ERRORS else name: errors
                for name, errors in exc.error_dict.items()
            }
        ) from None
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError({field: _("与已有记录重复。")}) from None


@transaction.atomic
def checkpoint_create(*, actor, site: Site, data: dict) -> Checkpoint:
    checkpoint = Checkpoint(
        company_id=site.company_id,
        site=site,
        name=(data.get("name") or "").strip(),
        kind=data.get("kind") or Checkpoint.Kind.PEDESTRIAN,
    )
    _save_checked(checkpoint, field="name")
    audit_record(
        actor=actor,
        company_id=site.company_id,
        action=AuditAction.CHECKPOINT_CREATE,
        obj=checkpoint,
        changes=changes_of(checkpoint, CHECKPOINT_FIELDS),
    )
    return checkpoint


@transaction.atomic
def checkpoint_update(*, actor, checkpoint: Checkpoint, data: dict) -> Checkpoint:
    before = snapshot(checkpoint, CHECKPOINT_FIELDS)
    checkpoint.name = (data.get("name") or checkpoint.name).strip()
    checkpoint.kind = data.get("kind") or checkpoint.kind
    _save_checked(checkpoint, field="name")
    audit_record(
        actor=actor,
        company_id=checkpoint.company_id,
        action=AuditAction.CHECKPOINT_UPDATE,
        obj=checkpoint,
        changes=changes_of(checkpoint, CHECKPOINT_FIELDS, before),
    )
    return checkpoint


# --- passes for a whole building -----------------------------------------------------------


@transaction.atomic
def pass_issue_building(
    *,
    actor,
    building: Building,
    days: int = gate.DEFAULT_PASS_DAYS,
    now: datetime | None = None,
) -> list[Pass]:
    """One pass for every resident of the building who holds no valid pass: one read
    of the residents, one bulk insert of the passes and one of their audit rows,
    whatever the building's size. The building row is locked so two clicks on the
    button cannot both issue."""
    now = now or timezone.now()
    if days < 1:
        raise ValidationError({"days": _("有效期至少 1 天。")})
    Building.all_tenants.select_for_update().filter(pk=building.pk).first()
    gate.site_key_active(site=Site.all_tenants.get(pk=building.site_id))
    holding = Pass.all_tenants.filter(
        company_id=building.company_id,
        resident=OuterRef("pk"),
        revoked_at__isnull=True,
        valid_until__gt=now,
    )
    residents = list(
        Resident.all_tenants.filter(company_id=building.company_id, household__building=building)
        .filter(~Exists(holding))
        .order_by("household_id", "id")
        .only("pk", "company_id", "site_id", "household_id", "name")
    )
    until = now + timedelta(days=days)
    issued = Pass.all_tenants.bulk_create(
        [
            Pass(
                company_id=r.company_id,
                site_id=r.site_id,
                household_id=r.household_id,
                resident_id=r.pk,
                kind=Pass.Kind.RESIDENT,
                holder_name=r.name,
                valid_from=now,
                valid_until=until,
            )
            for r in residents
        ],
        batch_size=1000,
    )
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                company_id=p.company_id,
                actor_id=actor_id,
                action=AuditAction.PASS_ISSUE,
                object_type=Pass._meta.label_lower,
                object_id=str(p.pk),
                changes={"resident": [None, p.resident_id], "building": [None, building.pk]},
            )
            for p in issued
        ],
        batch_size=1000,
    )
    return issued


# --- visitors -------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def visitor_register(
    *,
    actor,
    household: Household,
    name: str,
    phone: str,
    expected_on: date,
    purpose: str = "",
    by_resident: bool = False,
    today: date | None = None,
) -> Visitor:
    """A visitor of `household` and their one-time pass, valid on the expected day.
    The phone is sealed like every other phone number. A resident's pre-registration
    is refused on a day the site's policy turns visitors away; staff registering at the
    gate decide there (an escorted doctor, a repair)."""
    today = today or timezone.localdate()
    errors = {}
    if by_resident:
        at = max(timezone.now(), _day_start(expected_on))
        policy = gate.policy_in_force(site_id=household.site_id, at=at)
        if policy is not None and policy.visitor_rule == VisitorRule.FORBIDDEN:
            errors["expected_on"] = [_("该项目当天谢绝来访，请改期或联系物业。")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写访客姓名。")]
    phone = normalise_phone(phone)
    try:
        validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if expected_on < today:
        errors["expected_on"] = [_("来访日期不能早于今天。")]
    if errors:
        raise ValidationError(errors)
    visitor = Visitor(
        company_id=household.company_id,
        site_id=household.site_id,
        household=household,
        name=name,
        expected_on=expected_on,
        purpose=(purpose or "").strip(),
        registered_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    set_personal(visitor, "phone", phone)
    visitor.full_clean(exclude=["company", "site", "household", "pass_ref", "registered_by"])
    pass_ = gate.pass_issue_visitor(
        actor=actor, household=household, name=name, day_start=_day_start(expected_on)
    )
    visitor.pass_ref = pass_
    visitor.save()
    audit_record(
        actor=actor,
        company_id=visitor.company_id,
        action=AuditAction.VISITOR_REGISTER,
        obj=visitor,
        changes=changes_of(visitor, ["name", "phone", "expected_on", "purpose"])
        | {"pass": [None, pass_.pk]},
    )
    return visitor


# --- deliveries -----------------------------------------------------------------------------


@transaction.atomic
def delivery_log(
    *,
    actor,
    site: Site,
    carrier: str,
    household: Household | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Delivery:
    carrier = (carrier or "").strip()
    if not carrier:
        raise ValidationError({"carrier": _("请填写快递公司或外卖平台。")})
    if household is not None and household.site_id != site.pk:
        raise ValidationError({"room": _("收件住户不在该项目。")})
    delivery = Delivery.all_tenants.create(
        company_id=site.company_id,
        site=site,
        household=household,
        carrier=carrier[:64],
        note=(note or "").strip()[:200],
        dropped_at=now or timezone.now(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        company_id=site.company_id,
        action=AuditAction.DELIVERY_LOG,
        obj=delivery,
        changes={
            "carrier": [None, delivery.carrier],
            "household": [None, household.pk if household else None],
        },
    )
    return delivery


@transaction.atomic
def delivery_collect(*, actor, delivery: Delivery, now: datetime | None = None) -> Delivery:
    """Mark collected; the condition makes a second click (or a second guard) a no-op error."""
    now = now or timezone.now()
    if not Delivery.all_tenants.filter(pk=delivery.pk, collected_at__isnull=True).update(
        collected_at=now
    ):
        raise ValidationError(_("该件已领取。"))
    delivery.collected_at = now
    audit_record(
        actor=actor,
        company_id=delivery.company_id,
        action=AuditAction.DELIVERY_COLLECT,
        obj=delivery,
        changes={"collected_at": [None, now.isoformat()]},
    )
    return delivery


# --- vehicles -------------------------------------------------------------------------------


@transaction.atomic
def vehicle_register(*, actor, household: Household, plate: str) -> Vehicle:
    vehicle = Vehicle(
        company_id=household.company_id,
        site_id=household.site_id,
        household=household,
        plate=plate_validate(plate),
    )
    _save_checked(vehicle, field="plate")
    audit_record(
        actor=actor,
        company_id=vehicle.company_id,
        action=AuditAction.VEHICLE_REGISTER,
        obj=vehicle,
        changes={"plate": [None, vehicle.plate], "household": [None, household.pk]},
    )
    return vehicle


@transaction.atomic
def vehicle_remove(*, actor, vehicle: Vehicle) -> None:
    """Unregister a plate. Gate events keep the plate text they recorded."""
    audit_record(
        actor=actor,
        company_id=vehicle.company_id,
        action=AuditAction.VEHICLE_REMOVE,
        obj=vehicle,
        changes={"plate": [vehicle.plate, None], "household": [vehicle.household_id, None]},
    )
    Vehicle.all_tenants.filter(pk=vehicle.pk).delete()
