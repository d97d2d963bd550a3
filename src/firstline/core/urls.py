"""Core pages, included at "" by firstline/urls.py without a namespace."""

from django.urls import path

from firstline.core import progress, views

urlpatterns = [
    path("tasks/<uuid:pk>/progress/", progress.task_progress, name="task_progress"),
    path("access-log/", views.AccessLogList.as_view(), name="access_log"),
    path("system/jobs/", views.JobList.as_view(), name="scheduled_jobs"),
]
