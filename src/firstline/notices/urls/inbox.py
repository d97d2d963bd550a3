"""The recipients' phone pages: my notices, one notice, its files."""

from django.urls import path

from firstline.notices.views import inbox as views

urlpatterns = [
    path("mine/", views.MyNotices.as_view(), name="mine"),
    path("mine/<int:pk>/", views.MyNoticeDetail.as_view(), name="mine_detail"),
    path("mine/files/<int:pk>/", views.MyAttachment.as_view(), name="mine_attachment"),
]
