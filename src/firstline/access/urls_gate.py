"""The guard's phone page (included in namespace "access" under /access/)."""

from django.urls import path

from firstline.access import gate_views

urlpatterns = [
    path("gate/", gate_views.GatePage.as_view(), name="gate"),
    path("gate/<int:site_id>/", gate_views.GatePage.as_view(), name="gate"),
]
