"""The public ledger, mounted at /ledger/ with no login (app_name "ledger")."""

from django.urls import path

from firstline.supplies.views import public as views

app_name = "ledger"

urlpatterns = [
    path("", views.home, name="home"),
    path("companies/", views.companies, name="companies"),
    path("sites/", views.sites, name="sites"),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:number>/", views.batch_detail, name="batch"),
    path("open-data.json", views.open_data_json, name="open_data_json"),
    path("open-data.csv", views.open_data_csv, name="open_data_csv"),
    path("verify_ledger.py", views.verify_script, name="verify_script"),
]
