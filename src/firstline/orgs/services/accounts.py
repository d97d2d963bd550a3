"""Writes of the orgs app that concern signing in: passwords, two-factor (TOTP)
sign-in and personal API tokens. Each runs in one transaction with its audit row;
no audit row ever holds a password, a TOTP secret or a raw token."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.api import token_hash
from firstline.core.models import AuditEvent
from firstline.core.personal.crypto import keyring
from firstline.orgs.models import ApiToken, AuditAction, User

TOTP_ISSUER = "Firstline"
TOTP_CONTEXT = b"totp"
# Every raw token starts so: secret scanners and people can tell what a leaked string is.
RAW_LEAD = "fl_"


def _audit(
    *,
    user: User,
    action: AuditAction,
    changes: dict,
    object_type: str = "user",
    object_id: str | None = None,
) -> None:
    AuditEvent.objects.create(
        company=None,
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id if object_id is not None else str(user.pk),
        changes=changes,
    )


# --- password ------------------------------------------------------------------


def user_change_password(*, user: User, new_password: str) -> None:
    """Set a new password (hashed with the first of PASSWORD_HASHERS, argon2)."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _audit(user=user, action=AuditAction.USER_PASSWORD_CHANGE, changes={"password": "changed"})


def user_login_failed(*, user: User) -> datetime | None:
    """Count a wrong second factor like a wrong password; return the lock's end if
    this failure locked the account (FIRSTLINE_LOCKOUT_ATTEMPTS in a row)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins < settings.FIRSTLINE_LOCKOUT_ATTEMPTS:
            return None
        until = timezone.now() + timedelta(minutes=settings.FIRSTLINE_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
        user.locked_until, user.failed_logins = until, 0
        _audit(
            user=user,
            action=AuditAction.USER_LOCK,
            changes={"reason": "totp", "locked_until": until.isoformat()},
        )
        return until


# --- two-factor sign-in ----------------------------------------------------------


def _totp(user: User) -> pyotp.TOTP:
    return pyotp.TOTP(keyring().decrypt(user.totp_secret_enc, TOTP_CONTEXT))


def _matching_step(user: User, code: str) -> int | None:
    """The time step whose code this is, among the previous, current and next one
    (pyotp's valid_window=1, one step at a time so the step is known)."""
    code = "".join(code.split())
    if not user.totp_secret_enc or len(code) != 6 or not code.isdigit():
        return None
    totp = _totp(user)
    now = timezone.now()
    for offset in (0, -1, 1):
        at = now + timedelta(seconds=offset * totp.interval)
        if totp.verify(code, for_time=at, valid_window=0):
            return totp.timecode(at)
    return None


def _use_step(user: User, step: int) -> bool:
    """Mark the step used; False if it (or a later one) already was. One conditional
    UPDATE, so two requests racing with the same code cannot both pass."""
    used = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
        totp_last_step=step, failed_logins=0
    )
    if used:
        user.totp_last_step, user.failed_logins = step, 0
    return bool(used)


def totp_provisioning_uri(*, user: User) -> str:
    """The otpauth:// URI of the user's stored secret (pending or confirmed)."""
    return _totp(user).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def totp_begin_setup(*, user: User) -> str:
    """Store a new secret, encrypted and not yet confirmed; return its otpauth:// URI."""
    if user.totp_confirmed:
        raise ValidationError(_("已启用双重验证；如需更换，请先停用。"), code="already_enabled")
    with transaction.atomic():
        user.totp_secret_enc = keyring().encrypt(pyotp.random_base32(), TOTP_CONTEXT)
        user.totp_confirmed = False
        user.totp_last_step = 0
        user.save(update_fields=["totp_secret_enc", "totp_confirmed", "totp_last_step"])
        _audit(
            user=user, action=AuditAction.USER_TOTP_SETUP_BEGIN, changes={"totp_confirmed": False}
        )
    return totp_provisioning_uri(user=user)


def totp_confirm(*, user: User, code: str) -> bool:
    """Turn two-factor sign-in on once the user proves their app has the pending secret."""
    if user.totp_confirmed:
        return False
    step = _matching_step(user, code)
    if step is None:
        return False
    with transaction.atomic():
        if not _use_step(user, step):
            return False
        User.objects.filter(pk=user.pk).update(totp_confirmed=True)
        user.totp_confirmed = True
        _audit(user=user, action=AuditAction.USER_TOTP_ENABLE, changes={"totp_confirmed": True})
    return True


def totp_verify(*, user: User, code: str) -> bool:
    """Check a sign-in code of a user with TOTP on. A code is good once: its time
    step is recorded and that step or an earlier one is refused afterwards."""
    if not user.totp_confirmed:
        return False
    step = _matching_step(user, code)
    if step is None:
        return False
    with transaction.atomic():
        return _use_step(user, step)


def totp_disable(*, user: User) -> None:
    """Turn two-factor sign-in off and forget the secret."""
    with transaction.atomic():
        user.totp_secret_enc = None
        user.totp_confirmed = False
        user.totp_last_step = 0
        user.save(update_fields=["totp_secret_enc", "totp_confirmed", "totp_last_step"])
        _audit(user=user, action=AuditAction.USER_TOTP_DISABLE, changes={"totp_confirmed": False})


# --- API tokens ----------------------------------------------------------------------


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token. The raw value is returned once and never stored:
    the row keeps its SHA-256 and the first 8 characters for recognition."""
    raw = RAW_LEAD + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:8], key_hash=token_hash(raw)
        )
        _audit(
            user=user,
            action=AuditAction.API_TOKEN_CREATE,
            object_type="api_token",
            object_id=str(token.pk),
            changes={"name": name, "prefix": token.prefix, "user": user.pk},
        )
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> bool:
    """Revoke a token; False if it already was."""
    now = timezone.now()
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if not revoked:
            return False
        token.revoked_at = now
        _audit(
            user=actor,
            action=AuditAction.API_TOKEN_REVOKE,
            object_type="api_token",
            object_id=str(token.pk),
            changes={"name": token.name, "prefix": token.prefix, "user": token.user_id},
        )
    return True
