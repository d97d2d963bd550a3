"""A resident signed in by the declaration's one-time code: the site's signed link."""

from django.urls import path

from firstline.notices.views import declare as views

urlpatterns = [
    path("d/<str:token>/", views.declare_inbox, name="declare_list"),
    path("d/<str:token>/<int:pk>/", views.declare_detail, name="declare_detail"),
    path("d/<str:token>/files/<int:pk>/", views.declare_attachment, name="declare_attachment"),
]
