"""Account pages: sign in and out, password, two-factor sign-in, API tokens.

The whole /accounts/ prefix is exempt from TwoFactorMiddleware (it must be, for
the verify and set-up pages to be reachable), so every page here that acts on the
account checks the second factor itself (SecondFactorMixin): a session that has
only the password cannot change it, create tokens or replace the TOTP secret.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pyotp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout, update_session_auth_hash
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeView,
    RedirectURLMixin,
    redirect_to_login,
)
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, ListView

from firstline.core.views import ForgivingPaginationMixin
from firstline.orgs.forms import (
    ApiTokenCreateForm,
    LoginForm,
    StyledPasswordChangeForm,
    TotpCodeForm,
    lock_message,
)
from firstline.orgs.middleware import SESSION_VERIFIED, _needs_2fa
from firstline.orgs.models import ApiToken
from firstline.orgs.services.accounts import (
    api_token_create,
    api_token_revoke,
    totp_begin_setup,
    totp_confirm,
    totp_disable,
    totp_provisioning_uri,
    totp_verify,
    user_change_password,
    user_login_failed,
)


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


def _two_factor_required(user) -> bool:
    return bool(settings.FIRSTLINE_REQUIRE_2FA) and _needs_2fa(user)


class SecondFactorMixin:
    """Signed in, with the second factor entered if the account has one, and set up
    if the policy requires one (except on the set-up page itself)."""

    setup_page = False

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.totp_confirmed and not request.session.get(SESSION_VERIFIED):
            return redirect(_with_next("two_factor_verify", request.get_full_path()))
        if not self.setup_page and not user.totp_confirmed and _two_factor_required(user):
            return redirect("two_factor_setup")
        return super().dispatch(request, *args, **kwargs)


class SignInView(LoginView):
    """Password sign-in. A user with TOTP goes on to the verify page, keeping `next`."""

    form_class = LoginForm
    template_name = "orgs/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            lockout_attempts=settings.FIRSTLINE_LOCKOUT_ATTEMPTS,
            lockout_minutes=settings.FIRSTLINE_LOCKOUT_MINUTES,
            **kwargs,
        )

    def form_valid(self, form):
        # The same user signing in again keeps the session (auth.login), so the
        # verified mark from an earlier sign-in must not survive into this one.
        self.request.session.pop(SESSION_VERIFIED, None)
        user = form.get_user()
        login(self.request, user)
        if user.totp_confirmed:
            return redirect(_with_next("two_factor_verify", self.get_redirect_url()))
        return HttpResponseRedirect(self.get_success_url())


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class TwoFactorVerifyView(RedirectURLMixin, FormView):
    """The second step of signing in: a code from the authenticator app."""

    form_class = TotpCodeForm
    template_name = "orgs/two_factor_verify.html"

    def get_default_redirect_url(self):
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.totp_confirmed or request.session.get(SESSION_VERIFIED):
            return HttpResponseRedirect(self.get_success_url())
        if user.locked_until and user.locked_until > timezone.now():
            return self._locked_out(user.locked_until)
        return super().dispatch(request, *args, **kwargs)

    def _locked_out(self, locked_until):
        logout(self.request)
        messages.error(self.request, lock_message(locked_until))
        return redirect("login")

    def form_valid(self, form):
        user = self.request.user
        if totp_verify(user=user, code=form.cleaned_data["code"]):
            self.request.session.cycle_key()
            self.request.session[SESSION_VERIFIED] = True
            return HttpResponseRedirect(self.get_success_url())
        locked_until = user_login_failed(user=user)
        if locked_until is not None:
            return self._locked_out(locked_until)
        form.add_error("code", _("动态口令不正确或已使用过，请等待下一个口令。"))
        return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context[REDIRECT_FIELD_NAME] = self.get_redirect_url()
        return context


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class TwoFactorSetupView(SecondFactorMixin, RedirectURLMixin, FormView):
    """Turn two-factor sign-in on (QR code and secret, then a code to confirm), or off."""

    setup_page = True
    form_class = TotpCodeForm
    template_name = "orgs/two_factor_setup.html"

    def get_default_redirect_url(self):
        return reverse("two_factor_setup")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["required"] = _two_factor_required(user)
        context[REDIRECT_FIELD_NAME] = self.get_redirect_url()
        if not user.totp_confirmed:
            # Reloading the page keeps the pending secret, so a scanned code stays valid.
            uri = (
                totp_provisioning_uri(user=user)
                if user.totp_secret_enc
                else totp_begin_setup(user=user)
            )
            secret = pyotp.parse_uri(uri).secret
            context["qr_svg"] = segno.make(uri, micro=False).svg_inline(scale=4)
            context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        return context

    def form_valid(self, form):
        user = self.request.user
        code = form.cleaned_data["code"]
        if self.request.POST.get("action") == "disable":
            return self._disable(form, code)
        if user.totp_confirmed:
            return HttpResponseRedirect(reverse("two_factor_setup"))
        if not totp_confirm(user=user, code=code):
            form.add_error("code", _("动态口令不正确，请检查手机时间后重试。"))
            return self.form_invalid(form)
        self.request.session.cycle_key()
        self.request.session[SESSION_VERIFIED] = True
        messages.success(self.request, _("双重验证已启用。"))
        return HttpResponseRedirect(self.get_success_url())

    def _disable(self, form, code):
        user = self.request.user
        if not user.totp_confirmed:
            return HttpResponseRedirect(reverse("two_factor_setup"))
        if _two_factor_required(user):
            form.add_error(None, _("您的角色必须使用双重验证，不能停用。"))
            return self.form_invalid(form)
        if not totp_verify(user=user, code=code):
            form.add_error("code", _("动态口令不正确或已使用过，请等待下一个口令。"))
            return self.form_invalid(form)
        totp_disable(user=user)
        messages.success(self.request, _("双重验证已停用。"))
        return HttpResponseRedirect(reverse("two_factor_setup"))


class PasswordChange(SecondFactorMixin, PasswordChangeView):
    """Change one's own password; other sessions of the account are signed out."""

    form_class = StyledPasswordChangeForm
    template_name = "orgs/password_change.html"
    success_url = reverse_lazy("password_change")
    title = _("修改密码")

    def form_valid(self, form):
        user_change_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("密码已修改。"))
        return HttpResponseRedirect(self.get_success_url())


@method_decorator(never_cache, name="dispatch")
class ApiTokenList(ForgivingPaginationMixin, SecondFactorMixin, ListView):
    """One's own API tokens; a new one's raw value is shown once, on this response."""

    template_name = "orgs/api_tokens.html"
    context_object_name = "tokens"
    paginate_by = 25

    def get_queryset(self):
        # Active tokens first (NULL revoked_at sorts first on SQLite and last on
        # PostgreSQL, so say it), newest first within each group.
        return ApiToken.objects.filter(user=self.request.user).order_by(
            F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ApiTokenCreateForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = ApiTokenCreateForm(request.POST)
        raw = None
        if form.is_valid():
            _token, raw = api_token_create(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenCreateForm()
        self.object_list = self.get_queryset()
        context = self.get_context_data(form=form, raw_token=raw)
        return self.render_to_response(context)


class ApiTokenRevoke(SecondFactorMixin, View):
    """Revoke one of one's own tokens (someone else's is 404, like a missing one)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        if api_token_revoke(actor=request.user, token=token):
            messages.success(request, _("令牌“%(name)s”已撤销。") % {"name": token.name})
        return redirect("api_tokens")
