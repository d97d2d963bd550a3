"""Screening pages (included into the "health" namespace under /health/)."""

from django.urls import path

from firstline.health.views import declare
from firstline.health.views import screening as views

urlpatterns = [
    # The resident's own declaration: public, by the site's signed link and a one-time code.
    path("declare/mine/", declare.DeclareMine.as_view(), name="declare_mine"),
    path("declare/mine/<int:pk>/", declare.DeclareMineForm.as_view(), name="declare_mine_form"),
    path(
        "declare/mine/result/<int:pk>/",
        declare.DeclareMineResult.as_view(),
        name="declare_mine_result",
    ),
    path("declare/qr/", views.DeclareQR.as_view(), name="declare_qr"),
    path("declare/<str:token>/", declare.declare_start, name="declare_start"),
    path("declare/<str:token>/code/", declare.declare_verify, name="declare_verify"),
    path("declare/<str:token>/who/", declare.declare_who, name="declare_who"),
    path("declare/<str:token>/consent/", declare.declare_consent, name="declare_consent"),
    path("declare/<str:token>/form/", declare.declare_form, name="declare_form"),
    path("declare/<str:token>/result/", declare.declare_result, name="declare_result"),
    path("declare/<str:token>/signout/", declare.declare_signout, name="declare_signout"),
    # Staff: declarations.
    path("declarations/", views.DeclarationList.as_view(), name="declaration_list"),
    path("declarations/new/", views.DeclarationCreate.as_view(), name="declaration_create"),
    path("declarations/import/", views.DeclarationImport.as_view(), name="declaration_import"),
    path(
        "declarations/import/template/",
        views.DeclarationImportTemplate.as_view(),
        name="declaration_import_template",
    ),
    path("declarations/<int:pk>/", views.DeclarationDetail.as_view(), name="declaration_detail"),
    # Risk lists: shared reference data.
    path("risk-lists/", views.RiskListList.as_view(), name="risklist_list"),
    path("risk-lists/upload/", views.RiskListUpload.as_view(), name="risklist_upload"),
    path("risk-lists/<int:pk>/", views.RiskListDetail.as_view(), name="risklist_detail"),
    # The screening worklist.
    path("worklist/", views.WorkItemList.as_view(), name="workitem_list"),
    path("worklist/<int:pk>/", views.WorkItemDetail.as_view(), name="workitem_detail"),
    path("worklist/<int:pk>/call/", views.WorkItemCall.as_view(), name="workitem_call"),
    path("worklist/<int:pk>/refer/", views.WorkItemRefer.as_view(), name="workitem_refer"),
    path("worklist/<int:pk>/close/", views.WorkItemClose.as_view(), name="workitem_close"),
]
