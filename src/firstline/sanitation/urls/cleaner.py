"""The cleaner's phone pages (namespace "sanitation", under /sanitation/)."""

from django.urls import path

from firstline.sanitation.views import cleaner

urlpatterns = [
    path("today/", cleaner.TodayPage.as_view(), name="today"),
    path("a/<str:qr_token>/", cleaner.AreaPage.as_view(), name="area_tasks"),
    path("t/<int:pk>/done/", cleaner.TaskComplete.as_view(), name="task_complete"),
]
