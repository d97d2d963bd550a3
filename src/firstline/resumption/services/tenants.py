"""Tenants of a building: registered by the building's managers, one per unit."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_credit_code, normalise_phone
from firstline.core.roles import Role
from firstline.core.services import audit_record
from firstline.estates.models import Building, Household
from firstline.estates.services import records
from firstline.estates.services.rooms import room_key
from firstline.orgs.models import RoleAssignment, User
from firstline.orgs.validators import validate_credit_code
from firstline.resumption.models import BUILDING_TYPES, AuditAction, Tenant

TENANT_FIELDS = ("name", "credit_code", "floors", "contact_name")


def _clean(data: dict, phone: str) -> tuple[dict, str]:
    errors: dict[str, list[str]] = {}
    data = {k: (data.get(k) or "").strip() for k in TENANT_FIELDS}
    data["credit_code"] = normalise_credit_code(data["credit_code"])
    for name in ("name", "credit_code", "contact_name"):
        if not data[name]:
            errors.setdefault(name, []).append(_("必填。"))
    if data["credit_code"]:
        try:
            validate_credit_code(data["credit_code"])
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
    phone = normalise_phone(phone)
    if not phone:
        errors["phone"] = [_("必填。")]
    else:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return data, phone


def _unit(*, actor, building: Building, floor: str, room: str) -> Household:
    """The unit a tenant leases: the household of that room (its unit is the floor),
    made if the building has no such room yet."""
    wanted = room_key(building.name, floor, room)
    for household in Household.all_tenants.filter(
        company_id=building.company_id, building=building
    ):
        if room_key(building.name, household.unit, household.room) == wanted:
            return household
    return records.household_create(
        actor=actor, building=building, data={"unit": floor.strip(), "room": room.strip()}
    )


@transaction.atomic
def tenant_register(
    *, actor, building: Building, floor: str, room: str, data: dict, phone: str
) -> Tenant:
    """A tenant company leasing the room `room` on floor `floor` of an office or
    commercial building (the building was read in the caller's scope)."""
    if building.site.site_type not in BUILDING_TYPES:
        raise ValidationError({"building": _("只有写字楼或商业综合体的楼栋可以登记入驻企业。")})
    if not (floor or "").strip() or not (room or "").strip():
        raise ValidationError({"room": _("请填写楼层和房号。")})
    data, phone = _clean(data, phone)
    household = _unit(actor=actor, building=building, floor=floor, room=room)
    if Tenant.all_tenants.filter(company_id=building.company_id, household=household).exists():
        raise ValidationError({"room": _("该单元已登记入驻企业。")})
    if Tenant.all_tenants.filter(
        company_id=building.company_id, site_id=building.site_id, credit_code=data["credit_code"]
    ).exists():
        raise ValidationError({"credit_code": _("本楼宇已登记此统一社会信用代码的企业。")})
    tenant = Tenant(
        company_id=building.company_id, site_id=building.site_id, household=household, **data
    )
    set_personal(tenant, "phone", phone)
    try:
        with transaction.atomic():
            tenant.save()
    except IntegrityError as exc:  # registered meanwhile
        raise ValidationError({"room": _("该单元已登记入驻企业。")}) from exc
    audit_record(
        actor=actor,
        company_id=tenant.company_id,
        action=AuditAction.TENANT_REGISTER,
        obj=tenant,
        changes={k: [None, str(getattr(tenant, k))] for k in TENANT_FIELDS}
        | {"phone": [None, tenant.phone_masked], "household": [None, household.label]},
    )
    return tenant


@transaction.atomic
def tenant_update(*, actor, tenant: Tenant, data: dict, phone: str) -> Tenant:
    data, phone = _clean(data, phone)
    if (
        Tenant.all_tenants.filter(
            company_id=tenant.company_id, site_id=tenant.site_id, credit_code=data["credit_code"]
        )
        .exclude(pk=tenant.pk)
        .exists()
    ):
        raise ValidationError({"credit_code": _("本楼宇已登记此统一社会信用代码的企业。")})
    changes = {k: [str(getattr(tenant, k)), v] for k, v in data.items() if getattr(tenant, k) != v}
    for k, v in data.items():
        setattr(tenant, k, v)
    old_masked = tenant.phone_masked
    set_personal(tenant, "phone", phone)
    if tenant.phone_masked != old_masked:
        changes["phone"] = [old_masked, tenant.phone_masked]
    tenant.save()
    audit_record(
        actor=actor,
        company_id=tenant.company_id,
        action=AuditAction.TENANT_UPDATE,
        obj=tenant,
        changes=changes,
    )
    return tenant


def tenant_admin_create(*, actor, tenant: Tenant, username: str, name: str) -> tuple[User, str]:
    """A new login for the tenant's own admin: the tenant-admin role over the tenant's
    unit, so it reaches that unit's rows only. Always a new account (a building manager
    may not hand a role to someone else's login); its first password is random and
    returned once for the manager to pass on. Returns (user, password)."""
    username, name = (username or "").strip(), (name or "").strip()
    errors = {}
    if not username:
        errors["username"] = _("请填写登录名。")
    if not name:
        errors["name"] = _("请填写姓名。")
    if errors:
        raise ValidationError(errors)
    password = secrets.token_urlsafe(9)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, display_name=name[:64]
            )
            RoleAssignment.objects.create(
                user=user,
                role=Role.TENANT_ADMIN,
                company_id=tenant.company_id,
                household_id=tenant.household_id,
            )
            audit_record(
                actor=actor,
                company_id=tenant.company_id,
                action=AuditAction.TENANT_ADMIN_CREATE,
                obj=tenant,
                changes={"admin": [None, username]},
            )
    except IntegrityError:
        raise ValidationError({"username": _("该登录名不可用。")}) from None
    return user, password
