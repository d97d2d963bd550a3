"""The request's scope (`ScopeMiddleware`: what the signed-in user's role assignments
let them see, built once per request when first asked), and two-factor sign-in: after the password, a user with TOTP enabled must enter a
code before the session counts as signed in; when FIRSTLINE_REQUIRE_2FA is on,
association and company admins without TOTP are sent to set it up."""

from django.conf import settings
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from firstline.core.roles import TWO_FACTOR_ROLES
from firstline.core.scope import Scope
from firstline.orgs.selectors import scope_for_user

SESSION_VERIFIED = "firstline_2fa_verified"
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES):
            pending = second_factor_pending(request)
            if pending:
                return redirect(pending)
        return self.get_response(request)


def second_factor_pending(request) -> str | None:
    """What a signed-in session still lacks: the url name of the verify or setup
    page, or None. The API's session auth refuses the same sessions."""
    user = request.user
    if not user.is_authenticated:
        return None
    if user.totp_confirmed and not request.session.get(SESSION_VERIFIED):
        return "two_factor_verify"
    if settings.FIRSTLINE_REQUIRE_2FA and not user.totp_confirmed and _needs_2fa(user):
        return "two_factor_setup"
    return None


def _needs_2fa(user) -> bool:
    return user.role_assignments.filter(role__in=list(TWO_FACTOR_ROLES)).exists()


class ScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = SimpleLazyObject(
            lambda: scope_for_user(request.user) if request.user.is_authenticated else Scope.empty()
        )
        return self.get_response(request)
