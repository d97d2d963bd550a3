"""The public site's own views (mounted at /site/ before Wagtail's page serving,
which takes every other path under /site/)."""

app_name = "publishing"

urlpatterns: list = []
