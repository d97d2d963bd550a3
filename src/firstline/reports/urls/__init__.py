"""Reports pages: the daily report (urls_daily), roll-ups and exports (urls_rollup),
the command centre (urls_command)."""

from firstline.reports.urls import command, daily, rollup

app_name = "reports"

urlpatterns = [*daily.urlpatterns, *rollup.urlpatterns, *command.urlpatterns]
