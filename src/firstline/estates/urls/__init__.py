from django.urls import path

from firstline.estates.urls import importing, onboarding
from firstline.estates.views import records

app_name = "estates"


def crud(prefix: str, name: str, list_view, detail_view, create_view, update_view):
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/new/", create_view.as_view(), name=f"{name}_create"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", update_view.as_view(), name=f"{name}_edit"),
    ]


urlpatterns = [
    *crud(
        "sites",
        "site",
        records.SiteList,
        records.SiteDetail,
        records.SiteCreate,
        records.SiteUpdate,
    ),
    *crud(
        "buildings",
        "building",
        records.BuildingList,
        records.BuildingDetail,
        records.BuildingCreate,
        records.BuildingUpdate,
    ),
    *crud(
        "households",
        "household",
        records.HouseholdList,
        records.HouseholdDetail,
        records.HouseholdCreate,
        records.HouseholdUpdate,
    ),
    *crud(
        "residents",
        "resident",
        records.ResidentList,
        records.ResidentDetail,
        records.ResidentCreate,
        records.ResidentUpdate,
    ),
    *crud(
        "staff",
        "staff",
        records.StaffList,
        records.StaffDetail,
        records.StaffCreate,
        records.StaffUpdate,
    ),
    path("residents/<int:pk>/reveal/", records.resident_reveal, name="resident_reveal"),
    *importing.urlpatterns,
    *onboarding.urlpatterns,
]
