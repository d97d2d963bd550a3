"""Questions: the list, asking (with suggestions), the thread and its actions, files."""

from django.urls import path

from firstline.consultations.views import threads as views

urlpatterns = [
    path("", views.ConsultationList.as_view(), name="list"),
    path("ask/", views.ConsultationAsk.as_view(), name="ask"),
    path("ask/suggest/", views.suggest, name="suggest"),
    path("<int:pk>/", views.ConsultationDetail.as_view(), name="detail"),
    path("<int:pk>/reply/", views.ConsultationReply.as_view(), name="reply"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/close/", views.ConsultationClose.as_view(), name="close"),
    path("<int:pk>/assign/", views.ConsultationAssign.as_view(), name="assign"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
]
