"""The association's pages, and the company admin's list of surveys to answer."""

from django.urls import path

from firstline.surveys.views import authoring
from firstline.surveys.views import manage as views

urlpatterns = [
    path("", views.SurveyList.as_view(), name="survey_list"),
    path("mine/", views.MySurveys.as_view(), name="my_surveys"),
    path("new/", views.SurveyCreate.as_view(), name="survey_create"),
    path("<int:pk>/", views.SurveyDetail.as_view(), name="survey_detail"),
    path("<int:pk>/open/", views.SurveyOpen.as_view(), name="survey_open"),
    path("<int:pk>/close/", views.SurveyClose.as_view(), name="survey_close"),
    path("<int:pk>/version/", views.SurveyVersion.as_view(), name="survey_version"),
    path("<int:pk>/xlsform/", views.SurveyForm.as_view(), name="survey_form"),
    path("<int:pk>/results/", views.SurveyResults.as_view(), name="survey_results"),
    path("<int:pk>/export/", views.SurveyExport.as_view(), name="survey_export"),
    # A draft's questions written on the page.
    path("<int:pk>/questions/new/", authoring.QuestionAdd.as_view(), name="question_add"),
    path(
        "<int:pk>/questions/<int:qid>/",
        authoring.QuestionChange.as_view(),
        name="question_change",
    ),
    path(
        "<int:pk>/questions/<int:qid>/<str:action>/",
        authoring.QuestionAction.as_view(),
        name="question_action",
    ),
]
