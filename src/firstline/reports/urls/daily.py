"""Daily report pages (included into the "reports" namespace under /reports/)."""

from django.urls import path

from firstline.reports.views import daily as views

urlpatterns = [
    path("daily/", views.DailyList.as_view(), name="daily_list"),
    path("daily/today/", views.DailyToday.as_view(), name="daily_today"),
    path("daily/<int:pk>/", views.DailyDetail.as_view(), name="daily_detail"),
    path("daily/<int:pk>/print/", views.DailyPrint.as_view(), name="daily_print"),
    path("daily/<int:pk>/submit/", views.DailySubmit.as_view(), name="daily_submit"),
]
