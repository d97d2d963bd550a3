from django.urls import path

from firstline.resumption.views import building, figures

urlpatterns = [
    path("tenants/", building.TenantList.as_view(), name="tenant_list"),
    path("tenants/new/", building.TenantCreate.as_view(), name="tenant_create"),
    path("tenants/<int:pk>/", building.TenantDetail.as_view(), name="tenant_detail"),
    path(
        "tenants/<int:pk>/admin/", building.TenantAdminCreate.as_view(), name="tenant_admin_create"
    ),
    path("applications/", building.ApplicationList.as_view(), name="application_list"),
    path("applications/<int:pk>/", building.ApplicationDetail.as_view(), name="application_detail"),
    path(
        "applications/<int:pk>/approve/",
        building.ApplicationApprove.as_view(),
        name="application_approve",
    ),
    path(
        "applications/<int:pk>/refuse/",
        building.ApplicationRefuse.as_view(),
        name="application_refuse",
    ),
    path(
        "applications/<int:pk>/suspend/",
        building.ApplicationSuspend.as_view(),
        name="application_suspend",
    ),
    path("figures/building/", building.BuildingFigures.as_view(), name="building_figures"),
    path("figures/", figures.AssociationFigures.as_view(), name="association_figures"),
]
