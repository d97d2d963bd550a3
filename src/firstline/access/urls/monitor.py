"""Monitoring pages of the gate (included into the "access" namespace under /access/)."""

from django.urls import path

from firstline.access.views import monitor as views

urlpatterns = [
    path("log/", views.LogList.as_view(), name="log"),
    path("log/denied/", views.DeniedList.as_view(), name="denied"),
    path("log/export/", views.LogExport.as_view(), name="log_export"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("alerts/", views.AlertList.as_view(), name="alert_list"),
    path("alerts/badge/", views.AlertBadge.as_view(), name="alert_badge"),
    path("alerts/<int:pk>/acknowledge/", views.AlertAck.as_view(), name="alert_ack"),
    path("follow-ups/", views.FollowUpList.as_view(), name="followup_list"),
    path("follow-ups/<int:pk>/outcome/", views.FollowUpDone.as_view(), name="followup_done"),
]
