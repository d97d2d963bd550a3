"""produce pages (under /produce/)."""

app_name = "produce"

urlpatterns: list = []
