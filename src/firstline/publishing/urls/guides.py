"""Guides: print and poster views (public), companies' editions (signed in)."""

public_urlpatterns: list = []
member_urlpatterns: list = []
