"""Reports pages: the daily report (urls_daily), roll-ups and exports (urls_rollup),
the command centre (urls_command)."""

from firstline.reports import urls_command, urls_daily, urls_rollup

app_name = "reports"

urlpatterns = [*urls_daily.urlpatterns, *urls_rollup.urlpatterns, *urls_command.urlpatterns]
