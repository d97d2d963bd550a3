"""Sign-in for devices and integrations (mounted at /api/v1/auth/), and the API's
authentication (`AUTH`: a bearer token or the browser session, each putting the
caller's scope on the request).

POST /token trades a username and password (and the current TOTP code, for an
account with two-factor sign-in) for a personal API token, sent afterwards as
`Authorization: Bearer <token>`. Every refusal looks the same, whether the user
is unknown, the password or code is wrong or the account is locked, and counts
as a failed sign-in (lockout applies: it goes through authenticate()).
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Status
from ninja.security import HttpBearer, SessionAuth

from firstline.core.api import Schema, token_hash
from firstline.orgs.middleware import _needs_2fa, second_factor_pending
from firstline.orgs.models import ApiToken
from firstline.orgs.selectors import scope_for_user
from firstline.orgs.services.accounts import api_token_create, totp_verify, user_login_failed

router = Router(tags=["auth"])

INVALID = {"detail": "invalid credentials"}


class TokenIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    otp: str | None = Field(
        None,
        max_length=12,
        description="Current TOTP code; required when the account has two-factor sign-in on.",
    )
    name: str = Field(
        "API",
        min_length=1,
        max_length=64,
        description="What the token is for (device or integration).",
    )


class TokenOut(Schema):
    token: str


class DetailOut(Schema):
    detail: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: DetailOut, 403: DetailOut},
    summary="Obtain a personal API token",
    operation_id="auth_token_obtain",
)
def token_obtain(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        return Status(401, INVALID)
    if user.totp_confirmed:
        if not payload.otp:
            return Status(401, INVALID)
        if not totp_verify(user=user, code=payload.otp):
            user_login_failed(user=user)
            return Status(401, INVALID)
    elif settings.FIRSTLINE_REQUIRE_2FA and _needs_2fa(user):
        return Status(403, {"detail": "two-factor sign-in must be set up first"})
    _token, raw = api_token_create(user=user, name=payload.name)
    return Status(200, {"token": raw})


@router.get("/me", response=MeOut, summary="Who the caller is", operation_id="auth_me")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(request.scope.roles),
    }


# --- authentication of every API call -----------------------------------------------


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are stored as SHA-256 hashes."""

    def authenticate(self, request: HttpRequest, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        request.scope = scope_for_user(row.user)
        return row.user


class ScopedSessionAuth(SessionAuth):
    """The browser session (CSRF checked on writes), with the request's scope."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user is not None and second_factor_pending(request):
            # /api/ is exempt from TwoFactorMiddleware: a session that has only the
            # password (or an admin who must set up 2FA) must not reach the API either.
            return None
        if user is not None and not hasattr(request, "scope"):
            request.scope = scope_for_user(user)
        return user


AUTH = [BearerTokenAuth(), ScopedSessionAuth()]
