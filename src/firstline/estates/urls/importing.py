"""Excel import and export of residents (included into the "estates" namespace)."""

from django.urls import path

from firstline.estates.views import importing

urlpatterns = [
    path("residents/import/", importing.ResidentImport.as_view(), name="resident_import"),
    path(
        "residents/import/template/",
        importing.ResidentImportTemplate.as_view(),
        name="resident_import_template",
    ),
    path("residents/export/", importing.ResidentExport.as_view(), name="resident_export"),
]
