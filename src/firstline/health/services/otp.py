"""One-time codes by SMS: how a resident without an account signs in to declare.

A code is six digits, valid five minutes, usable once, with five attempts. Only
its keyed hash is stored, beside the phone's HMAC and a keyed hash of the client's
address (never the phone or the address). A phone, and a client address, gets at
most one code a minute and ten a day (FIRSTLINE_SMS_OTP_*), so neither guessing
nor sending texts to someone else's phone scales; the page says politely how long
to wait. Every message is recorded (sms.send), and a gateway's refusal is a polite
"try again later" on the page, not an error.

A code is sent whether or not the phone is registered at the site: answering
differently would tell a stranger which phones live there. Only after the code
is verified does the resident learn that no one is registered under it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_digits, normalise_phone
from firstline.core.roles import Role, Target
from firstline.core.scope import Grant, Scope
from firstline.estates.models import Resident, Site
from firstline.health.models import PhoneCode, SmsMessage
from firstline.health.services import sms

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
KEEP_CODES = DAY  # older rows serve no limit any more
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


def ip_digest(ip: str) -> str:
    """A keyed hash of the client's address: the limits count by it, nothing stores it."""
    return salted_hmac(_SALT + ".ip", ip, algorithm="sha256").hexdigest() if ip else ""


def _wait(times: list[datetime], limit: int, now: datetime) -> int | None:
    """Seconds until one of the last minute's `times` leaves the minute, when `limit`
    of them are in it (None when the limit is not reached)."""
    recent = sorted(t for t in times if now - t < MINUTE)
    if len(recent) < max(limit, 1):
        return None
    return int((recent[-max(limit, 1)] + MINUTE - now).total_seconds()) + 1


def _refuse_over_limits(digest: str, ip_hmac: str, now: datetime) -> None:
    """The per-phone and per-address limits (one query over the last day's codes)."""
    who = Q(phone_hmac=digest) | Q(ip_hmac=ip_hmac) if ip_hmac else Q(phone_hmac=digest)
    rows = list(
        PhoneCode.objects.filter(who, created_at__gt=now - DAY).values_list(
            "phone_hmac", "ip_hmac", "created_at"
        )
    )
    by_phone = [at for p, _ip, at in rows if p == digest]
    by_ip = [at for _p, ip, at in rows if ip_hmac and ip == ip_hmac]
    if (wait := _wait(by_phone, settings.FIRSTLINE_SMS_OTP_PHONE_PER_MINUTE, now)) is not None:
        raise ValidationError({"phone": _("验证码已发送，请 %(n)d 秒后再重新获取。") % {"n": wait}})
    if len(by_phone) >= settings.FIRSTLINE_SMS_OTP_PHONE_PER_DAY:
        raise ValidationError(
            {
                "phone": _(
                    "该手机号今天获取验证码的次数已达上限（%(n)d 次），请明天再试；"
                    "如需帮助，请联系物业或社区工作人员。"
                )
                % {"n": settings.FIRSTLINE_SMS_OTP_PHONE_PER_DAY}
            }
        )
    if (wait := _wait(by_ip, settings.FIRSTLINE_SMS_OTP_IP_PER_MINUTE, now)) is not None:
        raise ValidationError(
            {"phone": _("当前网络获取验证码较频繁，请 %(n)d 秒后再试。") % {"n": wait}}
        )
    if len(by_ip) >= settings.FIRSTLINE_SMS_OTP_IP_PER_DAY:
        raise ValidationError(
            {
                "phone": _(
                    "当前网络今天获取验证码的次数已达上限，请明天再试；"
                    "如需帮助，请联系物业或社区工作人员。"
                )
            }
        )


def request_code(*, site: Site, phone: str, ip: str = "", now=None) -> str:
    """Send a new code to `phone` for `site`, asked from the client address `ip`;
    returns the code (the caller shows it only when sms.shows_codes()). Raises
    ValidationError on `phone` when the number is malformed, asked for a code too
    often (from this phone or this address), or the gateway did not take the message
    (the failure is recorded in SmsMessage)."""
    phone = clean_phone(phone)
    now = now or timezone.now()
    digest = phone_digest(phone)
    ip_hmac = ip_digest(ip)
    with transaction.atomic():
        _refuse_over_limits(digest, ip_hmac, now)
        PhoneCode.objects.filter(created_at__lt=now - KEEP_CODES).filter(
            Q(phone_hmac=digest) | Q(ip_hmac=ip_hmac) if ip_hmac else Q(phone_hmac=digest)
        ).delete()
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = PhoneCode.objects.create(
            site=site,
            phone_hmac=digest,
            ip_hmac=ip_hmac,
            code_hash=_code_hash(digest, code),
            expires_at=now + CODE_TTL,
        )
        # auto_now_add took the real clock; the limits above must see `now`.
        PhoneCode.objects.filter(pk=row.pk).update(created_at=now)
    # Outside the transaction: the code row stands (and counts) whatever the gateway says.
    record = sms.send(
        company_id=site.company_id,
        site_id=site.pk,
        phone=phone,
        purpose=SmsMessage.Purpose.OTP,
        params={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
    )
    if record.status != SmsMessage.Status.SENT:
        raise ValidationError(
            {
                "phone": _(
                    "验证码短信暂时未能发出，请稍后再试；如多次收不到，请联系物业或社区工作人员。"
                )
            }
        )
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
