"""Signed-in pages of the publishing app, at /publishing/ (namespace "publishing_members"):
a company's editions of the guides, the association's reading figures."""

from firstline.publishing.urls import guides, reading

app_name = "publishing_members"

urlpatterns = [*guides.member_urlpatterns, *reading.member_urlpatterns]
