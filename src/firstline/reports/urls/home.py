"""The landing page at "/": each role's dashboard (included at "" without a namespace)."""

from django.urls import path

from firstline.reports.views import dashboards

urlpatterns = [path("", dashboards.dashboard, name="dashboard")]
