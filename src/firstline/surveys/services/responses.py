"""Answering: each answer read and checked against its question (type, required,
constraint), skip logic applied server-side (a question whose `relevant` does not
hold is never shown and its answer is never stored), computed values worked out,
and the response written once: one per company for a company survey, one per phone
for an owners' survey (the phone's keyed HMAC under a unique constraint, so twenty
concurrent submissions of one phone keep exactly one)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.identity import validate_phone
from firstline.core.services import audit_record
from firstline.estates.models import Site
from firstline.surveys.models import AuditAction, Question, QuotaCounter, Response, Survey
from firstline.surveys.services import expressions

MAX_TEXT = 2000


@dataclass
class Section:
    key: str
    label: str
    label_en: str
    relevant: str
    questions: list[Question]


def sections(questions: list[Question]) -> list[Section]:
    """The form's pages in order: each top-level group, and the questions outside any
    group between them, a page each."""
    out: list[Section] = []
    for q in questions:
        key = q.section or f"_{len(out)}"
        if out and (out[-1].key == q.section if q.section else out[-1].key.startswith("_")):
            out[-1].questions.append(q)
            continue
        out.append(Section(key, q.section_label, q.section_label_en, q.section_relevant, [q]))
    return out


def pages(questions: list[Question]) -> list[Section]:
    """The phone's pages: each section, split where a question's condition reads a
    question of the same page, so that without JavaScript a question is shown only
    once everything its condition reads has been answered (a skipped question is
    never shown)."""
    out: list[Section] = []
    for section in sections(questions):
        names: set[str] = set()
        current = Section(section.key, section.label, section.label_en, section.relevant, [])
        for q in section.questions:
            reads = expressions.references(expressions.parse(q.relevant)) if q.relevant else set()
            if reads & names and current.questions:
                out.append(current)
                current = Section(
                    section.key, section.label, section.label_en, section.relevant, []
                )
                names = set()
            current.questions.append(q)
            names.add(q.name)
        if current.questions:
            out.append(current)
    return out


def relevant(question: Question, answers: Mapping) -> bool:
    return expressions.truth(question.section_relevant, answers) and expressions.truth(
        question.relevant, answers
    )


def section_shown(section: Section, answers: Mapping) -> bool:
    """A page is shown when its group's condition holds and one of its questions is."""
    return expressions.truth(section.relevant, answers) and any(
        q.asks and relevant(q, answers) for q in section.questions
    )


def coerce(question: Question, raw):
    """The stored value of one raw answer (text from a form, or JSON from the API);
    None when unanswered; ValidationError when it is not an answer of this type."""
    if question.type == Question.Type.SELECT_MULTIPLE:
        items = (
            raw
            if isinstance(raw, (list, tuple))
            else ([] if raw in (None, "") else str(raw).split())
        )
        names = [c["name"] for c in question.choices]
        chosen = {str(item) for item in items if str(item) != ""}
        if chosen - set(names):
            raise ValidationError(_("请选择列出的选项。"))
        return [name for name in names if name in chosen] or None
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    kind = question.type
    if question.is_single_choice:
        if str(text) not in {c["name"] for c in question.choices}:
            raise ValidationError(_("请选择列出的选项。"))
        return str(text)
    if kind == Question.Type.INTEGER:
        try:
            value = int(str(text))
        except ValueError:
            raise ValidationError(_("请填写整数。")) from None
        if abs(value) > 2**53:
            raise ValidationError(_("数字过大。"))
        return value
    if kind == Question.Type.DECIMAL:
        try:
            value = float(str(text))
        except ValueError:
            raise ValidationError(_("请填写数字。")) from None
        if math.isnan(value) or math.isinf(value) or abs(value) > 1e15:
            raise ValidationError(_("请填写数字。"))
        return value
    if kind == Question.Type.DATE:
        try:
            return datetime.date.fromisoformat(str(text)).isoformat()
        except ValueError:
            raise ValidationError(_("日期格式应为 年-月-日。")) from None
    if question.is_upload:
        from firstline.surveys.services.uploads import is_stored

        if not is_stored(question, text):
            raise ValidationError(_("请在页面上上传文件。"))
        return text
    if kind == Question.Type.TEXT:
        value = str(text)
        if len(value) > MAX_TEXT:
            raise ValidationError(_("不超过 %(n)d 个字。") % {"n": MAX_TEXT})
        if "\x00" in value:
            raise ValidationError(_("含有无效字符。"))
        return value
    return None


def _number_value(value):
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return int(value) if value.is_integer() else round(value, 6)
    if isinstance(value, bool):
        return value
    return value


def clean(questions: list[Question], raw: Mapping, *, only: set[str] | None = None):
    """Answers by name from `raw`, in form order: a question that is not relevant
    given the answers before it is skipped and its answer dropped; computed values
    are worked out. `only`: check just these questions (one page), keeping the
    others' answers as given. Returns (answers, errors by name)."""
    answers: dict = {}
    errors: dict[str, list[str]] = {}
    for q in questions:
        if not relevant(q, answers):
            continue
        if q.type == Question.Type.CALCULATE:
            try:
                value = expressions.evaluate(expressions.parse(q.calculation), answers)
            except expressions.ExpressionError:
                value = None
            value = _number_value(value) if not isinstance(value, str) else value
            if value not in (None, ""):
                answers[q.name] = value
            continue
        if not q.asks:
            continue
        checking = only is None or q.name in only
        try:
            value = coerce(q, raw.get(q.name))
        except ValidationError as exc:
            if checking:
                errors[q.name] = exc.messages
            continue
        if value is None:
            if q.required and checking:
                errors[q.name] = [_("此题必答。")]
            continue
        if q.constraint and checking:
            try:
                ok = expressions.truth(q.constraint, answers, current=value)
            except expressions.ExpressionError:
                ok = True
            if not ok:
                errors[q.name] = [q.constraint_message or _("答案不符合要求。")]
                continue
        answers[q.name] = value
    return answers, errors


def _place(company=None, site=None) -> dict:
    """What the results' filters read, copied onto the response."""
    place = {"district_code": "", "site_type": "", "size_band": ""}
    if site is not None:
        place["district_code"] = site.community.code[:6]
        place["site_type"] = site.site_type
    if company is not None:
        if not place["district_code"]:
            place["district_code"] = company.division.code[:6]
        count = Site.all_tenants.filter(company_id=company.pk).count()
        place["size_band"] = (
            Response.SizeBand.SMALL
            if count < 5
            else Response.SizeBand.MEDIUM
            if count < 20
            else Response.SizeBand.LARGE
        )
    return place


def response_submit(
    *,
    actor,
    survey: Survey,
    raw: Mapping,
    company=None,
    site=None,
    phone: str = "",
    phone_digest: str = "",
    now=None,
) -> Response:
    """One response. A company survey takes the company (its admin answering); an
    owners' survey the phone. A second submission of the same company replaces its
    answers while the survey is open; a second one of the same phone is refused."""
    now = now or timezone.now()
    if not survey.accepting(now):
        raise ValidationError(_("问卷未开放或已结束。"), code="closed")
    if survey.audience == Survey.Audience.OWNERS and survey.needs_site and site is None:
        raise ValidationError(_("请扫描所在项目的二维码填写本问卷。"), code="site_needed")
    if (
        survey.audience == Survey.Audience.OWNERS
        and survey.phone_check == Survey.PhoneCheck.CODE
        and not phone_digest
    ):
        raise ValidationError({"phone": _("请先用短信验证码验证手机号。")})
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    answers, errors = clean(questions, raw)
    if errors:
        raise ValidationError(errors)
    digest = ""
    if survey.audience == Survey.Audience.OWNERS:
        if phone_digest:
            digest = phone_digest
        else:
            try:
                validate_phone(phone or "")
            except ValidationError:
                raise ValidationError({"phone": _("手机号应为 11 位，以 1 开头。")}) from None
            digest = lookup_digest("phone", phone)
        company = site.company if site is not None else None
    elif company is None:
        raise ValidationError(_("企业问卷须由企业管理员填写。"))
    place = _place(company=company, site=site)
    places = quota_places(survey, site) if survey.audience == Survey.Audience.OWNERS else []
    _ensure_counters(survey, places)
    with transaction.atomic():
        if survey.audience == Survey.Audience.COMPANIES:
            existing = (
                Response.all_tenants.select_for_update()
                .filter(survey=survey, company=company, phone_digest="")
                .first()
            )
            if existing is not None:
                existing.answers = answers
                existing.submitted_at = now
                existing.submitted_by = actor if getattr(actor, "is_authenticated", False) else None
                existing.save(update_fields=["answers", "submitted_at", "submitted_by"])
                response = existing
            else:
                response = _insert(survey, answers, company, site, digest, place, actor, now)
        else:
            # The quota's places first (site, then district: one order, no deadlock);
            # a refused insert below rolls them back with it.
            _take_places(survey, places)
            response = _insert(survey, answers, company, site, digest, place, actor, now)
        audit_record(
            actor=actor,
            company_id=company.pk if company is not None else None,
            action=AuditAction.RESPONSE_SUBMIT,
            obj=response,
            changes={"survey": survey.pk},
        )
    return response


def _insert(survey, answers, company, site, digest, place, actor, now) -> Response:
    try:
        with transaction.atomic():
            return Response.all_tenants.create(
                association_id=survey.association_id,
                survey=survey,
                company=company,
                site=site,
                phone_digest=digest,
                answers=answers,
                submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
                submitted_at=now,
                **place,
            )
    except IntegrityError:
        if digest:
            raise ValidationError({"phone": _("这个手机号已经填写过本问卷。")}) from None
        raise ValidationError(_("本企业已提交过本问卷。")) from None


# --- quotas per site and per district ------------------------------------------------------


def quota_places(survey: Survey, site) -> list[tuple[str, str, int]]:
    """(kind, key, quota) of each quota a response from `site` counts against."""
    if site is None:
        return []
    out = []
    if survey.quota_per_site:
        out.append((QuotaCounter.Kind.SITE, str(site.pk), survey.quota_per_site))
    if survey.quota_per_district:
        out.append((QuotaCounter.Kind.DISTRICT, site.community.code[:6], survey.quota_per_district))
    return out


def _responses_at(survey: Survey, kind: str, key: str):
    rows = Response.all_tenants.filter(survey=survey)
    if kind == QuotaCounter.Kind.SITE:
        return rows.filter(site_id=int(key))
    return rows.filter(district_code=key)


def _ensure_counters(survey: Survey, places) -> None:
    """Each place's counter, made on first use with the responses it already has
    (answers given before the quota was set count too). Committed on its own: the
    submission's transaction then only updates it."""
    if not places:
        return
    have = set(
        QuotaCounter.all_tenants.filter(
            survey=survey,
            kind__in={k for k, _key, _q in places},
            key__in={k for _k, k, _q in places},
        ).values_list("kind", "key")
    )
    missing = [
        QuotaCounter(
            association_id=survey.association_id,
            survey=survey,
            kind=kind,
            key=key,
            count=_responses_at(survey, kind, key).count(),
        )
        for kind, key, _quota in places
        if (kind, key) not in have
    ]
    if missing:
        QuotaCounter.all_tenants.bulk_create(missing, ignore_conflicts=True)


def _take_places(survey: Survey, places) -> None:
    """One place under each quota, or ValidationError(code="quota_full"). A
    conditional UPDATE: concurrent submissions queue on the counter's row, and each
    sees the count the one before it committed."""
    for kind, key, quota in places:
        taken = QuotaCounter.all_tenants.filter(
            survey=survey, kind=kind, key=key, count__lt=quota
        ).update(count=F("count") + 1)
        if not taken:
            raise ValidationError(full_message(kind), code="quota_full")


def full_message(kind: str) -> str:
    if kind == QuotaCounter.Kind.DISTRICT:
        return _("本区县的答卷已满，感谢您的关注。")
    return _("本项目的答卷已满，感谢您的关注。")


def quota_full(survey: Survey, site) -> str | None:
    """The kind of the first quota `site` has reached (the public page's "已满"
    before the first question), or None. The submission decides for sure."""
    places = quota_places(survey, site)
    if not places:
        return None
    counts = dict(
        ((kind, key), count)
        for kind, key, count in QuotaCounter.all_tenants.filter(
            survey=survey,
            kind__in={k for k, _key, _q in places},
            key__in={k for _k, k, _q in places},
        ).values_list("kind", "key", "count")
    )
    for kind, key, quota in places:
        count = counts.get((kind, key))
        if count is None:
            count = _responses_at(survey, kind, key).count()
        if count >= quota:
            return kind
    return None


def forget_counters(survey: Survey, kinds) -> None:
    """Drop the counters of quotas the survey no longer has: when a quota of that
    kind is set again, its counters are made afresh from the responses."""
    if kinds:
        QuotaCounter.all_tenants.filter(survey=survey, kind__in=list(kinds)).delete()


def already_answered(*, survey: Survey, phone_digest: str) -> bool:
    """Whether a phone (by its digest) has answered an owners' survey: the public
    page asks before the first question, the unique constraint decides at the end."""
    return Response.all_tenants.filter(survey=survey, phone_digest=phone_digest).exists()
