"""Deployments and shifts, the sites' check-in QR codes, certificates."""

from django.urls import path

from firstline.volunteers.views import duty as views

urlpatterns = [
    path("deployments/", views.DeploymentList.as_view(), name="deployment_list"),
    path("deployments/new/", views.DeploymentCreate.as_view(), name="deployment_create"),
    path("deployments/send/", views.VolunteerSend.as_view(), name="volunteer_send"),
    path("deployments/<int:pk>/", views.DeploymentDetail.as_view(), name="deployment_detail"),
    path("deployments/<int:pk>/shifts/", views.ShiftsCreate.as_view(), name="shifts_create"),
    path("checkin-qr/", views.CheckinQRSheet.as_view(), name="checkin_qr"),
    path("certificates/<str:code>.pdf", views.certificate_download, name="certificate_pdf"),
    path("verify/", views.verify, name="verify"),
]
