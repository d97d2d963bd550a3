"""Search of the public site (services/search.py)."""

from django.urls import path

from firstline.publishing.views import search

urlpatterns = [path("search/", search.search, name="search")]
