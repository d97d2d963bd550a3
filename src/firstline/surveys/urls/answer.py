"""Answering: the company admin's page and the owners' public link (no sign-in)."""

from django.urls import path

from firstline.surveys.views import answer as views

urlpatterns = [
    path("<int:pk>/answer/", views.CompanyAnswer.as_view(), name="answer"),
    path("s/<str:token>/", views.public_answer, name="public"),
    path("s/<str:token>/done/", views.public_done, name="public_done"),
]
