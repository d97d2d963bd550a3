"""A learner's pages, phone first: my courses, a course's lessons, a lesson (video,
live link or document), its quiz, the certificate PDF, live sessions. Every page reads
through the learner's scope narrowed to its own enrolments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from firstline.core.views import ObjectFormView, ScopedDetailView, ScopedListView
from firstline.training import selectors
from firstline.training.forms import EmptyForm, QuizForm, SessionRegisterForm
from firstline.training.models import Enrolment, LessonProgress, Registration
from firstline.training.selectors import LEARN, own
from firstline.training.services import enrolment as enrolling
from firstline.training.services import learning, media, sessions
from firstline.training.services.certificates import certificate_pdf


class MyCourses(ScopedListView):
    model = Enrolment
    permission = LEARN
    template_name = "training/my_courses.html"
    table_template = "training/_my_courses.html"
    title = _("我的培训")

    def refine(self, qs):
        return own(qs, self.request.user).select_related("course", "certificate")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        taken = self.get_queryset().values("course_id")
        ctx["catalogue"] = selectors.courses(self.scope).exclude(pk__in=taken)
        return ctx


@login_required
@require_POST
def self_enrol(request, course_id: int):
    scope = request.scope.for_perm(LEARN)
    course = get_object_or_404(selectors.courses(scope), pk=course_id)
    try:
        enrolment = enrolling.enrolment_self(actor=request.user, course=course)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("training:home")
    return redirect(enrolment)


class EnrolmentDetail(ScopedDetailView):
    model = Enrolment
    permission = LEARN
    template_name = "training/enrolment.html"

    def refine(self, qs):
        return own(qs, self.request.user).select_related("course", "staff", "certificate")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        enrolment = self.object
        ctx["progress"] = list(
            LessonProgress.objects.for_scope(self.scope)
            .filter(enrolment=enrolment)
            .select_related("lesson")
            .order_by("lesson__position")
        )
        ctx["certificate"] = getattr(enrolment, "certificate", None)
        ctx["registrations"] = list(
            Registration.objects.for_scope(self.scope)
            .filter(enrolment=enrolment)
            .select_related("session")
        )
        ctx["sessions"] = list(
            selectors.sessions(self.scope).filter(
                course_id=enrolment.course_id, ends_at__gt=timezone.now()
            )
        )
        return ctx


class LearnerProgressMixin:
    model = LessonProgress
    permission = LEARN

    def refine(self, qs):
        return own(qs, self.request.user, "enrolment__staff__user").select_related(
            "lesson", "enrolment__course"
        )


class LessonPage(LearnerProgressMixin, ScopedDetailView):
    template_name = "training/lesson.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        learning.lesson_view(progress=self.object)
        return response

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["has_quiz"] = self.object.lesson.questions.exists()
        return ctx


class LessonComplete(LearnerProgressMixin, ObjectFormView):
    form_class = EmptyForm
    title = _("完成本课时")
    success_message = _("本课时已完成。")

    def act(self, form):
        progress = learning.lesson_complete(actor=self.request.user, progress=self.object)
        if progress.lesson.questions.exists() and progress.quiz_passed_at is None:
            return reverse("training:quiz", args=[progress.pk])
        return progress.enrolment


class QuizPage(LearnerProgressMixin, ObjectFormView):
    form_class = QuizForm
    template_name = "training/quiz.html"
    success_message = _("已提交测验。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "questions": learning.quiz_questions(self.object)}

    def act(self, form):
        outcome = learning.quiz_submit(
            actor=self.request.user, progress=self.object, answers=form.answers()
        )
        self.request.session["training_quiz"] = {
            "progress": self.object.pk,
            "score": outcome.attempt.score,
            "passed": outcome.attempt.passed,
        }
        return reverse("training:quiz", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        last = self.request.session.get("training_quiz")
        ctx["last"] = last if last and last.get("progress") == self.object.pk else None
        ctx["attempts_left"] = learning.attempts_left(self.object)
        ctx["title"] = _("课时测验")
        return ctx


class LessonVideo(LearnerProgressMixin, ScopedDetailView):
    """The lesson's video, by ranges (206) so the player can seek."""

    def get(self, request, *args, **kwargs):
        progress = self.get_object()
        if not progress.lesson.video:
            raise Http404
        return media.video_response(progress.lesson.video, request.headers.get("Range", ""))


class CertificatePdf(ScopedDetailView):
    model = Enrolment
    permission = LEARN

    def refine(self, qs):
        return own(qs, self.request.user).select_related(
            "course__association", "staff", "certificate"
        )

    def get(self, request, *args, **kwargs):
        enrolment = self.get_object()
        cert = getattr(enrolment, "certificate", None)
        if cert is None or cert.revoked_at is not None:
            raise Http404
        url = request.build_absolute_uri(reverse("training:verify", args=[cert.code]))
        pdf = certificate_pdf(
            name=enrolment.staff.name,
            course=enrolment.course.title,
            association=str(enrolment.course.association),
            code=cert.code,
            url=url,
            issued=timezone.localtime(cert.issued_at).strftime("%Y-%m-%d"),
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="certificate-{cert.code}.pdf"'
        return response


class SessionRegister(ObjectFormView):
    model = Enrolment
    permission = LEARN
    form_class = SessionRegisterForm
    title = _("报名直播课")
    success_message = _("已报名。")

    def refine(self, qs):
        return own(qs, self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "course_id": self.object.course_id}

    def act(self, form):
        sessions.session_register(
            actor=self.request.user, session=form.cleaned_data["session"], enrolment=self.object
        )
        return self.object


class SessionJoin(ScopedDetailView):
    """The platform's link to an online session: records attendance, then goes on to
    the meeting."""

    model = Registration
    permission = LEARN

    def refine(self, qs):
        return own(qs, self.request.user, "enrolment__staff__user").select_related("session")

    def get(self, request, *args, **kwargs):
        registration = self.get_object()
        session = registration.session
        if not session.meeting_link:
            raise Http404
        sessions.session_attend(actor=request.user, registration=registration)
        return redirect(session.meeting_link)


@login_required
def session_checkin(request, token: str):
    """An in-person session's QR code, opened by the attendee's phone while signed in."""
    session_id = sessions.checkin_session_id(token)
    scope = request.scope.for_perm(LEARN)
    registration = (
        own(Registration.objects.for_scope(scope), request.user, "enrolment__staff__user")
        .filter(session_id=session_id)
        .first()
        if session_id
        else None
    )
    if registration is None:
        raise Http404
    sessions.session_attend(actor=request.user, registration=registration)
    messages.success(request, _("签到成功。"))
    return redirect("training:enrolment", registration.enrolment_id)
