"""The sender's pages: list, export, draft, notice, publish, withdraw, files."""

from django.urls import path

from firstline.notices.views import sender as views

urlpatterns = [
    path("", views.NoticeList.as_view(), name="notice_list"),
    path("export/", views.NoticeExport.as_view(), name="notice_export"),
    path("new/", views.NoticeCreate.as_view(), name="notice_create"),
    path("<int:pk>/", views.NoticeDetail.as_view(), name="notice_detail"),
    path("<int:pk>/edit/", views.NoticeEdit.as_view(), name="notice_edit"),
    path("<int:pk>/publish/", views.NoticePublish.as_view(), name="notice_publish"),
    path("<int:pk>/withdraw/", views.NoticeWithdraw.as_view(), name="notice_withdraw"),
    path("files/<int:pk>/", views.AttachmentDownload.as_view(), name="attachment"),
]
