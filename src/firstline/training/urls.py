"""training pages (under /training/)."""

app_name = "training"

urlpatterns: list = []
