"""Online consultation sessions."""

from django.urls import path

from firstline.consultations.views import sessions as views

urlpatterns = [
    path("sessions/", views.SessionList.as_view(), name="session_list"),
    path("sessions/new/", views.SessionCreate.as_view(), name="session_create"),
    path("sessions/<int:pk>/", views.SessionDetail.as_view(), name="session_detail"),
    path("sessions/<int:pk>/register/", views.SessionRegister.as_view(), name="session_register"),
    path("sessions/<int:pk>/attendance/", views.attendance, name="session_attendance"),
]
