"""jobfair pages (under /jobfair/)."""

app_name = "jobfair"

urlpatterns: list = []
