"""Daily checks, kit, incidents, infections, figures and alerts."""

from django.urls import path

from firstline.volunteers.views import safety as views

urlpatterns = [
    path("checks/", views.CheckList.as_view(), name="check_list"),
    path("checks/new/", views.CheckCreate.as_view(), name="check_create"),
    path("kit/", views.KitList.as_view(), name="kit_list"),
    path("kit/new/", views.KitCreate.as_view(), name="kit_create"),
    path("incidents/", views.IncidentList.as_view(), name="incident_list"),
    path("incidents/new/", views.IncidentCreate.as_view(), name="incident_create"),
    path("incidents/<int:pk>/", views.IncidentDetail.as_view(), name="incident_detail"),
    path(
        "incidents/<int:pk>/follow-up/",
        views.IncidentFollowUp.as_view(),
        name="incident_follow_up",
    ),
    path("infections/new/", views.InfectionReportCreate.as_view(), name="infection_report"),
    path("figures/", views.FiguresPage.as_view(), name="figures"),
    path("alerts/", views.AlertList.as_view(), name="alert_list"),
]
