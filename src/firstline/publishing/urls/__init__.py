"""The public site's own views, mounted at /site/ before Wagtail's page serving
(which takes every other path under /site/): search, posters and print views.
The signed-in pages (editions, reading figures) are in urls/members.py under
/publishing/."""

from firstline.publishing.urls import guides, reading, search

app_name = "publishing"

urlpatterns = [*search.urlpatterns, *guides.public_urlpatterns, *reading.public_urlpatterns]
