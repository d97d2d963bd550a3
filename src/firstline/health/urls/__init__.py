"""Health pages: screening (risk lists, declarations, the resident's own declaration
by one-time code, the worklist) and care (isolation, support, vulnerable residents,
alerts, the authority's flagged cases)."""

from firstline.health.urls import care, screening

app_name = "health"

urlpatterns = [*screening.urlpatterns, *care.urlpatterns]
