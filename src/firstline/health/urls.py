"""Health pages: screening (risk lists, declarations, the resident's own declaration
by one-time code, the worklist) and care (isolation, support, vulnerable residents,
alerts, the authority's flagged cases)."""

from firstline.health import urls_care, urls_screening

app_name = "health"

urlpatterns = [*urls_screening.urlpatterns, *urls_care.urlpatterns]
