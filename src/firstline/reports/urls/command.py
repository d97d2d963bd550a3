"""The command centre (included into the "reports" namespace under /reports/): the
page, its polled feed fragment, and the two actions on one alert (POST, with the
alert's source in the form)."""

from django.urls import path

from firstline.reports.views import command as views

urlpatterns = [
    path("command/", views.CommandCentre.as_view(), name="command"),
    path("command/feed/", views.CommandFeed.as_view(), name="command_feed"),
    path("command/<int:pk>/ack/", views.CommandAck.as_view(), name="command_ack"),
    path("command/<int:pk>/assign/", views.CommandAssign.as_view(), name="command_assign"),
]
