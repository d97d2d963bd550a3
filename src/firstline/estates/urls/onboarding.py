"""Bulk onboarding by Excel (included into the "estates" namespace)."""

from django.urls import path

from firstline.estates.views import onboarding

urlpatterns = [
    path("import/", onboarding.OnboardingHub.as_view(), name="onboarding"),
    path("import/<slug:slug>/", onboarding.OnboardingImport.as_view(), name="onboarding_import"),
    path(
        "import/<slug:slug>/template/",
        onboarding.OnboardingTemplate.as_view(),
        name="onboarding_template",
    ),
]
