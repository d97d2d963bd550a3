"""Sign-in for devices and integrations (mounted at /api/v1/auth/).

POST /token trades a username and password (and the current TOTP code, for an
account with two-factor sign-in) for a personal API token, sent afterwards as
`Authorization: Bearer <token>`. Every refusal looks the same, whether the user
is unknown, the password or code is wrong or the account is locked, and counts
as a failed sign-in (lockout applies: it goes through authenticate()).
"""

from django.conf import settings
from django.contrib.auth import authenticate
from ninja import Field, Router, Schema, Status

from firstline.orgs.middleware import _needs_2fa
from firstline.orgs.services import api_token_create, totp_verify, user_login_failed

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
