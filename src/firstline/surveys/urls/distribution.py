"""Distribution: site links and QR codes, settings, completion per company and
reminders, delegation (views/distribution.py; the delegate's answering page is in
views/answer.py)."""

from django.urls import path

from firstline.surveys.views import answer
from firstline.surveys.views import distribution as views

urlpatterns = [
    path("owners/", views.OwnerSurveys.as_view(), name="owner_surveys"),
    path("delegated/", views.DelegatedList.as_view(), name="delegated_list"),
    path("<int:pk>/sites/", views.SiteLinks.as_view(), name="survey_sites"),
    path("<int:pk>/sites/print/", views.SiteLinksPrint.as_view(), name="survey_sites_print"),
    path(
        "<int:pk>/sites/<int:site>/qr.<str:fmt>",
        views.SiteQR.as_view(),
        name="survey_site_qr",
    ),
    path(
        "<int:pk>/distribution/", views.DistributionSettings.as_view(), name="survey_distribution"
    ),
    path("<int:pk>/companies/", views.CompanyProgress.as_view(), name="survey_companies"),
    path("<int:pk>/companies/remind/", views.CompanyRemind.as_view(), name="survey_remind"),
    path("<int:pk>/delegate/", views.Delegate.as_view(), name="delegate"),
    path("<int:pk>/delegated/", answer.DelegatedAnswer.as_view(), name="delegated_answer"),
]
