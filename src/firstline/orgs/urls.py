"""Account pages, included at "" by firstline/urls.py."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from firstline.orgs import views

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChange.as_view(), name="password_change"),
    path("accounts/2fa/verify/", views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("accounts/2fa/setup/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("accounts/tokens/", views.ApiTokenList.as_view(), name="api_tokens"),
    path(
        "accounts/tokens/<int:pk>/revoke/", views.ApiTokenRevoke.as_view(), name="api_token_revoke"
    ),
]
