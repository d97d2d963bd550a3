"""jobs pages (under /jobs/)."""

app_name = "jobs"

urlpatterns: list = []
