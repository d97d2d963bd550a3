"""Needs and allocation pages (in the "supplies" namespace under /supplies/):
companies' and sites' requests, the coordinator's open needs and allocation plans."""

from django.urls import path

from firstline.supplies.views import allocation as views

urlpatterns = [
    path("needs/", views.NeedList.as_view(), name="needs_list"),
    path("needs/new/", views.NeedRequest.as_view(), name="needs_request"),
    path("needs/facts/", views.NeedFacts.as_view(), name="needs_facts"),
    path("needs/<int:pk>/", views.NeedDetail.as_view(), name="needs_detail"),
    path("needs/<int:pk>/cancel/", views.NeedCancel.as_view(), name="needs_cancel"),
    path("needs/open/", views.OpenNeeds.as_view(), name="needs_open"),
    path("allocation/", views.PlanList.as_view(), name="allocation_list"),
    path("allocation/new/", views.PlanPropose.as_view(), name="allocation_propose"),
    path("allocation/<int:pk>/", views.PlanDetail.as_view(), name="allocation_detail"),
    path(
        "allocation/<int:pk>/lines/<int:line_id>/",
        views.PlanLineSet.as_view(),
        name="allocation_line",
    ),
    path("allocation/<int:pk>/approve/", views.PlanApprove.as_view(), name="allocation_approve"),
    path("allocation/<int:pk>/discard/", views.PlanDiscard.as_view(), name="allocation_discard"),
]
