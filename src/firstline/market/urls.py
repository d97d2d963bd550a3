"""market pages (under /market/)."""

app_name = "market"

urlpatterns: list = []
