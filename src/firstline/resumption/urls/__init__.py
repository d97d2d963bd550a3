"""resumption pages (under /resumption/): the building manager's (urls/building.py)
and the tenant admin's (urls/tenant.py)."""

from firstline.resumption.urls import building, tenant

app_name = "resumption"

urlpatterns = [*building.urlpatterns, *tenant.urlpatterns]
