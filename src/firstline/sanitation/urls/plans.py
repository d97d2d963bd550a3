"""Guide library and plan pages (included into the "sanitation" namespace under
/sanitation/): guides and their versions, the company's overrides, areas and their
QR sheet, a site's plan, one plan entry."""

from django.urls import path

from firstline.sanitation.views import plans as views

urlpatterns = [
    path("guides/", views.GuideList.as_view(), name="guide_list"),
    path("guides/<int:pk>/", views.GuideDetail.as_view(), name="guide_detail"),
    path("guides/<int:pk>/revise/", views.GuideRevise.as_view(), name="guide_revise"),
    path("overrides/", views.OverrideList.as_view(), name="override_list"),
    path("overrides/new/", views.OverrideFormView.as_view(), name="override_create"),
    path("overrides/<int:pk>/edit/", views.OverrideFormView.as_view(), name="override_edit"),
    path("areas/", views.AreaList.as_view(), name="area_list"),
    path("areas/new/", views.AreaFormView.as_view(), name="area_create"),
    path("areas/qr/", views.AreaQRSheet.as_view(), name="area_qr"),
    path("areas/<int:pk>/", views.AreaDetail.as_view(), name="area_detail"),
    path("areas/<int:pk>/edit/", views.AreaFormView.as_view(), name="area_edit"),
    path("sites/<int:pk>/plan/", views.SitePlan.as_view(), name="plan_site"),
    path("sites/<int:pk>/plan/apply/", views.PlanApply.as_view(), name="plan_apply"),
    path("entries/<int:pk>/edit/", views.PlanEntryEdit.as_view(), name="plan_entry_edit"),
]
