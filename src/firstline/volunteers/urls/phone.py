"""The phone pages of a person on duty."""

from django.urls import path

from firstline.volunteers.views import phone as views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/certificate/", views.my_certificate, name="my_certificate"),
    path("me/shifts/", views.my_shifts, name="my_shifts"),
    path("me/team/", views.MyTeam.as_view(), name="my_team"),
    path("me/tasks/<int:pk>/", views.my_task, name="my_task"),
    path("c/<str:token>/", views.checkin, name="checkin"),
]
