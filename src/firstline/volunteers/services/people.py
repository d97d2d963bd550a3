"""Volunteers and teams: sign-up (public page, or a company for its people), vetting,
insurance, teams and their members. Keyword-only, one transaction each, audited."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.personal.crypto import lookup_digest, seal
from firstline.core.personal.fields import set_personal
from firstline.core.roles import Role
from firstline.core.services import audit_record, changes_of, snapshot, stored_actor
from firstline.estates.services.records import clean_personal
from firstline.orgs.models import RoleAssignment, User
from firstline.volunteers.models import (
    AuditAction,
    Availability,
    ConsentText,
    Skill,
    Team,
    Volunteer,
)
from firstline.volunteers.services.library import CONSENT_TEXT

SIGN_UP_FIELDS = [
    "name",
    "phone",
    "id_number",
    "skills",
    "languages",
    "availability",
    "emergency_name",
    "emergency_phone",
    "healthy",
    "no_contact",
    "company",
    "source",
]


def consent_current(association) -> ConsentText:
    """The association's consent text in force (the newest version); the first
    version is written on first use."""
    current = ConsentText.objects.filter(association=association).order_by("-version").first()
    if current is None:
        current, _created = ConsentText.objects.get_or_create(
            association=association, version=1, defaults={"body": CONSENT_TEXT}
        )
    return current


def consent_publish(*, actor, association, body: str) -> ConsentText:
    """A new version of the consent text; sign-ups from now on agree to it."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("请填写同意书内容。")})
    with transaction.atomic():
        last = (
            ConsentText.objects.select_for_update()
            .filter(association=association)
            .order_by("-version")
            .first()
        )
        return ConsentText.objects.create(
            association=association, version=(last.version + 1) if last else 1, body=body
        )


def _set_emergency_phone(volunteer: Volunteer, value: str) -> None:
    sealed = seal("phone", value)
    volunteer.emergency_phone_enc = sealed.enc
    volunteer.emergency_phone_hmac = sealed.hmac
    volunteer.emergency_phone_last4 = sealed.last4
    volunteer.emergency_phone_masked = sealed.masked


def _clean(data: dict, *, phone, id_number, emergency_phone) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名。")]
    if not (data.get("emergency_name") or "").strip():
        errors["emergency_name"] = [_("请填写紧急联系人。")]
    skills = list(dict.fromkeys(data.get("skills") or []))
    unknown = [s for s in skills if s not in Skill.values]
    if unknown:
        errors["skills"] = [_("未知的技能：%(s)s") % {"s": "、".join(map(str, unknown))}]
    if data.get("availability") and data["availability"] not in Availability.values:
        errors["availability"] = [_("请选择可服务时间。")]
    personal: dict = {}
    try:
        personal = clean_personal(phone=phone or "", id_number=id_number or "")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not phone and "phone" not in errors:
        errors["phone"] = [_("请填写手机号。")]
    if not id_number and "id_number" not in errors:
        errors["id_number"] = [_("请填写身份证号。")]
    try:
        emergency = clean_personal(phone=emergency_phone or "", id_number=None).get("phone")
    except ValidationError as exc:
        errors["emergency_phone"] = exc.message_dict["phone"]
        emergency = None
    if not emergency and "emergency_phone" not in errors:
        errors["emergency_phone"] = [_("请填写紧急联系人电话。")]
    if errors:
        raise ValidationError(errors)
    return {**data, "name": name, "skills": skills}, {**personal, "emergency_phone": emergency}


def volunteer_sign_up(
    *,
    actor,
    association,
    data: dict,
    phone: str,
    id_number: str,
    emergency_phone: str,
    consent_version: int,
    agreed: bool,
    company=None,
) -> Volunteer:
    """A sign-up, pending vetting. `consent_version` is the version the person read;
    if a newer one was published meanwhile they must read it again. `company` (read
    in the caller's scope) when a company signs up its own people. One ID number signs
    up once per association."""
    data, personal = _clean(data, phone=phone, id_number=id_number, emergency_phone=emergency_phone)
    consent = consent_current(association)
    if not agreed:
        raise ValidationError({"agreed": _("请阅读并同意知情同意书。")})
    if consent_version != consent.version:
        raise ValidationError(
            {
                "consent_version": _("知情同意书已更新为第 %(v)d 版，请重新阅读后提交。")
                % {"v": consent.version}
            }
        )
    digest = lookup_digest("id_number", personal["id_number"])
    volunteer = Volunteer(
        association=association,
        company=company,
        name=data["name"],
        skills=data["skills"],
        languages=(data.get("languages") or "").strip(),
        availability=data.get("availability") or Availability.FULL_TIME,
        availability_note=(data.get("availability_note") or "").strip(),
        emergency_name=data["emergency_name"].strip(),
        healthy=bool(data.get("healthy")),
        no_contact=bool(data.get("no_contact")),
        health_note=(data.get("health_note") or "").strip(),
        consent=consent,
        consented_at=timezone.now(),
        source=Volunteer.Source.COMPANY if company is not None else Volunteer.Source.PUBLIC,
    )
    set_personal(volunteer, "phone", personal["phone"])
    set_personal(volunteer, "id_number", personal["id_number"])
    _set_emergency_phone(volunteer, personal["emergency_phone"])
    with transaction.atomic():
        # Serialise sign-ups of one ID number: the association's consent row is the lock.
        ConsentText.objects.select_for_update().filter(pk=consent.pk).first()
        if Volunteer.all_tenants.filter(association=association, id_number_hmac=digest).exists():
            raise ValidationError({"id_number": _("该身份证号已报名。")})
        volunteer.save()
        audit_record(
            actor=actor,
            company_id=volunteer.company_id,
            action=AuditAction.VOLUNTEER_SIGN_UP,
            obj=volunteer,
            changes=changes_of(volunteer, SIGN_UP_FIELDS) | {"consent": consent.version},
        )
    return volunteer


def volunteer_approve(
    *, actor, volunteer: Volunteer, username: str = "", note: str = ""
) -> tuple[Volunteer, str]:
    """Approve a pending (or rejected) sign-up: link the login named `username`, or make
    one (`v` + the volunteer's number, a random first password, returned once), and
    grant it the volunteer role over the association. Returns (volunteer, password or
    "" when an existing login was linked). Approving twice changes nothing."""
    username = (username or "").strip()
    with transaction.atomic():
        locked = Volunteer.all_tenants.select_for_update().get(pk=volunteer.pk)
        if locked.state == Volunteer.State.APPROVED:
            return locked, ""
        password = ""
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise ValidationError({"username": _("没有这个登录名。")})
            if Volunteer.all_tenants.filter(user=user).exclude(pk=locked.pk).exists():
                raise ValidationError({"username": _("该账号已关联其他志愿者。")})
        elif locked.user_id:
            user = locked.user
        else:
            password = secrets.token_urlsafe(9)
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        username=f"v{locked.pk}", password=password, display_name=locked.name
                    )
            except IntegrityError:
                raise ValidationError(
                    {
                        "username": _("登录名 v%(n)d 已被占用，请指定一个已有账号。")
                        % {"n": locked.pk}
                    }
                ) from None
        RoleAssignment.objects.get_or_create(
            user=user, role=Role.VOLUNTEER, association_id=locked.association_id
        )
        before = {"state": locked.state, "user": locked.user_id}
        locked.state = Volunteer.State.APPROVED
        locked.user = user
        locked.vetted_by = stored_actor(actor)
        locked.vetted_at = timezone.now()
        locked.vet_note = (note or "").strip()[:200]
        locked.save(update_fields=["state", "user", "vetted_by", "vetted_at", "vet_note"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.VOLUNTEER_APPROVE,
            obj=locked,
            changes=changes_of(locked, ["state", "user"], before),
        )
    return locked, password


def volunteer_reject(*, actor, volunteer: Volunteer, note: str) -> Volunteer:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请说明不通过的原因。")})
    with transaction.atomic():
        locked = Volunteer.all_tenants.select_for_update().get(pk=volunteer.pk)
        if locked.state == Volunteer.State.APPROVED:
            raise ValidationError(_("已通过审核的志愿者不能改为不通过。"))
        before = {"state": locked.state}
        locked.state = Volunteer.State.REJECTED
        locked.vetted_by = stored_actor(actor)
        locked.vetted_at = timezone.now()
        locked.vet_note = note[:200]
        locked.save(update_fields=["state", "vetted_by", "vetted_at", "vet_note"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.VOLUNTEER_REJECT,
            obj=locked,
            changes=changes_of(locked, ["state", "vet_note"], before),
        )
    return locked


INSURANCE_FIELDS = ["insurer", "policy_no", "insured_from", "insured_to"]


def insurance_set(*, actor, volunteer: Volunteer, data: dict) -> Volunteer:
    """The volunteer's insurance policy: insurer, number, valid dates."""
    errors = {}
    if not (data.get("insurer") or "").strip():
        errors["insurer"] = _("请填写保险公司。")
    if not (data.get("policy_no") or "").strip():
        errors["policy_no"] = _("请填写保单号。")
    start, end = data.get("insured_from"), data.get("insured_to")
    if not start:
        errors["insured_from"] = _("请填写保险起始日期。")
    if not end:
        errors["insured_to"] = _("请填写保险截止日期。")
    if start and end and end < start:
        errors["insured_to"] = _("保险截止日期不能早于起始日期。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Volunteer.all_tenants.select_for_update().get(pk=volunteer.pk)
        before = snapshot(locked, INSURANCE_FIELDS)
        locked.insurer = data["insurer"].strip()
        locked.policy_no = data["policy_no"].strip()
        locked.insured_from = start
        locked.insured_to = end
        locked.save(update_fields=INSURANCE_FIELDS)
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.INSURANCE_SET,
            obj=locked,
            changes=changes_of(locked, INSURANCE_FIELDS, before),
        )
    return locked


def team_create(*, actor, association, name: str, company=None) -> Team:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写队名。")})
    try:
        with transaction.atomic():
            team = Team.objects.create(association=association, company=company, name=name)
            audit_record(
                actor=actor,
                company_id=team.company_id,
                action=AuditAction.TEAM_CREATE,
                obj=team,
                changes={"name": name},
            )
    except IntegrityError:
        raise ValidationError({"name": _("已有同名队伍。")}) from None
    return team


def team_member_set(*, actor, team: Team, volunteer: Volunteer, leader: bool = False) -> Team:
    """Put an approved volunteer of the team's association into the team; `leader`
    makes them its leader."""
    if volunteer.association_id != team.association_id:
        raise ValidationError({"volunteer": _("该志愿者不属于本协会。")})
    if volunteer.state != Volunteer.State.APPROVED:
        raise ValidationError({"volunteer": _("只能编入已通过审核的志愿者。")})
    with transaction.atomic():
        locked = Team.all_tenants.select_for_update().get(pk=team.pk)
        Volunteer.all_tenants.filter(pk=volunteer.pk).update(team=locked)
        if leader:
            locked.leader = volunteer
            locked.save(update_fields=["leader"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.TEAM_MEMBER_SET,
            obj=locked,
            changes={"volunteer": volunteer.pk, "leader": leader},
        )
    return locked
