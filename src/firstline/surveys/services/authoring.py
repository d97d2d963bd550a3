"""Authoring a draft survey on its page, without XLSForm: add a question, change it,
move it up or down, delete it. A question's section is named on the question (the
questions of one section stand together, a page each on the phone). Refused once the
survey has answers (its questions cannot change: a new version is uploaded, as on
the XLSForm path) or is no longer a draft. Each write is one transaction, the survey
locked, with its audit row; the same checks as an XLSForm row (names, choices,
expressions that read earlier questions)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.surveys.models import AuditAction, Question, Response, Survey
from firstline.surveys.services import expressions

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
AUTHORED = ("select_one", "select_multiple", "rating", "integer", "decimal", "text", "date", "note")
CHOICE_TYPES = ("select_one", "select_multiple", "rating")
MAX_CHOICES = 100
FIELDS = (
    "name",
    "type",
    "label",
    "label_en",
    "hint",
    "required",
    "choices",
    "relevant",
    "constraint",
    "constraint_message",
    "section",
    "section_label",
)


def parse_choices(text: str) -> list[dict]:
    """Choices from lines 'code 标签' (or 'code=标签'); a line of a code alone is labelled
    by its code."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"\s*=\s*|\s+", line, maxsplit=1)
        code = parts[0].strip()
        label = parts[1].strip() if len(parts) > 1 else ""
        out.append({"name": code, "label": label or code, "label_en": ""})
    return out


def choices_text(choices: list[dict]) -> str:
    return "\n".join(f"{c['name']} {c.get('label') or c['name']}" for c in choices)


def _locked(survey_id: int) -> Survey:
    survey = Survey.all_tenants.select_for_update().get(pk=survey_id)
    if Response.all_tenants.filter(survey=survey).exists():
        raise ValidationError(_("问卷已有答卷，题目不能再改；请上传新版本。"))
    if survey.state != Survey.State.DRAFT:
        raise ValidationError(_("只有草稿问卷可以在页面上修改题目。"))
    return survey


def _checked(survey: Survey, data: dict, *, editing: Question | None = None) -> dict:
    """The question's fields, or ValidationError naming each wrong one."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    others = Question.all_tenants.filter(survey=survey)
    if editing is not None:
        others = others.exclude(pk=editing.pk)
    if not NAME_RE.fullmatch(name):
        errors["name"] = [_("变量名以字母开头，只含字母、数字和下划线，不超过 64 个字符。")]
    elif others.filter(name__iexact=name).exists():
        errors["name"] = [_("本问卷已有这个变量名。")]
    kind = data.get("type") or ""
    if kind not in AUTHORED:
        errors["type"] = [_("请选择题型。")]
    choices = data.get("choices") or []
    if kind in CHOICE_TYPES:
        codes = [c["name"] for c in choices]
        if not 2 <= len(choices) <= MAX_CHOICES:
            errors["choices"] = [_("请填写 2 到 %(n)d 个选项，每行一个。") % {"n": MAX_CHOICES}]
        elif len(set(codes)) != len(codes) or not all(
            NAME_RE.fullmatch(c) or c.isdigit() for c in codes
        ):
            errors["choices"] = [_("选项代码不能重复，只含字母、数字和下划线。")]
        elif kind == "rating" and not all(re.fullmatch(r"-?\d{1,3}", c) for c in codes):
            errors["choices"] = [_("评分题的选项代码应为整数分值，例如 1 到 5。")]
    else:
        choices = []
    if not (data.get("label") or "").strip() and kind != "note":
        errors["label"] = [_("请填写题目。")]
    known = set(others.values_list("name", flat=True))
    for field in ("relevant", "constraint"):
        text = (data.get(field) or "").strip()
        if not text:
            continue
        try:
            unknown = expressions.references(expressions.parse(text)) - known
        except expressions.ExpressionError as exc:
            errors[field] = [_("表达式不受支持：%(why)s") % {"why": exc}]
            continue
        if unknown:
            errors[field] = [
                _("引用了不存在的题目 %(names)s。") % {"names": ", ".join(sorted(unknown))}
            ]
    section = (data.get("section") or "").strip()
    if section and not NAME_RE.fullmatch(section):
        errors["section"] = [_("分节名以字母开头，只含字母、数字和下划线。")]
    if errors:
        raise ValidationError(errors)
    section_label = (data.get("section_label") or "").strip()[:200]
    if section and not section_label:  # the section's title as its other questions have it
        section_label = (
            others.filter(section=section)
            .exclude(section_label="")
            .values_list("section_label", flat=True)
            .first()
            or section
        )
    return {
        "name": name,
        "type": kind,
        "label": (data.get("label") or "").strip()[:500],
        "label_en": (data.get("label_en") or "").strip()[:500],
        "hint": (data.get("hint") or "").strip()[:500],
        "required": bool(data.get("required")) and kind != "note",
        "choices": choices,
        "list_name": "",
        "relevant": (data.get("relevant") or "").strip()[:500],
        "constraint": (data.get("constraint") or "").strip()[:500],
        "constraint_message": (data.get("constraint_message") or "").strip()[:200],
        "section": section,
        "section_label": section_label if section else "",
    }


def _audit(actor, survey, action, changes) -> None:
    audit_record(actor=actor, company_id=None, action=action, obj=survey, changes=changes)


def question_add(*, actor, survey: Survey, data: dict) -> Question:
    with transaction.atomic():
        survey = _locked(survey.pk)
        fields = _checked(survey, data)
        last = Question.all_tenants.filter(survey=survey).aggregate(n=Max("position"))["n"]
        question = Question.all_tenants.create(
            association_id=survey.association_id,
            survey=survey,
            position=(last or 0) + 1,
            **fields,
        )
        _audit(actor, survey, AuditAction.QUESTION_ADD, {"name": question.name})
    return question


def question_change(*, actor, question: Question, data: dict) -> Question:
    with transaction.atomic():
        survey = _locked(question.survey_id)
        question = Question.all_tenants.select_for_update().get(pk=question.pk, survey=survey)
        fields = _checked(survey, data, editing=question)
        changed = {k: v for k, v in fields.items() if getattr(question, k) != v}
        for key, value in fields.items():
            setattr(question, key, value)
        question.save()
        _audit(
            actor,
            survey,
            AuditAction.QUESTION_CHANGE,
            {"name": question.name, "fields": sorted(changed)},
        )
    return question


def question_move(*, actor, question: Question, step: int) -> None:
    """One place up (step -1) or down (+1): swapped with its neighbour."""
    with transaction.atomic():
        survey = _locked(question.survey_id)
        rows = list(Question.all_tenants.filter(survey=survey).order_by("position", "id"))
        index = next(i for i, q in enumerate(rows) if q.pk == question.pk)
        other = index + (1 if step > 0 else -1)
        if not 0 <= other < len(rows):
            return
        rows[index], rows[other] = rows[other], rows[index]
        for position, q in enumerate(rows, start=1):
            q.position = position
        Question.all_tenants.bulk_update(rows, ["position"])
        _audit(actor, survey, AuditAction.QUESTION_MOVE, {"name": question.name, "step": step})


def question_delete(*, actor, question: Question) -> None:
    with transaction.atomic():
        survey = _locked(question.survey_id)
        name = question.name
        readers = [
            q.name
            for q in Question.all_tenants.filter(survey=survey).exclude(pk=question.pk)
            if name
            in set().union(
                *(
                    expressions.references(expressions.parse(text))
                    for text in (q.relevant, q.constraint, q.calculation)
                    if text
                )
            )
        ]
        if readers:
            raise ValidationError(
                _("题目 %(names)s 的条件用到了它，请先修改那些题目。")
                % {"names": ", ".join(readers)}
            )
        Question.all_tenants.filter(pk=question.pk).delete()
        _audit(actor, survey, AuditAction.QUESTION_DELETE, {"name": name})
