"""The association's consultation pool: its categories with their service levels, its
experts (a login with the expert role over the association), and conflicts of
interest between an expert and a member company."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from firstline.consultations.models import Area, AuditAction, Category, Conflict, Expert
from firstline.core.roles import Role
from firstline.core.services import audit_record, changes_of, snapshot, stored_actor
from firstline.orgs.models import Association, Company, Membership, RoleAssignment, User

# The service levels an association starts with (hours to the first reply, to the
# resolution); the desk changes them per category.
DEFAULT_LEVELS = {
    Area.RENT: (24, 120),
    Area.LABOUR: (24, 120),
    Area.TAX: (48, 168),
    Area.LIABILITY: (12, 72),
    Area.OTHER: (48, 168),
}


def categories_ensure(association: Association) -> list[Category]:
    """The association's five categories, made with the default service levels when
    missing. Idempotent."""
    out = []
    for kind, (first, resolution) in DEFAULT_LEVELS.items():
        category, _made = Category.all_tenants.get_or_create(
            association=association,
            kind=kind,
            defaults={
                "name": str(Area(kind).label),
                "first_reply_hours": first,
                "resolution_hours": resolution,
            },
        )
        out.append(category)
    return out


def categories_ensure_for_companies(company_ids) -> None:
    """The categories of every association these companies are members of (a new
    association's members can ask at once)."""
    for association in Association.objects.filter(
        pk__in=Membership.objects.filter(company_id__in=list(company_ids)).values("association_id")
    ).order_by("id"):
        categories_ensure(association)


def category_update(
    *, actor, category: Category, first_reply_hours: int, resolution_hours: int, active: bool
) -> Category:
    errors = {}
    if not 1 <= first_reply_hours <= 720:
        errors["first_reply_hours"] = _("首次答复时限为 1 至 720 小时。")
    if not 1 <= resolution_hours <= 2160:
        errors["resolution_hours"] = _("办结时限为 1 至 2160 小时。")
    elif resolution_hours < first_reply_hours:
        errors["resolution_hours"] = _("办结时限不能短于首次答复时限。")
    if errors:
        raise ValidationError(errors)
    fields = ["first_reply_hours", "resolution_hours", "active"]
    with transaction.atomic():
        locked = Category.all_tenants.select_for_update().get(pk=category.pk)
        before = snapshot(locked, fields)
        locked.first_reply_hours = first_reply_hours
        locked.resolution_hours = resolution_hours
        locked.active = active
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.CATEGORY_UPDATE,
            obj=locked,
            changes=changes_of(locked, fields, before),
        )
    return locked


def _expert_fields(*, name: str, kind: str, areas, max_open: int) -> tuple[str, list[str], dict]:
    """(name, areas, errors) of an expert's record as the desk typed it."""
    name = (name or "").strip()[:64]
    areas = list(dict.fromkeys(areas or []))
    errors = {}
    if not name:
        errors["name"] = _("请填写姓名。")
    if kind not in Expert.Kind.values:
        errors["kind"] = _("未知的专家类型。")
    if not 1 <= max_open <= 100:
        errors["max_open"] = _("同时办理上限为 1 至 100。")
    if any(a not in Area.values for a in areas):
        errors["areas"] = _("未知的擅长领域。")
    return name, areas, errors


def expert_create(
    *,
    actor,
    association: Association,
    name: str,
    kind: str,
    areas: list[str],
    max_open: int = 5,
    organisation: str = "",
    username: str = "",
) -> tuple[Expert, str]:
    """Adds a person to the pool: the login named `username` if it exists, else a new
    one of that name with a random first password (returned once, "" otherwise), and
    grants it the expert role over the association. Returns (expert, password)."""
    name, areas, errors = _expert_fields(name=name, kind=kind, areas=areas, max_open=max_open)
    username = (username or "").strip()
    if not username:
        errors["username"] = _("请填写登录名。")
    if errors:
        raise ValidationError(errors)
    password = ""
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(9)
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        username=username, password=password, display_name=name
                    )
            except IntegrityError:
                raise ValidationError({"username": _("该登录名不可用。")}) from None
        if Expert.all_tenants.filter(association=association, user=user).exists():
            raise ValidationError({"username": _("该账号已在专家库中。")})
        RoleAssignment.objects.get_or_create(
            user=user, role=Role.EXPERT, association_id=association.pk
        )
        expert = Expert.objects.create(
            association=association,
            user=user,
            name=name,
            kind=kind,
            areas=areas,
            max_open=max_open,
            organisation=(organisation or "").strip()[:100],
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.EXPERT_SAVE,
            obj=expert,
            changes=changes_of(expert, ["name", "kind", "areas", "max_open", "active"]),
        )
    return expert, password


def expert_update(
    *,
    actor,
    expert: Expert,
    name: str,
    kind: str,
    areas: list[str],
    max_open: int,
    organisation: str,
    active: bool,
) -> Expert:
    name, areas, errors = _expert_fields(name=name, kind=kind, areas=areas, max_open=max_open)
    if errors:
        raise ValidationError(errors)
    fields = ["name", "kind", "areas", "max_open", "organisation", "active"]
    with transaction.atomic():
        locked = Expert.all_tenants.select_for_update().get(pk=expert.pk)
        before = snapshot(locked, fields)
        locked.name, locked.kind, locked.areas = name, kind, areas
        locked.max_open, locked.active = max_open, active
        locked.organisation = (organisation or "").strip()[:100]
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.EXPERT_SAVE,
            obj=locked,
            changes=changes_of(locked, fields, before),
        )
    return locked


def conflict_record(*, actor, expert: Expert, company: Company, reason: str) -> Conflict:
    """The desk records that `expert` may not answer `company`'s questions (a member
    of the expert's association). Experts already assigned to its open consultations
    stay until the desk reassigns; new assignments are refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明利益冲突的原因。")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("原因不能超过 200 个字。")})
    if not Membership.objects.filter(
        company_id=company.pk, association_id=expert.association_id
    ).exists():
        raise ValidationError({"company": _("该企业不是本协会的会员。")})
    try:
        with transaction.atomic():
            conflict = Conflict.objects.create(
                association_id=expert.association_id,
                expert=expert,
                company=company,
                reason=reason,
                recorded_by=stored_actor(actor),
            )
            audit_record(
                actor=actor,
                company_id=company.pk,
                action=AuditAction.CONFLICT_RECORD,
                obj=conflict,
                changes={"expert": expert.name, "company": company.name, "reason": reason},
            )
    except IntegrityError:
        raise ValidationError({"company": _("已登记过该专家与该企业的利益冲突。")}) from None
    return conflict
