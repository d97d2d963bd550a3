"""Surveys API under /api/v1/surveys/:

- GET  /                      surveys in the caller's scope (the association's; a
                              company admin's: the company surveys it is asked)
- GET  /{id}                  one survey with its questions
- POST /{id}/responses        the company's response to a company survey:
                              {answers: {name: value}}; a refused answer is a 422
                              naming it (body.payload.answers.<name>)
- GET  /{id}/responses        responses, paged: the association's all, a company
                              its own
- GET  /{id}/results          counts per choice question, and a crosstab of two
                              (?rows=&cols=) with the filters (district_code,
                              site_type, size_band); small cells as "<5" outside
                              the research group

Another association's survey is 404, the same as a missing one.
"""

from datetime import datetime

from django.http import Http404
from ninja import Field, Query
from ninja.pagination import paginate

from firstline.core.api import (
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.core.roles import SURVEYS_ANSWER
from firstline.orgs.models import Company
from firstline.surveys.models import Question, Response, Survey
from firstline.surveys.selectors import public, results
from firstline.surveys.services import responses

RESULTS = "surveys.view_results"

router = ScopedRouter(tags=["surveys"])


def _reader(request):
    """The caller's scope for reading surveys and responses: the association's
    results, or a company admin's answering."""
    scope = request.scope.for_any_perm(RESULTS, SURVEYS_ANSWER)
    if not scope.grants:
        from ninja.errors import HttpError

        raise HttpError(403, "permission denied")
    return scope


def _survey(request, pk: int) -> Survey:
    scope = _reader(request)
    survey = Survey.objects.for_scope(scope).filter(pk=pk).first()
    if survey is None or (
        not scope.for_perm(RESULTS).grants
        and (survey.audience != Survey.Audience.COMPANIES or survey.state == Survey.State.DRAFT)
    ):
        raise Http404
    return survey


class SurveyOut(Schema):
    id: int
    association_id: int
    title: str
    title_en: str
    audience: str
    state: str
    version: int
    opens_at: datetime | None
    closes_at: datetime | None


class ChoiceOut(Schema):
    name: str
    label: str
    label_en: str = ""


class QuestionOut(Schema):
    name: str
    type: str
    label: str
    label_en: str
    hint: str
    required: bool
    choices: list[ChoiceOut]
    relevant: str
    constraint: str
    calculation: str
    section: str


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]


@router.get(
    "/",
    response=list[SurveyOut],
    operation_id="list_survey",
    summary="List surveys (scoped, paginated)",
)
@paginate(ScopedPagination)
def survey_list_api(request):
    scope = _reader(request)
    qs = Survey.objects.for_scope(scope)
    if not scope.for_perm(RESULTS).grants:
        qs = qs.filter(audience=Survey.Audience.COMPANIES).exclude(state=Survey.State.DRAFT)
    return qs.order_by("-created_at", "-id")


@router.get(
    "/{int:pk}",
    response=SurveyDetailOut,
    operation_id="get_survey",
    summary="One survey with its questions (404 outside your scope)",
)
def survey_detail_api(request, pk: RowId):
    survey = _survey(request, pk)
    survey.questions_list = public.questions_of(survey)
    return {
        **{f: getattr(survey, f) for f in SurveyOut.model_fields if f != "id"},
        "id": survey.pk,
        "questions": [
            {
                **{f: getattr(q, f) for f in QuestionOut.model_fields if f != "choices"},
                "choices": q.choices,
            }
            for q in survey.questions_list
        ],
    }


AnswerValue = str | int | float | list[str] | None


class ResponseIn(Schema):
    answers: dict[str, AnswerValue] = Field(description="Answers by question name.")


class ResponseOut(Schema):
    id: int
    survey_id: int
    company_id: int | None
    site_id: int | None
    district_code: str
    site_type: str
    size_band: str
    submitted_at: datetime
    answers: dict[str, AnswerValue]


@router.post(
    "/{int:pk}/responses",
    response=ResponseOut,
    operation_id="submit_survey_response",
    summary="The caller's company's response to a company survey (replaces its earlier one)",
)
def response_submit_api(request, pk: RowId, payload: ResponseIn):
    scope = perm_scope(request, SURVEYS_ANSWER)
    survey = scoped_object(
        request,
        Survey,
        SURVEYS_ANSWER,
        pk,
        refine=lambda qs: qs.filter(audience=Survey.Audience.COMPANIES).exclude(
            state=Survey.State.DRAFT
        ),
    )
    company_ids = sorted(scope.company_ids)
    company = Company.objects.for_scope(scope).select_related("division").get(pk=company_ids[0])
    with validation_errors_as_422(renames={}, loc=("body", "payload", "answers")):
        return responses.response_submit(
            actor=request.user, survey=survey, raw=payload.answers, company=company
        )


@router.get(
    "/{int:pk}/responses",
    response=list[ResponseOut],
    operation_id="list_survey_responses",
    summary="Responses to one survey (scoped: a company sees its own; paginated)",
)
@paginate(ScopedPagination)
def response_list_api(request, pk: RowId):
    survey = _survey(request, pk)
    return Response.objects.for_scope(_reader(request)).filter(survey=survey).order_by("id")


class ResultsQuery(Schema):
    rows: str | None = Field(None, max_length=64)
    cols: str | None = Field(None, max_length=64)
    district_code: str | None = Field(None, max_length=6)
    site_type: str | None = Field(None, max_length=16)
    size_band: str | None = Field(None, max_length=8)


class ChoiceCountOut(Schema):
    code: str
    label: str
    count: int | str = Field(description='A count, or "<5" when suppressed.')
    percent: float | None


class QuestionResultOut(Schema):
    name: str
    type: str
    answered: int | str
    choices: list[ChoiceCountOut]
    stats: dict[str, float | int | str | None]


class ResultsOut(Schema):
    survey_id: int
    total: int | str
    questions: list[QuestionResultOut]
    crosstab: dict[str, int | str] | None = Field(
        None, description='Counts by "row code|column code" of ?rows= and ?cols=.'
    )


@router.get(
    "/{int:pk}/results",
    response=ResultsOut,
    operation_id="survey_results",
    summary="Counts per question and a crosstab of two (404 outside your scope)",
)
def survey_results_api(request, pk: RowId, params: Query[ResultsQuery]):
    survey = scoped_object(request, Survey, RESULTS, pk)
    scope = perm_scope(request, RESULTS)
    research = scope.has_perm(results.RESEARCH)
    filters = params.dict(exclude_none=True)
    rows_name, cols_name = filters.pop("rows", None), filters.pop("cols", None)
    scoped = results.filtered(Response.objects.for_scope(scope).filter(survey=survey), filters)
    questions = public.questions_of(survey)
    figures = results.survey_figures(survey, scoped, questions, research=research)
    by_name = {q.name: q for q in questions if q.is_choice}
    table = None
    if rows_name in by_name and cols_name in by_name:
        tab = results.crosstab(scoped, by_name[rows_name], by_name[cols_name], research=research)
        table = {}
        for r, line in zip(by_name[rows_name].choices, tab.cells, strict=True):
            for c, n in zip(by_name[cols_name].choices, line[1:-1], strict=True):
                table[f"{r['name']}|{c['name']}"] = n
    return {
        "survey_id": survey.pk,
        "total": figures["total"],
        "questions": [
            {
                "name": f.question.name,
                "type": f.question.type,
                "answered": f.answered if research or f.answered >= 5 else "<5",
                "choices": [
                    {k: r[k] for k in ("code", "label", "count", "percent")} for r in f.rows
                ],
                "stats": f.stats,
            }
            for f in figures["questions"]
            if f.question.type != Question.Type.NOTE
        ],
        "crosstab": table,
    }
