"""Answering, one page at a time on a phone, without JavaScript for every type:
the owners' public link (/surveys/s/<token>/) and the company admin's page
(/surveys/<pk>/answer/). The answers given so far live in the session between
pages, so a dropped connection loses nothing already sent; skip logic is worked out
here (services/responses.py): a page only ever shows questions whose condition
holds on what was answered before, and a skipped question's answer is never kept.

One response per phone (owners): the phone is asked first and only its keyed HMAC
is kept in the session; the response's unique (survey, phone digest) decides
between concurrent submissions. The device also gets a signed cookie after it
answered, which shows the "already answered" page to the same browser."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.masking import mask_phone
from firstline.core.roles import SURVEYS_ANSWER
from firstline.core.views import ScopedViewMixin
from firstline.health.services import sms
from firstline.surveys.models import Assignment, Question, Response, Survey
from firstline.surveys.selectors import public
from firstline.surveys.services import distribution, responses, uploads

COOKIE = "fl_survey_{pk}"
COOKIE_SALT = "firstline.surveys.device"
COOKIE_AGE = 180 * 24 * 3600


def _state_key(survey: Survey, who: str) -> str:
    return f"fl_survey:{survey.pk}:{who}"


def _raw_from_post(post, page) -> dict:
    raw = {}
    for q in page.questions:
        if not q.asks or q.is_upload:  # an upload: its file, below (`_uploads`)
            continue
        if q.type == Question.Type.SELECT_MULTIPLE:
            raw[q.name] = post.getlist(q.name)
        else:
            raw[q.name] = post.get(q.name, "")
    return raw


def _uploads(files, page, raw: dict) -> dict:
    """The page's uploaded files kept (their paths into `raw`); errors by name. A
    question sent without a new file keeps the file it had."""
    errors = {}
    for q in page.questions:
        upload = files.get(q.name) if q.is_upload else None
        if upload is None:
            continue
        try:
            raw[q.name] = uploads.upload_store(question=q, upload=upload)
        except ValidationError as exc:
            errors[q.name] = exc.messages
    return errors


def _visible(pages, index: int, answers: dict, step: int) -> int | None:
    """The first page from `index` (going by `step`) that shows a question."""
    while 0 <= index < len(pages):
        if responses.section_shown(pages[index], answers):
            return index
        index += step
    return None


def _fields(page, raw: dict, answers: dict, errors: dict) -> list[dict]:
    out = []
    for q in page.questions:
        if q.type == Question.Type.CALCULATE or not responses.relevant(q, answers):
            continue
        value = raw.get(q.name)
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        out.append(
            {
                "q": q,
                "value": "" if isinstance(value, list) or value is None else value,
                "file_name": uploads.file_name(value)
                if q.is_upload and isinstance(value, str) and value
                else "",
                "values": [str(v) for v in values],
                "errors": errors.get(q.name, []),
            }
        )
    return out


def _blocks(fields: list[dict]) -> list[dict]:
    """The page's fields as the template draws them: a question alone, or the rows
    of one matrix together as a table (its columns the first row's choices)."""
    out: list[dict] = []
    for f in fields:
        q = f["q"]
        if q.matrix and q.is_single_choice:
            if out and out[-1].get("matrix", {}).get("name") == q.matrix:
                out[-1]["rows"].append(f)
                continue
            matrix = {"name": q.matrix, "label": q.matrix_label, "label_en": q.matrix_label_en}
            out.append({"matrix": matrix, "choices": q.choices, "rows": [f]})
            continue
        out.append({"field": f})
    return out


def wizard(request, *, survey, questions, key: str, submit, template: str, ctx: dict):
    """The page-by-page form. `submit(raw)` writes the response (may raise
    ValidationError) and returns where to go."""
    pages = responses.pages(questions)
    state = request.session.get(key) or {"raw": {}}
    raw = state["raw"]
    answers, _errors = responses.clean(questions, raw)
    errors: dict = {}
    general: list[str] = []
    try:
        asked = int(request.POST.get("page", request.GET.get("page", 0)))
    except ValueError:
        asked = 0
    asked = min(max(asked, 0), max(len(pages) - 1, 0))
    index = _visible(pages, asked, answers, 1)
    if request.method == "POST":
        page = pages[asked]
        raw.update(_raw_from_post(request.POST, page))
        upload_errors = _uploads(request.FILES, page, raw)
        state["raw"] = raw
        request.session[key] = state
        answers, all_errors = responses.clean(questions, raw)
        errors = {q.name: all_errors[q.name] for q in page.questions if q.name in all_errors}
        errors.update(upload_errors)
        if errors:
            index = asked
        elif "back" in request.POST:
            index = _visible(pages, asked - 1, answers, -1)
            index = asked if index is None else index
        else:
            index = _visible(pages, asked + 1, answers, 1)
            if index is None:  # the last page: submit
                try:
                    target = submit(raw)
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        errors = exc.message_dict
                        general = errors.pop("phone", []) + errors.pop("__all__", [])
                        wrong = [
                            i
                            for i, p in enumerate(pages)
                            if {q.name for q in p.questions} & set(errors)
                        ]
                        index = wrong[0] if wrong else asked
                    else:
                        general = exc.messages
                        index = asked
                else:
                    request.session.pop(key, None)
                    return target
    if index is None:
        index = 0
    page = pages[index] if pages else None
    shown = [i for i in range(len(pages)) if responses.section_shown(pages[i], answers)]
    return render(
        request,
        template,
        {
            **ctx,
            "survey": survey,
            "page": page,
            "page_index": index,
            "page_number": (shown.index(index) + 1) if index in shown else 1,
            "page_count": len(shown) or 1,
            "first": not shown or index == shown[0],
            "last": not shown or index == shown[-1],
            "blocks": _blocks(_fields(page, raw, answers, errors) if page else []),
            "general_errors": general,
            "has_errors": bool(errors or general),
        },
        status=200,
    )


# --- owners: the public link ---------------------------------------------------------------


def _public_ctx(token: str, survey: Survey) -> dict:
    return {"token": token, "action": reverse("surveys:public", args=[token])}


def _answered_cookie(request, survey: Survey) -> bool:
    return (
        request.get_signed_cookie(COOKIE.format(pk=survey.pk), default=None, salt=COOKIE_SALT)
        is not None
    )


def closed_reason(survey: Survey, now=None) -> str:
    """Why a survey does not take answers: "not_yet" (before its open time),
    "ended" (after its close time, or closed), "draft"."""
    now = now or timezone.now()
    if survey.state == Survey.State.DRAFT:
        return "draft"
    if survey.state == Survey.State.OPEN and survey.opens_at and now < survey.opens_at:
        return "not_yet"
    return "ended"


def _closed(request, ctx, survey):
    return render(
        request,
        "surveys/public_closed.html",
        {**ctx, "survey": survey, "reason": closed_reason(survey)},
    )


def _full(request, ctx, survey, message):
    return render(
        request, "surveys/public_full.html", {**ctx, "survey": survey, "message": message}
    )


def _phone_by_code(request, survey, site, state, key, ctx):
    """The phone proved by a one-time code (health's OTP): the number, then the code.
    The number travels in the form between the two steps; the session keeps only
    its digest, once verified."""
    step, error, phone, shown_code = "phone", "", "", ""
    if request.method == "POST":
        phone = request.POST.get("phone", "")[:32]
        try:
            if request.POST.get("action") == "verify":
                digest = distribution.owner_verify_code(
                    survey=survey, site=site, phone=phone, code=request.POST.get("code", "")[:12]
                )
                state["phone"] = digest
                state["verified"] = True
                request.session[key] = state
                return redirect("surveys:public", token=survey.token)
            code = distribution.owner_request_code(
                survey=survey, site=site, phone=phone, ip=request.META.get("REMOTE_ADDR", "")
            )
            step = "code"
            if sms.shows_codes():
                shown_code = code
        except ValidationError as exc:
            if getattr(exc, "code", None) == "closed":
                return _closed(request, ctx, survey)
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            error = " ".join(m for ms in errors.values() for m in ms)
            step = "code" if "code" in errors or request.POST.get("resend") else "phone"
    return render(
        request,
        "surveys/public_code.html",
        {
            **ctx,
            "survey": survey,
            "site": site,
            "step": step,
            "error": error,
            "phone": phone if step == "code" else "",
            "phone_masked": mask_phone(phone) if step == "code" and phone else "",
            "shown_code": shown_code,
        },
    )


def public_answer(request, token: str):
    survey = public.survey_by_token(token)
    if survey is None:
        raise Http404
    ctx = _public_ctx(token, survey)
    if not survey.accepting():
        return _closed(request, ctx, survey)
    if _answered_cookie(request, survey):
        return render(request, "surveys/public_done.html", {**ctx, "survey": survey, "again": True})
    key = _state_key(survey, "owner")
    state = request.session.get(key) or {"raw": {}}
    if site_token := request.GET.get("site"):
        site = public.site_from_token(site_token)
        if site is not None:
            state["site"] = site.pk
            request.session[key] = state
    site = public.site_from_pk(state.get("site"))
    if site is not None:
        ctx["site"] = site
    if survey.needs_site and site is None:
        return render(request, "surveys/public_site_needed.html", {**ctx, "survey": survey})
    if kind := responses.quota_full(survey, site):
        return _full(request, ctx, survey, responses.full_message(kind))
    if not state.get("phone"):
        if survey.phone_check == Survey.PhoneCheck.CODE:
            return _phone_by_code(request, survey, site, state, key, ctx)
        error = ""
        if request.method == "POST" and "phone" in request.POST:
            phone = request.POST.get("phone", "")
            try:
                validate_phone(phone)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                digest = lookup_digest("phone", phone)
                if responses.already_answered(survey=survey, phone_digest=digest):
                    error = _("这个手机号已经填写过本问卷，感谢参与。")
                else:
                    state["phone"] = digest
                    request.session[key] = state
                    return redirect("surveys:public", token=token)
        return render(
            request, "surveys/public_phone.html", {**ctx, "survey": survey, "error": error}
        )
    questions = public.questions_of(survey)

    def submit(raw):
        try:
            responses.response_submit(
                actor=None, survey=survey, raw=raw, site=site, phone_digest=state["phone"]
            )
        except ValidationError as exc:
            code = getattr(exc, "code", None)
            if code == "quota_full":
                request.session.pop(key, None)
                return _full(request, ctx, survey, exc.messages[0])
            if code == "closed":
                return _closed(request, ctx, survey)
            raise
        done = redirect("surveys:public_done", token=token)
        done.set_signed_cookie(
            COOKIE.format(pk=survey.pk),
            "1",
            salt=COOKIE_SALT,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
        )
        return done

    return wizard(
        request,
        survey=survey,
        questions=questions,
        key=key,
        submit=submit,
        template="surveys/public_page.html",
        ctx=ctx,
    )


def public_done(request, token: str):
    survey = public.survey_by_token(token)
    if survey is None:
        raise Http404
    return render(
        request, "surveys/public_done.html", {**_public_ctx(token, survey), "survey": survey}
    )


# --- companies: the company admin answers ---------------------------------------------------


def _company_wizard(request, *, survey, company, existing, ctx: dict, done: str):
    """The company's page-by-page form, for its admin or its delegate."""
    ctx = {**ctx, "company": company, "existing": existing}
    if not survey.accepting():
        return render(
            request,
            "surveys/answer_closed.html",
            {**ctx, "survey": survey, "reason": closed_reason(survey)},
        )
    if request.method == "GET":
        distribution.mark_started(survey=survey, company_id=company.pk)
    key = _state_key(survey, f"company{company.pk}")
    if existing is not None and key not in request.session:
        request.session[key] = {"raw": dict(existing.answers)}
    questions = public.questions_of(survey)

    def submit(raw):
        responses.response_submit(actor=request.user, survey=survey, raw=raw, company=company)
        messages.success(request, _("已提交，感谢填写。"))
        return redirect(done)

    return wizard(
        request,
        survey=survey,
        questions=questions,
        key=key,
        submit=submit,
        template="surveys/answer_page.html",
        ctx=ctx,
    )


class CompanyAnswer(ScopedViewMixin, generic.View):
    """A company survey, answered by the company admin for the company: one response
    per company (answering again while it is open replaces the answers). The admin
    may instead delegate it to a staff user (views/distribution.py)."""

    model = Survey
    permission = SURVEYS_ANSWER

    def refine(self, qs):
        return qs.filter(audience=Survey.Audience.COMPANIES).exclude(state=Survey.State.DRAFT)

    def dispatch_survey(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        company_ids = sorted(self.scope.company_ids)
        if not company_ids:
            raise Http404
        from firstline.orgs.models import Company

        company = (
            Company.objects.for_scope(self.scope).select_related("division").get(pk=company_ids[0])
        )
        mine = Response.objects.for_scope(self.scope).filter(survey=survey, company=company).first()
        task = (
            Assignment.objects.for_scope(self.scope)
            .filter(survey=survey, company=company)
            .select_related("delegate")
            .first()
        )
        ctx = {
            "action": reverse("surveys:answer", args=[survey.pk]),
            "task": task,
            "can_delegate": True,
        }
        return _company_wizard(
            request,
            survey=survey,
            company=company,
            existing=mine,
            ctx=ctx,
            done=reverse("surveys:my_surveys"),
        )

    def get(self, request, pk):
        return self.dispatch_survey(request, pk)

    def post(self, request, pk):
        return self.dispatch_survey(request, pk)


class DelegatedAnswer(LoginRequiredMixin, generic.View):
    """A company survey answered by the staff user its company admin delegated it
    to: that survey, for that company, and the company's response to it only."""

    def task(self, request, pk):
        task = (
            distribution.delegated_tasks(request.scope, request.user.pk)
            .filter(survey_id=pk)
            .select_related("company__division")
            .first()
        )
        if task is None:
            raise Http404
        return task

    def answer(self, request, pk):
        task = self.task(request, pk)
        scope = distribution.delegated_scope(request.scope)
        existing = (
            Response.objects.for_scope(scope)
            .filter(survey_id=task.survey_id, company_id=task.company_id, phone_digest="")
            .first()
        )
        return _company_wizard(
            request,
            survey=task.survey,
            company=task.company,
            existing=existing,
            ctx={"action": reverse("surveys:delegated_answer", args=[pk]), "task": task},
            done=reverse("surveys:delegated_list"),
        )

    def get(self, request, pk):
        return self.answer(request, pk)

    def post(self, request, pk):
        return self.answer(request, pk)
