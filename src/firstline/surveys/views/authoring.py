"""Authoring a draft survey on its page: add, change, move and delete questions
(services/authoring.py refuses once the survey has answers or is no longer a
draft). All on core's scoped views: another association's survey or question is 404."""

from __future__ import annotations

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.views import ObjectFormView, ScopedViewMixin
from firstline.surveys.forms import QuestionForm
from firstline.surveys.models import Question, Survey
from firstline.surveys.services import authoring

MANAGE = "surveys.manage_survey"


def _questions_url(survey: Survey) -> str:
    return reverse("surveys:survey_detail", args=[survey.pk]) + "#survey-questions"


class QuestionAdd(ObjectFormView):
    permission = MANAGE
    model = Survey
    form_class = QuestionForm
    title = gettext_lazy("添加题目")
    success_message = gettext_lazy("题目已添加。")

    def act(self, form):
        authoring.question_add(
            actor=self.request.user, survey=self.object, data=form.service_data()
        )
        return _questions_url(self.object)


class QuestionChange(ObjectFormView):
    permission = MANAGE
    model = Survey
    form_class = QuestionForm
    title = gettext_lazy("修改题目")
    success_message = gettext_lazy("题目已保存。")

    @cached_property
    def question(self) -> Question:
        return get_object_or_404(
            Question.objects.for_scope(self.scope).filter(survey=self.object),
            pk=self.kwargs["qid"],
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.question}

    def act(self, form):
        authoring.question_change(
            actor=self.request.user, question=self.question, data=form.service_data()
        )
        return _questions_url(self.object)


class QuestionAction(ScopedViewMixin, generic.View):
    """POST only: move a question up or down, or delete it; then the survey's page."""

    model = Survey
    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request, pk, qid, action):
        if action not in ("up", "down", "delete"):
            raise Http404
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        question = get_object_or_404(
            Question.objects.for_scope(self.scope).filter(survey=survey), pk=qid
        )
        try:
            if action == "delete":
                authoring.question_delete(actor=request.user, question=question)
                messages.success(request, gettext_lazy("题目已删除。"))
            else:
                step = -1 if action == "up" else 1
                authoring.question_move(actor=request.user, question=question, step=step)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(_questions_url(survey))
