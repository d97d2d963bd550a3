"""Compliance pages (included into the "sanitation" namespace under /sanitation/):
figures per site and per area, the export, overdue tasks and overdue alerts."""

from django.urls import path

from firstline.sanitation.views import compliance as views

urlpatterns = [
    path("compliance/", views.ComplianceList.as_view(), name="compliance"),
    path("compliance/site/<int:pk>/", views.ComplianceSite.as_view(), name="compliance_site"),
    path("compliance/export/", views.ComplianceExport.as_view(), name="compliance_export"),
    path("overdue/", views.OverdueList.as_view(), name="overdue"),
    path("alerts/", views.AlertList.as_view(), name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.AlertAck.as_view(), name="alert_ack"),
]
