"""Sanitation pages: the guide library and plans (urls_plans), the cleaner's phone
page and area QR codes (urls_cleaner), compliance, overdue alerts and export
(urls_compliance)."""

from firstline.sanitation import urls_cleaner, urls_compliance, urls_plans

app_name = "sanitation"

urlpatterns = [*urls_plans.urlpatterns, *urls_cleaner.urlpatterns, *urls_compliance.urlpatterns]
