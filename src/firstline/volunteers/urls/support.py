"""Support tasks and the receiving party's handover page."""

from django.urls import path

from firstline.volunteers.views import support as views

urlpatterns = [
    path("tasks/", views.TaskList.as_view(), name="task_list"),
    path("tasks/new/", views.TaskCreate.as_view(), name="task_create"),
    path("tasks/<int:pk>/", views.TaskDetail.as_view(), name="task_detail"),
    path("h/", views.handover_code, name="handover_code"),
    path("h/<str:token>/", views.handover, name="handover"),
]
