"""Reading figures: the association's page of views and downloads (signed in)."""

from django.urls import path

from firstline.publishing.views import reading

public_urlpatterns: list = []
member_urlpatterns: list = [
    path("reading/", reading.ReadingView.as_view(), name="reading"),
]
