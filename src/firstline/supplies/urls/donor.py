"""A donor's own pages (included into the "supplies" namespace under /supplies/)."""

from django.urls import path

from firstline.supplies.views import donor as views

urlpatterns = [
    path("donor/", views.home, name="donor_home"),
    path("donor/batches/<int:pk>/", views.batch_detail, name="donor_batch"),
]
