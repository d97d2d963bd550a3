from django.urls import path

from firstline.estates import import_urls, views

app_name = "estates"


def crud(prefix: str, name: str, list_view, detail_view, create_view, update_view):
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/new/", create_view.as_view(), name=f"{name}_create"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", update_view.as_view(), name=f"{name}_edit"),
    ]


urlpatterns = [
    *crud("sites", "site", views.SiteList, views.SiteDetail, views.SiteCreate, views.SiteUpdate),
    *crud(
        "buildings",
        "building",
        views.BuildingList,
        views.BuildingDetail,
        views.BuildingCreate,
        views.BuildingUpdate,
    ),
    *crud(
        "households",
        "household",
        views.HouseholdList,
        views.HouseholdDetail,
        views.HouseholdCreate,
        views.HouseholdUpdate,
    ),
    *crud(
        "residents",
        "resident",
        views.ResidentList,
        views.ResidentDetail,
        views.ResidentCreate,
        views.ResidentUpdate,
    ),
    *crud(
        "staff", "staff", views.StaffList, views.StaffDetail, views.StaffCreate, views.StaffUpdate
    ),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    *import_urls.urlpatterns,
]
