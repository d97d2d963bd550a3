"""The association's pages: the surveys (list, upload, page with completion per
company, open and close, a new version, the form as XLSForm), the results (counts,
crosstab with filters, free text) and the exports. A company admin's list of the
surveys it is asked to answer. All on core's scoped views: another association's
survey is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.personal.aggregates import suppress
from firstline.core.roles import SURVEYS_ANSWER
from firstline.core.views import (
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
)
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Company
from firstline.surveys.forms import ConfirmForm, UploadForm, VersionForm
from firstline.surveys.models import Question, Response, Survey
from firstline.surveys.selectors import board, public, results
from firstline.surveys.services import exporting, surveys, uploads
from firstline.surveys.views.board import BoardLinkForm
from firstline.surveys.views.exports import export_options

MANAGE = "surveys.manage_survey"
RESULTS = "surveys.view_results"
EXPORT = "surveys.export_response"


class SurveyList(ScopedListView):
    model = Survey
    permission = MANAGE
    template_name = "surveys/survey_list.html"
    table_template = "surveys/_survey_table.html"
    title = gettext_lazy("问卷调查")
    search_fields = ("title__icontains",)
    filters = ("state", "audience")

    def refine_list(self, qs):
        return results.with_counts(qs).order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            can_create=True,
            filter_choices={"state": Survey.State.choices, "audience": Survey.Audience.choices},
            research=self.request.scope.has_perm(results.RESEARCH),
        )
        for survey in ctx["object_list"]:
            survey.shown_count = (
                survey.response_count if ctx["research"] else suppress(survey.response_count)
            )
        return ctx


class MySurveys(ScopedListView):
    """The company surveys a company admin is asked to answer, with its own state."""

    model = Survey
    permission = SURVEYS_ANSWER
    template_name = "surveys/my_surveys.html"
    table_template = "surveys/_my_table.html"
    title = gettext_lazy("待填问卷")

    def refine_list(self, qs):
        return (
            qs.filter(audience=Survey.Audience.COMPANIES)
            .exclude(state=Survey.State.DRAFT)
            .order_by("-created_at", "-id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        mine = dict(
            Response.objects.for_scope(self.scope)
            .filter(survey__in=[s.pk for s in ctx["object_list"]], phone_digest="")
            .values_list("survey_id", "submitted_at")
        )
        for survey in ctx["object_list"]:
            survey.my_submitted_at = mine.get(survey.pk)
        return ctx


class SurveyCreate(ServiceFormView):
    permission = MANAGE
    model = Survey
    form_class = UploadForm
    title = gettext_lazy("上传 XLSForm 问卷")
    success_message = gettext_lazy("问卷已创建（草稿）。检查题目后点击“开放”。")
    cancel_url_name = "surveys:survey_list"

    def act(self, form):
        association_ids = sorted(self.scope.ids("association"))
        if not association_ids:
            raise ValidationError(gettext_lazy("只有协会可以发起问卷。"))
        return surveys.survey_create(
            actor=self.request.user, association_id=association_ids[0], **form.service_kwargs()
        )


class SurveyDetail(ScopedDetailView):
    model = Survey
    permission = MANAGE
    template_name = "surveys/survey_detail.html"
    context_object_name = "survey"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        survey = self.object
        questions = public.questions_of(survey)
        scoped = Response.objects.for_scope(self.request.scope.for_perm(RESULTS)).filter(
            survey=survey
        )
        count = scoped.count()
        research = self.request.scope.has_perm(results.RESEARCH)
        completion = []
        if survey.audience == Survey.Audience.COMPANIES:
            members = (
                Company.objects.for_scope(self.scope)
                .filter(pk__in=results.member_company_ids(survey))
                .order_by("name")
            )
            page = Paginator(members, 50).get_page(self.request.GET.get("page"))
            completion = results.completion(scoped, list(page.object_list))
            ctx["completion_page"] = page
            ctx["member_count"] = page.paginator.count
        ctx.update(
            questions=questions,
            response_count=count if research else suppress(count),
            completion=completion,
            public_url=self.request.build_absolute_uri(f"/surveys/s/{survey.token}/")
            if survey.audience == Survey.Audience.OWNERS
            else "",
            can_export=self.request.scope.has_perm(EXPORT),
            has_answers=count > 0,
            can_author=survey.state == Survey.State.DRAFT and count == 0,
        )
        return ctx


class SurveyAction(ScopedViewMixin, generic.View):
    """POST only: one service call on a survey, then its page."""

    model = Survey
    permission = MANAGE
    http_method_names = ["post"]
    done = ""

    def act(self, survey):
        raise NotImplementedError

    def post(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            self.act(survey)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.done)
        return redirect("surveys:survey_detail", pk=survey.pk)


class SurveyOpen(SurveyAction):
    done = gettext_lazy("问卷已开放。")

    def act(self, survey):
        surveys.survey_open(actor=self.request.user, survey=survey)


class SurveyClose(SurveyAction):
    done = gettext_lazy("问卷已结束，不再接受答卷。")

    def act(self, survey):
        surveys.survey_close(actor=self.request.user, survey=survey)


class SurveyVersion(ObjectFormView):
    """A new version from a new workbook (the questions of a survey with answers
    cannot change); a draft without answers gets its questions replaced instead."""

    permission = MANAGE
    model = Survey
    form_class = VersionForm
    title = gettext_lazy("上传新版本")
    success_message = gettext_lazy("已保存。")

    def act(self, form):
        upload = form.cleaned_data["file"]
        data = upload.read()
        survey = self.object
        if (
            survey.state == Survey.State.DRAFT
            and not Response.objects.for_scope(self.scope).filter(survey=survey).exists()
        ):
            return surveys.survey_replace_questions(
                actor=self.request.user, survey=survey, data=data, filename=upload.name
            )
        return surveys.survey_new_version(
            actor=self.request.user, survey=survey, data=data, filename=upload.name
        )


class SurveyForm(ScopedViewMixin, generic.View):
    """The survey as an XLSForm workbook."""

    model = Survey
    permission = MANAGE

    def get(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        return exporting.form_xlsx(survey=survey, questions=public.questions_of(survey))


def _filters(request) -> dict:
    return {k: request.GET.get(k, "").strip()[:16] for k in results.FILTERS if request.GET.get(k)}


class SurveyResults(ScopedDetailView):
    model = Survey
    permission = RESULTS
    template_name = "surveys/survey_results.html"
    context_object_name = "survey"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        survey = self.object
        scope = self.request.scope.for_perm(RESULTS)
        research = scope.has_perm(results.RESEARCH)
        questions = public.questions_of(survey)
        filters = _filters(self.request)
        scoped = results.filtered(Response.objects.for_scope(scope).filter(survey=survey), filters)
        figures = results.survey_figures(survey, scoped, questions, research=research)
        choice_questions = [q for q in questions if q.is_choice]
        by_name = {q.name: q for q in questions}
        rows_q = by_name.get(self.request.GET.get("rows", ""))
        cols_q = by_name.get(self.request.GET.get("cols", ""))
        table = None
        if rows_q and cols_q and rows_q.is_choice and cols_q.is_choice:
            table = results.crosstab(scoped, rows_q, cols_q, research=research)
        text_q = by_name.get(self.request.GET.get("text", ""))
        text_page = None
        text_files = []
        if text_q is not None and (text_q.type == Question.Type.TEXT or text_q.is_upload):
            text_page = Paginator(results.texts(scoped, text_q), 25).get_page(
                self.request.GET.get("page")
            )
            if text_q.is_upload:  # the files, each a link to its page
                text_files = [(path, uploads.file_name(path)) for _id, path in text_page]
        districts = Division.objects.filter(
            code__in=Response.objects.for_scope(scope)
            .filter(survey=survey)
            .exclude(district_code="")
            .values("district_code")
        ).order_by("code")
        ctx.update(
            figures=figures,
            research=research,
            choice_questions=choice_questions,
            text_questions=[q for q in questions if q.type == Question.Type.TEXT],
            text_files=text_files,
            table=table,
            rows_q=rows_q,
            cols_q=cols_q,
            text_q=text_q,
            text_page=text_page,
            filters=filters,
            districts=districts,
            site_types=Site.Type.choices,
            size_bands=Response.SizeBand.choices,
            chart_data=results.chart_data(figures),
            can_export=scope.has_perm(EXPORT),
        )
        if ctx["can_export"]:
            count = scoped.count()
            ctx["exports"] = [
                {
                    "format": fmt,
                    "streams": exporting.streams(fmt, count),
                    "refused": exporting.refusal(fmt, count),
                }
                for fmt in exporting.FORMATS
            ]
            ctx["export_count"] = count
        if research:
            ctx["board_links"] = board.board_links(survey)
            ctx["board_form"] = BoardLinkForm()
        return ctx


class SurveyExport(ScopedViewMixin, generic.View):
    """The responses as CSV (streamed), XLSX or SPSS .sav, codes or labels, the
    results' filters applied; audited. Past the format's row limit the export runs
    in the background instead: a page asks before starting it (views/exports.py)."""

    model = Survey
    permission = EXPORT

    def get(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        fmt, labels, filters = export_options(request.GET)
        scoped = results.filtered(
            Response.objects.for_scope(self.scope).filter(survey=survey), filters
        )
        count = scoped.count()
        if refused := exporting.refusal(fmt, count):
            return render(
                request,
                "surveys/export_refused.html",
                {"survey": survey, "count": count, "message": refused, "filters": filters},
                status=422,
            )
        if not exporting.streams(fmt, count):
            return render(
                request,
                "surveys/export_confirm.html",
                {
                    "survey": survey,
                    "count": count,
                    "format": fmt,
                    "labels": labels,
                    "filters": filters,
                },
            )
        questions = [q for q in public.questions_of(survey) if q.type != Question.Type.NOTE]
        write = {
            "csv": exporting.responses_csv,
            "xlsx": exporting.responses_xlsx,
            "sav": exporting.responses_sav,
        }[fmt]
        try:
            return write(
                actor=request.user,
                survey=survey,
                responses=scoped,
                questions=questions,
                labels=labels,
                filters=filters,
            )
        except ValidationError as exc:  # rows arrived past Excel's limit since the count
            return render(
                request,
                "surveys/export_refused.html",
                {"survey": survey, "count": count, "message": " ".join(exc.messages)},
                status=422,
            )


__all__ = [
    "ConfirmForm",
    "MySurveys",
    "SurveyAction",
    "SurveyClose",
    "SurveyCreate",
    "SurveyDetail",
    "SurveyExport",
    "SurveyForm",
    "SurveyList",
    "SurveyOpen",
    "SurveyResults",
    "SurveyVersion",
]
