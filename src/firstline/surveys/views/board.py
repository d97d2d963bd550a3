"""The board's results page (no sign-in) and the research group's links to it.

The page shows what the results page shows people outside the research group:
counts, percentages and charts, cells under 5 as "<5"; never free-text answers,
never a filter (a difference of two filtered counts would give a small cell away).
A revoked or expired link is 404, the same as one that never was."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from firstline.core.views import ScopedViewMixin
from firstline.surveys.models import Question, Survey
from firstline.surveys.selectors import board, public, results
from firstline.surveys.services.board import LABEL_MAX, board_link_create, board_link_revoke

RESEARCH = results.RESEARCH
NUMBERS = (Question.Type.INTEGER, Question.Type.DECIMAL, Question.Type.CALCULATE)


class BoardLinkForm(forms.Form):
    label = forms.CharField(
        label=_("说明"),
        max_length=LABEL_MAX,
        required=False,
        help_text=_("例如：理事会 2020 年 3 月例会"),
    )
    expires_on = forms.DateField(
        label=_("有效期至"),
        required=False,
        help_text=_("留空则一直有效，直到撤销。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day and day < timezone.localdate():
            raise ValidationError(_("有效期不能早于今天。"))
        if day and day > timezone.localdate() + timedelta(days=366):
            raise ValidationError(_("有效期最长一年。"))
        return day

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, local time."""
        day = self.cleaned_data.get("expires_on")
        if not day:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def board_context(survey: Survey, responses) -> dict:
    """The board's figures: the choice and number questions (never free text), small
    cells suppressed."""
    questions = [q for q in public.questions_of(survey) if q.is_choice or q.type in NUMBERS]
    figures = results.survey_figures(survey, responses, questions, research=False)
    return {
        "survey": survey,
        "figures": figures,
        "chart_data": results.chart_data(figures),
    }


@never_cache
@require_GET
def board_page(request, token: str):
    found = board.board_for_token(token)
    if found is None:
        raise Http404
    survey, responses = found
    response = render(request, "surveys/board.html", board_context(survey, responses))
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response


class BoardLinkCreate(ScopedViewMixin, generic.View):
    """POST: a new board link for the survey (the research group's), back to results."""

    model = Survey
    permission = RESEARCH
    http_method_names = ["post"]

    def post(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        form = BoardLinkForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        else:
            try:
                board_link_create(
                    actor=request.user,
                    survey=survey,
                    expires_at=form.expires_at(),
                    label=form.cleaned_data["label"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("已生成分享链接。"))
        return redirect(reverse("surveys:survey_results", args=[survey.pk]) + "#board-links")


class BoardLinkRevoke(ScopedViewMixin, generic.View):
    """POST: revoke one board link of the survey (asked first on the page)."""

    model = Survey
    permission = RESEARCH
    http_method_names = ["post"]

    def post(self, request, pk, link):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        if request.POST.get("confirmed") != "1":
            messages.error(request, _("请先确认撤销。"))
        else:
            try:
                board_link_revoke(actor=request.user, survey=survey, link=link)
            except ValidationError as exc:
                raise Http404 from exc
            messages.success(request, _("分享链接已撤销，打开它将显示“页面不存在”。"))
        return redirect(reverse("surveys:survey_results", args=[survey.pk]) + "#board-links")
