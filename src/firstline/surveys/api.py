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
- POST /{id}/exports          start an export (csv, xlsx, sav) in the background: 202
- GET  /{id}/exports/{pid}    its progress; `file_url` once done
- GET  /{id}/exports/{pid}/file  the file (the caller's own exports, kept 24 hours)
- GET|POST /{id}/board-links  the research group's read-only links for the board
- DELETE /{id}/board-links/{link}  revoke one (audited): its page is 404 from then on

Another association's survey is 404, the same as a missing one.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Case, CharField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Field, Path, Query, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate

from firstline.core.api import (
    RowId,
    Schema,
    ScopedPagination,
    ScopedRouter,
    perm_scope,
    scoped_object,
    unprocessable,
    validation_errors_as_422,
)
from firstline.core.models import TaskProgress
from firstline.core.roles import SURVEYS_ANSWER, Target
from firstline.estates.models import Site
from firstline.health.services import sms
from firstline.orgs.models import Company
from firstline.surveys.models import Assignment, Question, Response, Survey
from firstline.surveys.selectors import board, public, results
from firstline.surveys.services import distribution, responses
from firstline.surveys.services.board import board_link_create, board_link_revoke
from firstline.surveys.services.exporting import CONTENT_TYPES, check_rows
from firstline.surveys.tasks import EXPORT, EXPORT_KIND, EXPORT_RETENTION_HOURS, export_enqueue

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


# --- distribution (issue #19) ---------------------------------------------------------------
# - GET  /{id}/sites                each site's own link and QR code (owners' survey): the
#                                   research group's members' sites, a company its own
# - PUT  /{id}/distribution         phone check, quotas per site/district, reminders
# - GET  /{id}/companies            each member company's state (company survey), paged
# - POST /{id}/remind               remind the companies that have not submitted
# - PUT  /{id}/delegate             the company admin delegates to a staff user
# - GET  /delegated                 the caller's delegated company surveys
# - POST /{id}/delegated/response   the delegate's response for its company
# - POST /public/{token}/code       (no sign-in) a one-time code to an owner's phone
# - POST /public/{token}/responses  (no sign-in) an owner's response: one per phone, with
#                                   its code when the survey checks by code; 422 when the
#                                   survey is closed or the site's/district's quota is full

MANAGE = "surveys.manage_survey"


class SurveySiteLinkOut(Schema):
    site_id: int
    site_name: str
    company_id: int
    district_code: str
    site_type: str
    url: str = Field(description="The site's own link to the survey (answers carry the site).")
    qr_svg: str = Field(description="The QR code of the link as SVG (download).")
    qr_png: str = Field(description="The QR code of the link as PNG (download).")


class SurveySiteLinkQuery(Schema):
    q: str | None = Field(None, max_length=64)
    company_id: RowId | None = None


def _site_links_target(request, pk: int):
    """(survey, sites): the research group's survey and its members' sites, or a
    company admin's survey of its association and its own sites."""
    manage = request.scope.for_perm(MANAGE)
    answer = request.scope.for_perm(SURVEYS_ANSWER)
    if not manage.grants and not answer.grants:
        raise HttpError(403, "permission denied")
    survey = None
    if manage.grants:
        survey = (
            Survey.objects.for_scope(manage).filter(pk=pk, audience=Survey.Audience.OWNERS).first()
        )
        if survey is not None:
            return survey, public.member_sites(survey)
    if answer.grants:
        survey = (
            Survey.objects.for_scope(answer)
            .filter(pk=pk, audience=Survey.Audience.OWNERS)
            .exclude(state=Survey.State.DRAFT)
            .first()
        )
    if survey is None:
        raise Http404
    return survey, Site.objects.for_scope(answer)


@router.get(
    "/{int:pk}/sites",
    response=list[SurveySiteLinkOut],
    operation_id="list_survey_site_links",
    summary="Each site's own link and QR code to an owners' survey (paginated)",
)
@paginate(ScopedPagination)
def survey_site_links_api(request, pk: RowId, params: Query[SurveySiteLinkQuery]):
    survey, sites = _site_links_target(request, pk)
    sites = sites.select_related("community").order_by("company_id", "name", "id")
    if params.q:
        sites = sites.filter(Q(name__icontains=params.q) | Q(address__icontains=params.q))
    if params.company_id:
        sites = sites.filter(company_id=params.company_id)

    class Links:
        """Rows made as the page is sliced: one query for the page."""

        def __init__(self, qs):
            self.qs = qs

        def count(self):
            return self.qs.count()

        def __len__(self):
            return self.count()

        def __getitem__(self, key):
            return [_link_row(request, survey, site) for site in self.qs[key]]

    return Links(sites)


def _link_row(request, survey, site) -> dict:
    return {
        "site_id": site.pk,
        "site_name": site.name,
        "company_id": site.company_id,
        "district_code": site.community.code[:6],
        "site_type": site.site_type,
        "url": request.build_absolute_uri(public.site_link_path(survey, site)),
        "qr_svg": request.build_absolute_uri(
            reverse("surveys:survey_site_qr", args=[survey.pk, site.pk, "svg"])
        ),
        "qr_png": request.build_absolute_uri(
            reverse("surveys:survey_site_qr", args=[survey.pk, site.pk, "png"])
        ),
    }


class SurveyDistributionIn(Schema):
    phone_check: Literal["device", "code"] | None = Field(
        None, description='"device" (one per phone, not verified) or "code" (SMS code).'
    )
    quota_per_site: int | None = Field(None, ge=1, le=1_000_000)
    quota_per_district: int | None = Field(None, ge=1, le=1_000_000)
    remind_every_days: int | None = Field(None, ge=1, le=60)


class SurveyDistributionOut(Schema):
    id: int
    audience: str
    phone_check: str
    quota_per_site: int | None
    quota_per_district: int | None
    remind_every_days: int | None


@router.put(
    "/{int:pk}/distribution",
    response=SurveyDistributionOut,
    operation_id="set_survey_distribution",
    summary="A survey's distribution settings: phone check, quotas, automatic reminders",
)
def survey_distribution_api(request, pk: RowId, payload: SurveyDistributionIn):
    survey = scoped_object(request, Survey, MANAGE, pk)
    with validation_errors_as_422():
        return distribution.survey_set_distribution(
            actor=request.user, survey=survey, **payload.dict()
        )


class SurveyCompanyStateOut(Schema):
    company_id: int
    company_name: str
    state: str = Field(description="not_started, in_progress or submitted")
    delegate_id: int | None
    started_at: datetime | None
    submitted_at: datetime | None
    reminded_at: datetime | None
    reminders: int


class SurveyCompanyStateQuery(Schema):
    state: str | None = Field(None, max_length=16)


@router.get(
    "/{int:pk}/companies",
    response=list[SurveyCompanyStateOut],
    operation_id="list_survey_companies",
    summary="Each member company's state on a company survey (paginated)",
)
@paginate(ScopedPagination)
def survey_companies_api(request, pk: RowId, params: Query[SurveyCompanyStateQuery]):
    scope = perm_scope(request, MANAGE)
    survey = scoped_object(
        request,
        Survey,
        MANAGE,
        pk,
        refine=lambda qs: qs.filter(audience=Survey.Audience.COMPANIES),
    )
    answered = Response.objects.for_scope(scope).filter(
        survey=survey, company_id=OuterRef("pk"), phone_digest=""
    )
    tasks = Assignment.objects.for_scope(scope).filter(survey=survey, company_id=OuterRef("pk"))
    qs = (
        Company.objects.for_scope(scope)
        .filter(pk__in=distribution.member_company_ids(survey.association_id))
        .annotate(
            submitted_at=Subquery(answered.values("submitted_at")[:1]),
            started_at=Subquery(tasks.values("started_at")[:1]),
            delegated_at=Subquery(tasks.values("delegated_at")[:1]),
            delegate_id=Subquery(tasks.values("delegate_id")[:1]),
            reminded_at=Subquery(tasks.values("reminded_at")[:1]),
            reminders=Coalesce(Subquery(tasks.values("reminders")[:1]), 0),
        )
        .annotate(
            state=Case(
                When(submitted_at__isnull=False, then=Value("submitted")),
                When(
                    Q(started_at__isnull=False) | Q(delegated_at__isnull=False),
                    then=Value("in_progress"),
                ),
                default=Value("not_started"),
                output_field=CharField(),
            )
        )
        .order_by("name", "id")
    )
    if params.state:
        if params.state not in Assignment.State.values:
            raise HttpError(422, "state: not_started, in_progress or submitted")
        qs = qs.filter(state=params.state)
    return qs.values(
        "state",
        "delegate_id",
        "started_at",
        "submitted_at",
        "reminded_at",
        "reminders",
        company_id=F("pk"),
        company_name=F("name"),
    )


class SurveyRemindOut(Schema):
    reminded: int


@router.post(
    "/{int:pk}/remind",
    response=SurveyRemindOut,
    operation_id="remind_survey_companies",
    summary="Remind the member companies that have not submitted a company survey",
)
def survey_remind_api(request, pk: RowId):
    survey = scoped_object(
        request,
        Survey,
        MANAGE,
        pk,
        refine=lambda qs: qs.filter(audience=Survey.Audience.COMPANIES),
    )
    with validation_errors_as_422():
        return {"reminded": distribution.remind(actor=request.user, survey=survey)}


class SurveyDelegateIn(Schema):
    user_id: RowId | None = Field(None, description="A staff user of the company; null: none")


class SurveyTaskOut(Schema):
    survey_id: int
    company_id: int
    delegate_id: int | None
    delegated_at: datetime | None
    started_at: datetime | None
    reminded_at: datetime | None
    reminders: int


@router.put(
    "/{int:pk}/delegate",
    response=SurveyTaskOut,
    operation_id="delegate_survey",
    summary="The company admin delegates a company survey to a staff user of the company",
)
def survey_delegate_api(request, pk: RowId, payload: SurveyDelegateIn):
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
    company_ids = sorted(scope.ids(Target.COMPANY))
    if not company_ids:
        raise Http404
    with validation_errors_as_422(renames={"user": "user_id"}):
        return distribution.delegate(
            actor=request.user, survey=survey, company_id=company_ids[0], user_id=payload.user_id
        )


@router.get(
    "/delegated",
    response=list[SurveyTaskOut],
    operation_id="list_delegated_surveys",
    summary="The company surveys delegated to the caller (paginated)",
)
@paginate(ScopedPagination)
def delegated_list_api(request):
    return distribution.delegated_tasks(request.scope, request.user.pk)


@router.post(
    "/{int:pk}/delegated/response",
    response=ResponseOut,
    operation_id="submit_delegated_response",
    summary="The delegate's response for its company (replaces the company's earlier one)",
)
def delegated_submit_api(request, pk: RowId, payload: ResponseIn):
    task = (
        distribution.delegated_tasks(request.scope, request.user.pk)
        .filter(survey_id=pk)
        .select_related("company__division")
        .first()
    )
    if task is None:
        raise Http404
    with validation_errors_as_422(renames={}, loc=("body", "payload", "answers")):
        return responses.response_submit(
            actor=request.user, survey=task.survey, raw=payload.answers, company=task.company
        )


class SurveyPublicCodeIn(Schema):
    site: str = Field(max_length=200, description="The site's token from its link (?site=).")
    phone: str = Field(max_length=32)


class SurveyPublicCodeOut(Schema):
    sent: bool
    code: str = Field("", description="Only in a demo (the SMS is not really sent).")


class SurveyPublicResponseIn(Schema):
    site: str = Field("", max_length=200, description="The site's token from its link (?site=).")
    phone: str = Field(max_length=32)
    code: str = Field("", max_length=12, description="The one-time code (surveys checked by code).")
    answers: dict[str, AnswerValue]


class SurveyPublicResponseOut(Schema):
    id: int
    survey_id: int
    site_id: int | None
    submitted_at: datetime


def _public_survey(token: str):
    survey = public.survey_by_token(token[:64])
    if survey is None:
        raise Http404
    return survey


def _public_site(token: str):
    if not token:
        return None
    site = public.site_from_token(token)
    if site is None:
        raise unprocessable(ValidationError({"site": "unknown site link"}), loc=("body", "payload"))
    return site


@router.post(
    "/public/{token}/code",
    auth=None,
    response=SurveyPublicCodeOut,
    operation_id="public_survey_code",
    summary="Owners' public link: send a one-time code to a phone (limits as health's OTP)",
)
def public_code_api(request, token: str, payload: SurveyPublicCodeIn):
    survey = _public_survey(token)
    site = _public_site(payload.site)
    with validation_errors_as_422():
        code = distribution.owner_request_code(
            survey=survey,
            site=site,
            phone=payload.phone,
            ip=request.META.get("REMOTE_ADDR", ""),
        )
    return {"sent": True, "code": code if sms.shows_codes() else ""}


@router.post(
    "/public/{token}/responses",
    auth=None,
    response=SurveyPublicResponseOut,
    operation_id="public_survey_response",
    summary="Owners' public link: one response per phone (with its code when the survey "
    "checks by code); refused when the site's or district's quota is full",
)
def public_response_api(request, token: str, payload: SurveyPublicResponseIn):
    survey = _public_survey(token)
    site = _public_site(payload.site)
    try:
        if survey.phone_check == Survey.PhoneCheck.CODE:
            return distribution.owner_submit_with_code(
                survey=survey,
                site=site,
                phone=payload.phone,
                code=payload.code,
                raw=payload.answers,
            )
        return responses.response_submit(
            actor=None, survey=survey, raw=payload.answers, site=site, phone=payload.phone
        )
    except ValidationError as exc:
        raise _public_422(exc) from None


PUBLIC_FIELDS = {"site", "phone", "code"}


def _public_422(exc):
    """A refused public submission: the phone, code and site at the body's field,
    an answer under `answers` (by question name), the rest (closed, full) at the body."""
    if not hasattr(exc, "error_dict"):
        return unprocessable(exc, loc=("body", "payload"))
    items = []
    for name, messages in exc.message_dict.items():
        if name in PUBLIC_FIELDS:
            loc = ["body", "payload", name]
        elif name == "__all__":
            loc = ["body", "payload"]
        else:
            loc = ["body", "payload", "answers", name]
        items += [{"type": "value_error", "loc": loc, "msg": m} for m in messages]
    return NinjaValidationError(items)


# === The results' background exports and the board's links (issue #19) ===================


# --- exports in the background ----------------------------------------------------------


class ExportIn(Schema):
    format: Literal["csv", "xlsx", "sav"] = Field(
        "csv", description="csv, xlsx, or sav (SPSS: codes with value labels)."
    )
    labels: bool = Field(False, description="Choices as their labels instead of their codes.")
    district_code: str | None = Field(None, max_length=6)
    site_type: str | None = Field(None, max_length=16)
    size_band: str | None = Field(None, max_length=8)


class ExportOut(Schema):
    progress_id: UUID
    status: str = Field(description="queued, running, succeeded or failed.")
    done: int
    total: int
    percent: int
    message: str
    format: str
    rows: int | None = None
    file_url: str | None = Field(None, description="Where to GET the file, once succeeded.")


def _export_out(progress: TaskProgress) -> dict:
    result = progress.result or {}
    done = progress.status == TaskProgress.Status.SUCCEEDED
    return {
        "progress_id": progress.pk,
        "status": progress.status,
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "message": progress.message or result.get("message", ""),
        "format": result.get("format", ""),
        "rows": result.get("rows"),
        "file_url": f"/api/v1/surveys/{result['survey_id']}/exports/{progress.pk}/file"
        if done
        else None,
    }


def _own_export(request, pk: int, progress_id: UUID) -> TaskProgress:
    survey = scoped_object(request, Survey, EXPORT, pk)
    progress = TaskProgress.objects.filter(
        pk=progress_id, owner_id=request.user.pk, kind=EXPORT_KIND
    ).first()
    if progress is None or progress.result.get("survey_id") != survey.pk:
        raise Http404
    return progress


@router.post(
    "/{int:pk}/exports",
    response={202: ExportOut},
    operation_id="start_survey_export",
    summary="Start an export of the responses in the background (CSV, XLSX or SPSS .sav)",
)
def export_start_api(request, pk: RowId, payload: ExportIn):
    """One row per response, the results' filters applied. Follow the export at
    GET /{pk}/exports/{progress_id}; when it has succeeded, GET its `file_url`
    (the caller's own exports only; files are deleted after 24 hours)."""
    survey = scoped_object(request, Survey, EXPORT, pk)
    data = payload.dict(exclude_none=True)
    filters = {k: v for k, v in data.items() if k in results.FILTERS}
    count = results.filtered(
        Response.objects.for_scope(perm_scope(request, EXPORT)).filter(survey=survey), filters
    ).count()
    with validation_errors_as_422():
        check_rows(payload.format, count)
    progress = export_enqueue(
        actor=request.user,
        survey=survey,
        fmt=payload.format,
        labels=payload.labels,
        filters=filters,
    )
    progress.refresh_from_db()
    return Status(202, _export_out(progress))


@router.get(
    "/{int:pk}/exports/{progress_id}",
    response=ExportOut,
    operation_id="get_survey_export",
    summary="An export's progress, and its file's address once done (your own exports)",
)
def export_status_api(request, pk: RowId, progress_id: UUID):
    return _export_out(_own_export(request, pk, progress_id))


@router.get(
    "/{int:pk}/exports/{progress_id}/file",
    response={200: None},
    operation_id="get_survey_export_file",
    summary=f"The finished export's file (your own exports; 404 after {EXPORT_RETENTION_HOURS} h)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}}
                    for kind in ("text/csv", CONTENT_TYPES["xlsx"], CONTENT_TYPES["sav"])
                },
            }
        }
    },
)
def export_file_api(request, pk: RowId, progress_id: UUID):
    progress = _own_export(request, pk, progress_id)
    name = progress.result.get("file", "")
    if progress.status != TaskProgress.Status.SUCCEEDED or not default_storage.exists(name):
        raise Http404
    fmt = progress.result.get("format", "csv")
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=progress.result.get("filename") or f"export.{fmt}",
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
    )


# --- the board's read-only links -----------------------------------------------------------


class BoardLinkIn(Schema):
    label: str = Field("", max_length=60, description="A note for the research group.")
    expires_at: datetime | None = Field(None, description="When the link stops working.")


class BoardLinkOut(Schema):
    link: str = Field(description="The link's id (to revoke it).")
    url: str = Field(description="The board's page: no sign-in.")
    label: str
    expires_at: datetime | None
    created_at: datetime | None
    live: bool = Field(description="Neither revoked nor expired.")


def _link_out(request, row: dict) -> dict:
    link = row["link"]
    return {
        "link": link.link,
        "url": request.build_absolute_uri(reverse("surveys:board", args=[link.token])),
        "label": link.label,
        "expires_at": link.expires_at,
        "created_at": link.created_at,
        "live": row["live"],
    }


@router.get(
    "/{int:pk}/board-links",
    response=list[BoardLinkOut],
    operation_id="list_survey_board_links",
    summary="The survey's read-only links for the board (the research group's)",
)
def board_links_api(request, pk: RowId):
    survey = scoped_object(request, Survey, results.RESEARCH, pk)
    return [_link_out(request, row) for row in board.board_links(survey)]


@router.post(
    "/{int:pk}/board-links",
    response={201: BoardLinkOut},
    operation_id="create_survey_board_link",
    summary="A new read-only link to the survey's figures for the board (audited)",
)
def board_link_create_api(request, pk: RowId, payload: BoardLinkIn):
    """The page behind the link shows counts, percentages and charts with cells under 5
    as "<5", no free text, and needs no sign-in; revoked or expired, it is 404."""
    survey = scoped_object(request, Survey, results.RESEARCH, pk)
    with validation_errors_as_422():
        link = board_link_create(
            actor=request.user, survey=survey, expires_at=payload.expires_at, label=payload.label
        )
    return Status(201, _link_out(request, {"link": link, "live": True}))


@router.delete(
    "/{int:pk}/board-links/{link}",
    response={204: None},
    operation_id="revoke_survey_board_link",
    summary="Revoke a board link: its page answers 404 from now on (audited)",
)
def board_link_revoke_api(request, pk: RowId, link: str = Path(..., max_length=32)):
    survey = scoped_object(request, Survey, results.RESEARCH, pk)
    try:
        board_link_revoke(actor=request.user, survey=survey, link=link)
    except ValidationError as exc:
        raise Http404 from exc
    return Status(204, None)
