"""Sanitation pages: the guide library and plans (urls_plans), the cleaner's phone
page and area QR codes (urls_cleaner), compliance, overdue alerts and export
(urls_compliance)."""

from firstline.sanitation.urls import cleaner, compliance, plans

app_name = "sanitation"

urlpatterns = [*plans.urlpatterns, *cleaner.urlpatterns, *compliance.urlpatterns]
