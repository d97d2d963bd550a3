"""The guard's phone page (included in namespace "access" under /access/)."""

from django.urls import path

from firstline.access.views import gate

urlpatterns = [
    path("gate/", gate.GatePage.as_view(), name="gate"),
    path("gate/<int:site_id>/", gate.GatePage.as_view(), name="gate"),
]
