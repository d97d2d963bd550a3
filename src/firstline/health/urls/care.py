"""Care pages (included into the "health" namespace under /health/): isolation cases
and points, support requests, vulnerable residents, alerts, the resident's own
check-in and support pages, and the authority's flagged cases."""

from django.urls import path

from firstline.health.views import authority
from firstline.health.views import care as views

urlpatterns = [
    path("isolation/", views.IsolationList.as_view(), name="isolation_list"),
    path("isolation/new/", views.IsolationCreate.as_view(), name="isolation_create"),
    path("isolation/<int:pk>/", views.IsolationDetail.as_view(), name="isolation_detail"),
    path("isolation/<int:pk>/extend/", views.IsolationExtend.as_view(), name="isolation_extend"),
    path("isolation/<int:pk>/check/", views.IsolationCheckRecord.as_view(), name="isolation_check"),
    path("isolation/<int:pk>/release/", views.IsolationRelease.as_view(), name="isolation_release"),
    path("isolation/facilities/", views.FacilityList.as_view(), name="facility_list"),
    path("isolation/facilities/new/", views.FacilityFormView.as_view(), name="facility_create"),
    path(
        "isolation/facilities/<int:pk>/edit/",
        views.FacilityFormView.as_view(),
        name="facility_edit",
    ),
    path("my/isolation/", views.MyIsolation.as_view(), name="isolation_my"),
    path(
        "my/isolation/<int:pk>/check/", views.MyIsolationCheck.as_view(), name="isolation_my_check"
    ),
    path("support/", views.SupportList.as_view(), name="support_list"),
    path("support/new/", views.SupportCreate.as_view(), name="support_create"),
    path("support/<int:pk>/", views.SupportDetail.as_view(), name="support_detail"),
    path("support/<int:pk>/assign/", views.SupportAssign.as_view(), name="support_assign"),
    path("support/<int:pk>/complete/", views.SupportComplete.as_view(), name="support_complete"),
    path("support/<int:pk>/cancel/", views.SupportCancel.as_view(), name="support_cancel"),
    path("support/<int:pk>/photo/", views.SupportPhoto.as_view(), name="support_photo"),
    path("my/support/", views.MySupport.as_view(), name="support_my"),
    path("vulnerable/", views.VulnerableList.as_view(), name="vulnerable_list"),
    path("vulnerable/<int:pk>/call/", views.VulnerableCall.as_view(), name="vulnerable_call"),
    path("alerts/", views.AlertList.as_view(), name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.AlertAck.as_view(), name="alert_ack"),
    path("flagged/", authority.FlaggedList.as_view(), name="flagged_list"),
]
