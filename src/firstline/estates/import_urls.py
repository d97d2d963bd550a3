"""Excel import and export of residents (included into the "estates" namespace)."""

from django.urls import path

from firstline.estates import import_views

urlpatterns = [
    path("residents/import/", import_views.ResidentImport.as_view(), name="resident_import"),
    path(
        "residents/import/template/",
        import_views.ResidentImportTemplate.as_view(),
        name="resident_import_template",
    ),
    path("residents/export/", import_views.ResidentExport.as_view(), name="resident_export"),
]
