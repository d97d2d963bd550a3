"""One-time codes by SMS: how a resident without an account signs in to declare.

A code is six digits, valid five minutes, usable once, with five attempts. Only
its keyed hash is stored, beside the phone's HMAC (never the phone itself). A
phone gets at most one code a minute and five an hour, so neither guessing nor
sending texts to someone else's phone scales.

A code is sent whether or not the phone is registered at the site: answering
differently would tell a stranger which phones live there. Only after the code
is verified does the resident learn that no one is registered under it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_digits, normalise_phone
from firstline.core.roles import Role, Target
from firstline.core.scope import Grant, Scope
from firstline.estates.models import Resident, Site
from firstline.health.models import PhoneCode
from firstline.health.services import sms

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
PER_HOUR = 5
KEEP_CODES = timedelta(days=1)  # older rows serve no limit any more
_SALT = "firstline.health.otp"


def phone_digest(phone: str) -> str:
    return lookup_digest("phone", phone)


def _code_hash(phone_hmac: str, code: str) -> str:
    # Keyed by SECRET_KEY: a leaked table alone does not let anyone test the million codes.
    return salted_hmac(_SALT, f"{phone_hmac}:{code}", algorithm="sha256").hexdigest()


def clean_phone(phone: str) -> str:
    """The normalised number, or a ValidationError on `phone`."""
    phone = normalise_phone(phone)
    try:
        validate_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    return phone


def request_code(*, site: Site, phone: str, now=None) -> str:
    """Send a new code to `phone` for `site`; returns the code (the caller shows it
    only when sms.shows_codes()). Raises ValidationError on `phone` when the number
    is malformed or asked for a code too often."""
    phone = clean_phone(phone)
    now = now or timezone.now()
    digest = phone_digest(phone)
    with transaction.atomic():
        recent = list(
            PhoneCode.objects.filter(phone_hmac=digest, created_at__gte=now - timedelta(hours=1))
            .order_by("-created_at")
            .values_list("created_at", flat=True)
        )
        if recent and now - recent[0] < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - recent[0])).total_seconds()) + 1
            raise ValidationError(
                {"phone": _("验证码已发送，请 %(n)d 秒后再重新获取。") % {"n": wait}}
            )
        if len(recent) >= PER_HOUR:
            raise ValidationError({"phone": _("该手机号一小时内获取验证码次数过多，请稍后再试。")})
        PhoneCode.objects.filter(phone_hmac=digest, created_at__lt=now - KEEP_CODES).delete()
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = PhoneCode.objects.create(
            site=site,
            phone_hmac=digest,
            code_hash=_code_hash(digest, code),
            expires_at=now + CODE_TTL,
        )
        # auto_now_add took the real clock; the limits above must see `now`.
        PhoneCode.objects.filter(pk=row.pk).update(created_at=now)
    message = _("【第一防线】%(site)s 行程申报验证码：%(code)s，5 分钟内有效，请勿告诉他人。") % {
        "site": site.name,
        "code": code,
    }
    sms.backend().send(phone, message, code=code)
    return code


def site_scope(company_id: int, site_id: int) -> Scope:
    """A scope over one site, for the public declaration pages: the signed link and
    then the verified code authorise them, and the fail-closed managers still
    filter every read by this one site."""
    return Scope(user_id=None, grants=(Grant(Role.RESIDENT, Target.SITE, site_id, company_id),))


def verify_code(*, site: Site, phone: str, code: str, now=None) -> list[Resident]:
    """Check `code` for `phone` at `site`; on success the code is spent and the
    residents of the site registered with that phone are returned (possibly none).
    Raises ValidationError on `code` otherwise."""
    phone = clean_phone(phone)
    code = normalise_digits(code)
    now = now or timezone.now()
    digest = phone_digest(phone)
    latest = (
        PhoneCode.objects.filter(site=site, phone_hmac=digest, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.expires_at <= now:
        raise ValidationError({"code": _("验证码已失效，请重新获取。")})
    # Count the attempt first, in the database: parallel guesses cannot share one.
    counted = PhoneCode.objects.filter(pk=latest.pk, attempts__lt=MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise ValidationError({"code": _("验证码错误次数过多，请重新获取。")})
    if not constant_time_compare(latest.code_hash, _code_hash(digest, code)):
        left = MAX_ATTEMPTS - latest.attempts - 1
        if left <= 0:
            raise ValidationError({"code": _("验证码错误次数过多，请重新获取。")})
        raise ValidationError({"code": _("验证码不正确，还可尝试 %(n)d 次。") % {"n": left}})
    spent = PhoneCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now)
    if not spent:
        raise ValidationError({"code": _("验证码已使用，请重新获取。")})
    return list(
        Resident.objects.for_scope(site_scope(site.company_id, site.pk))
        .filter(site=site, phone_hmac=digest)
        .select_related("household", "household__building")
        .order_by("id")
    )
