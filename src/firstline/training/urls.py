"""training pages (under /training/)."""

from django.urls import path

from firstline.training.views import courses, learner, manage, public

app_name = "training"

urlpatterns = [
    path("", learner.MyCourses.as_view(), name="home"),
    path("courses/<int:course_id>/enrol/", learner.self_enrol, name="self_enrol"),
    path("enrolments/<int:pk>/", learner.EnrolmentDetail.as_view(), name="enrolment"),
    path(
        "enrolments/<int:pk>/certificate.pdf",
        learner.CertificatePdf.as_view(),
        name="certificate_pdf",
    ),
    path(
        "enrolments/<int:pk>/sessions/", learner.SessionRegister.as_view(), name="session_register"
    ),
    path("lessons/<int:pk>/", learner.LessonPage.as_view(), name="lesson"),
    path("lessons/<int:pk>/complete/", learner.LessonComplete.as_view(), name="lesson_complete"),
    path("lessons/<int:pk>/quiz/", learner.QuizPage.as_view(), name="quiz"),
    path("lessons/<int:pk>/video/", learner.LessonVideo.as_view(), name="video"),
    path("sessions/<int:pk>/join/", learner.SessionJoin.as_view(), name="session_join"),
    path("checkin/<str:token>/", learner.session_checkin, name="session_checkin"),
    path("roster/", manage.Roster.as_view(), name="roster"),
    path("enrol/", manage.Enrol.as_view(), name="enrol"),
    path("enrol/import/", manage.EnrolImport.as_view(), name="enrol_import"),
    path("figures/", manage.Figures.as_view(), name="figures"),
    path("verify/<str:code>/", public.verify, name="verify"),
    path("courses/", courses.course_list, name="course_list"),
    path("courses/new/", courses.course_edit, name="course_create"),
    path("courses/<int:pk>/", courses.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", courses.course_edit, name="course_edit"),
    path("courses/<int:pk>/lessons/new/", courses.lesson_add, name="lesson_add"),
    path("lessons/<int:pk>/questions/new/", courses.question_add, name="question_add"),
    path("lessons/<int:pk>/edit/", courses.lesson_edit, name="lesson_edit"),
    path("lessons/<int:pk>/delete/", courses.lesson_delete, name="lesson_delete"),
    path("questions/<int:pk>/edit/", courses.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", courses.question_delete, name="question_delete"),
    path("courses/<int:course_id>/sessions/new/", courses.session_edit, name="session_create"),
    path("live/<int:pk>/edit/", courses.session_edit, name="session_edit"),
    path("live/<int:pk>/cancel/", courses.session_cancel, name="session_cancel"),
]
