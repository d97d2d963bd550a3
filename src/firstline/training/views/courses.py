"""The association's catalogue pages: its courses, a course's lessons and questions,
adding a lesson (video upload) or a question. The catalogue holds no tenant data: the
pages are the association staff's (training.manage_course), narrowed to their
associations; another association's course answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from firstline.core.roles import Target
from firstline.core.views import apply_errors
from firstline.training.forms import (
    CourseForm,
    EmptyForm,
    LessonForm,
    QuestionForm,
    SessionForm,
    question_initial,
)
from firstline.training.models import Course, Lesson, LiveSession, Question
from firstline.training.selectors import MANAGE
from firstline.training.services import courses as services


def _associations(request) -> list:
    scope = request.scope.for_perm(MANAGE)
    if not scope.grants:
        raise PermissionDenied
    return sorted(scope.ids(Target.ASSOCIATION))


def _course(request, pk: int) -> Course:
    return get_object_or_404(
        Course.objects.filter(association_id__in=_associations(request)), pk=pk
    )


@login_required
def course_list(request):
    courses = (
        Course.objects.filter(association_id__in=_associations(request))
        .annotate(lesson_count=Count("lessons", distinct=True))
        .order_by("kind", "id")
    )
    return render(
        request, "training/course_list.html", {"courses": courses, "title": _("培训课程")}
    )


@login_required
def course_edit(request, pk: int | None = None):
    associations = _associations(request)
    course = _course(request, pk) if pk else None
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid() and associations:
        try:
            course = services.course_save(
                actor=request.user,
                association_id=associations[0],
                data=form.cleaned_data,
                course=course,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("training:course_detail", course.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("修改课程") if course else _("新建课程")},
    )


@login_required
def course_detail(request, pk: int):
    course = _course(request, pk)
    lessons = Lesson.objects.filter(course=course).prefetch_related("questions")
    sessions = LiveSession.objects.filter(course=course).annotate(registered=Count("registrations"))
    return render(
        request,
        "training/course_detail.html",
        {
            "object": course,
            "lessons": lessons.order_by("position"),
            "sessions": sessions.order_by("starts_at"),
        },
    )


@login_required
def lesson_add(request, pk: int):
    course = _course(request, pk)
    form = LessonForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_add(
                actor=request.user,
                course=course,
                data=form.cleaned_data,
                video=form.cleaned_data.get("video"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已添加课时。"))
            return redirect("training:course_detail", course.pk)
    return render(request, "core/form.html", {"form": form, "title": _("添加课时")})


@login_required
def question_add(request, pk: int):
    lesson = get_object_or_404(
        Lesson.objects.filter(course__association_id__in=_associations(request)), pk=pk
    )
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_add(
                actor=request.user,
                lesson=lesson,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                options=form.cleaned_data["options"].splitlines(),
                answer=form.answers(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已添加题目。"))
            return redirect("training:course_detail", lesson.course_id)
    return render(request, "core/form.html", {"form": form, "title": _("添加题目")})


def _lesson(request, pk: int) -> Lesson:
    return get_object_or_404(
        Lesson.objects.filter(course__association_id__in=_associations(request)), pk=pk
    )


def _question(request, pk: int) -> Question:
    return get_object_or_404(
        Question.objects.filter(lesson__course__association_id__in=_associations(request)),
        pk=pk,
    )


def _session(request, pk: int) -> LiveSession:
    return get_object_or_404(
        LiveSession.objects.filter(course__association_id__in=_associations(request)), pk=pk
    )


def _confirmed(request, *, title: str, message: str, button: str, act, done: str, back):
    """GET asks; a POST without the ticked box (or the dialog's OK) asks again."""
    if request.method == "POST" and request.POST.get("confirmed"):
        try:
            act()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return back
    return render(
        request,
        "training/confirm.html",
        {"form": EmptyForm(), "title": title, "message": message, "button": button},
    )


@login_required
def lesson_edit(request, pk: int):
    lesson = _lesson(request, pk)
    initial = {
        name: getattr(lesson, name)
        for name in ("title", "kind", "meeting_link", "body", "duration_minutes")
    }
    form = LessonForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_edit(
                actor=request.user,
                lesson=lesson,
                data=form.cleaned_data,
                video=form.cleaned_data.get("video"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("training:course_detail", lesson.course_id)
    return render(request, "core/form.html", {"form": form, "title": _("修改课时")})


@login_required
def lesson_delete(request, pk: int):
    lesson = _lesson(request, pk)
    return _confirmed(
        request,
        title=_("删除课时"),
        message=_("删除课时“%(t)s”及其题目？删除后不能恢复。") % {"t": lesson.title},
        button=_("删除"),
        act=lambda: services.lesson_delete(actor=request.user, lesson=lesson),
        done=_("已删除课时。"),
        back=redirect("training:course_detail", lesson.course_id),
    )


@login_required
def question_edit(request, pk: int):
    question = _question(request, pk)
    form = QuestionForm(request.POST or None, initial=question_initial(question))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_edit(
                actor=request.user,
                question=question,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                options=form.cleaned_data["options"].splitlines(),
                answer=form.answers(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("training:course_detail", question.lesson.course_id)
    return render(request, "core/form.html", {"form": form, "title": _("修改题目")})


@login_required
def question_delete(request, pk: int):
    question = _question(request, pk)
    return _confirmed(
        request,
        title=_("删除题目"),
        message=_("删除题目“%(t)s”？删除后不能恢复。") % {"t": question.text},
        button=_("删除"),
        act=lambda: services.question_delete(actor=request.user, question=question),
        done=_("已删除题目。"),
        back=redirect("training:course_detail", question.lesson.course_id),
    )


@login_required
def session_edit(request, pk: int | None = None, course_id: int | None = None):
    session = _session(request, pk) if pk else None
    course = session.course if session else _course(request, course_id)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_save(
                actor=request.user, course=course, data=form.cleaned_data, session=session
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存直播课。"))
            return redirect("training:course_detail", course.pk)
    title = _("修改直播课") if session else _("安排直播课")
    return render(request, "core/form.html", {"form": form, "title": title})


@login_required
def session_cancel(request, pk: int):
    session = _session(request, pk)
    return _confirmed(
        request,
        title=_("取消直播课"),
        message=_("取消直播课“%(t)s”？已报名的学员将不再在名单中。") % {"t": session.title},
        button=_("取消直播课"),
        act=lambda: services.session_cancel(actor=request.user, session=session),
        done=_("已取消直播课。"),
        back=redirect("training:course_detail", session.course_id),
    )
