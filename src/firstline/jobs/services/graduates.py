"""A graduate's sign-up (a login with the GRADUATE role over the fair's association
and its profile, in one transaction), profile edits and CV upload."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import validate_id_number, validate_phone
from firstline.core.personal.normalise import normalise_id_number, normalise_phone
from firstline.core.roles import Role
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.jobs.models import AuditAction, Fair, Graduate
from firstline.jobs.services.files import ALLOWED, cv_kind
from firstline.orgs.models import RoleAssignment, User

PROFILE_FIELDS = ["name", "school", "major", "graduation_year", "phone", "id_number", "consent"]


def _profile(graduate: Graduate, data: dict, *, keep_blank: bool = False) -> None:
    """The profile's fields from `data`; with `keep_blank` (an edit) a phone or ID
    number left blank keeps the one on file."""
    errors: dict[str, list[str]] = {}
    for key, label in (("name", _("姓名")), ("school", _("学校")), ("major", _("专业"))):
        if not (data.get(key) or "").strip():
            errors[key] = [_("请填写%(f)s。") % {"f": label}]
    year = data.get("graduation_year")
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not this_year - 10 <= year <= this_year + 5:
        errors["graduation_year"] = [
            _("毕业年份应在 %(a)d 到 %(b)d 之间。") % {"a": this_year - 10, "b": this_year + 5}
        ]
    phone = normalise_phone(data.get("phone") or "")
    id_number = normalise_id_number(data.get("id_number") or "")
    checks = [("phone", phone, validate_phone), ("id_number", id_number, validate_id_number)]
    for key, value, check in checks:
        if keep_blank and not value and getattr(graduate, f"{key}_hmac"):
            continue
        try:
            check(value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    graduate.name = data["name"].strip()[:64]
    graduate.school = data["school"].strip()[:128]
    graduate.major = data["major"].strip()[:128]
    graduate.graduation_year = year
    if phone:
        set_personal(graduate, "phone", phone)
    if id_number:
        set_personal(graduate, "id_number", id_number)
    consent = bool(data.get("consent"))
    if consent and not graduate.consent:
        graduate.consent_at = timezone.now()
    elif not consent:
        graduate.consent_at = None
    graduate.consent = consent


def _cv(graduate: Graduate, upload) -> None:
    kind = cv_kind(upload)
    name = (upload.name or "cv").replace("\\", "/").rsplit("/", 1)[-1][:100]
    graduate.cv.save(f"cv.{ALLOWED[kind]}", upload, save=False)
    graduate.cv_name = name
    graduate.cv_type = kind


@transaction.atomic
def graduate_sign_up(*, fair: Fair, username: str, password: str, data: dict, cv=None) -> Graduate:
    """A graduate signs up on a fair's public page: a login (GRADUATE over the fair's
    association) and its profile. Nothing is written when anything is refused."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username or len(username) > 150:
        errors["username"] = [_("请填写登录名（不超过 150 个字符）。")]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [_("该登录名已被使用。")]
    try:
        validate_password(password or "")
    except ValidationError as exc:
        errors["password"] = exc.messages
    graduate = Graduate(association_id=fair.association_id)
    try:
        _profile(graduate, data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not graduate.consent and "consent" not in errors:
        errors["consent"] = [_("请阅读并同意向所申请的企业提供简历和联系方式。")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, display_name=graduate.name
            )
    except IntegrityError:
        raise ValidationError({"username": _("该登录名已被使用。")}) from None
    RoleAssignment.objects.create(user=user, role=Role.GRADUATE, association_id=fair.association_id)
    graduate.user = user
    if cv is not None:
        _cv(graduate, cv)
    graduate.save()
    audit_record(
        actor=user,
        company_id=None,
        action=AuditAction.GRADUATE_SIGN_UP,
        obj=graduate,
        changes=changes_of(graduate, PROFILE_FIELDS),
    )
    return graduate


@transaction.atomic
def graduate_update(*, actor, graduate: Graduate, data: dict, cv=None) -> Graduate:
    graduate = Graduate.all_tenants.select_for_update().get(pk=graduate.pk)
    before = snapshot(graduate, PROFILE_FIELDS)
    _profile(graduate, data, keep_blank=True)
    if cv is not None:
        _cv(graduate, cv)
    graduate.save()
    changes = changes_of(graduate, PROFILE_FIELDS, before)
    if cv is not None:
        changes["file"] = [None, graduate.cv_name]
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.GRADUATE_UPDATE,
        obj=graduate,
        changes=changes,
    )
    return graduate
