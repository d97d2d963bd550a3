"""The cleaner's phone pages (namespace "sanitation", under /sanitation/)."""

from django.urls import path

from firstline.sanitation import views_cleaner

urlpatterns = [
    path("today/", views_cleaner.TodayPage.as_view(), name="today"),
    path("a/<str:qr_token>/", views_cleaner.AreaPage.as_view(), name="area_tasks"),
    path("t/<int:pk>/done/", views_cleaner.TaskComplete.as_view(), name="task_complete"),
]
