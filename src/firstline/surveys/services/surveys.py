"""Writes of surveys: create one from an XLSForm workbook, open, close, a new
version. Each is one transaction with its audit row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.surveys.models import AuditAction, Question, Response, Survey
from firstline.surveys.services import xlsform

MANAGE = "surveys.manage_survey"

QUESTION_FIELDS = (
    "name",
    "type",
    "label",
    "label_en",
    "hint",
    "required",
    "choices",
    "list_name",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "section",
    "section_label",
    "section_label_en",
    "section_relevant",
    "matrix",
    "matrix_label",
    "matrix_label_en",
)


def region_choices(association_id: int):
    """The region pickers' choices for an association's forms: by reserved list name,
    the divisions of that level under its own division (all when it has none), each
    with its parent's name to group them by."""
    from firstline.geo.models import Division
    from firstline.orgs.models import Association

    root = (
        Association.objects.filter(pk=association_id).values_list("division__code", flat=True)
    ).first()

    def regions(used: set[str]) -> dict:
        out = {}
        for list_name in used:
            level = xlsform.REGION_LISTS[list_name]
            qs = Division.objects.filter(level=level)
            if root:
                qs = qs.filter(code__startswith=root)
            rows = qs.order_by("code").values_list("code", "name", "name_en", "parent__name")
            out[list_name] = [
                {"name": code, "label": name, "label_en": name_en, "group": parent or ""}
                for code, name, name_en, parent in rows[: xlsform.REGION_MAX + 1]
            ]
        return out

    return regions


def _questions(survey: Survey, parsed: list[dict]) -> list[Question]:
    return [
        Question(
            association_id=survey.association_id,
            survey=survey,
            position=index,
            **{
                key: (value[:500] if isinstance(value, str) else value)
                for key, value in q.items()
                if key in QUESTION_FIELDS
            },
        )
        for index, q in enumerate(parsed, start=1)
    ]


def survey_create(
    *,
    actor,
    association_id: int,
    data: bytes,
    filename: str,
    audience: str,
    title: str = "",
    opens_at=None,
    closes_at=None,
) -> Survey:
    """A draft survey from an XLSForm workbook; nothing saved when any row is refused."""
    if audience not in Survey.Audience.values:
        raise ValidationError({"audience": _("请选择调查对象。")})
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("截止时间应晚于开始时间。")})
    parsed = xlsform.parse(data, filename=filename, regions=region_choices(association_id))
    with transaction.atomic():
        survey = Survey.all_tenants.create(
            association_id=association_id,
            title=(title or parsed.title)[:200],
            title_en=parsed.title_en,
            form_id=parsed.form_id,
            audience=audience,
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        Question.all_tenants.bulk_create(_questions(survey, parsed.questions))
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SURVEY_CREATE,
            obj=survey,
            changes={"file": filename, "rows": len(parsed.questions)},
        )
    return survey


def survey_replace_questions(*, actor, survey: Survey, data: bytes, filename: str) -> Survey:
    """A draft's questions from a new workbook; refused once the survey has answers."""
    parsed = xlsform.parse(data, filename=filename, regions=region_choices(survey.association_id))
    with transaction.atomic():
        survey = Survey.all_tenants.select_for_update().get(pk=survey.pk)
        if Response.all_tenants.filter(survey=survey).exists():
            raise ValidationError(_("问卷已有答卷，题目不能再改；请发布新版本。"))
        Question.all_tenants.filter(survey=survey).delete()
        Question.all_tenants.bulk_create(_questions(survey, parsed.questions))
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SURVEY_CREATE,
            obj=survey,
            changes={"file": filename, "rows": len(parsed.questions)},
        )
    return survey


def survey_open(*, actor, survey: Survey) -> Survey:
    with transaction.atomic():
        changed = Survey.all_tenants.filter(
            pk=survey.pk, state__in=[Survey.State.DRAFT, Survey.State.CLOSED]
        ).update(state=Survey.State.OPEN, updated_at=timezone.now())
        if not changed:
            raise ValidationError(_("问卷已在进行中。"))
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SURVEY_OPEN,
            obj=survey,
            changes={"state": [survey.state, Survey.State.OPEN]},
        )
    survey.state = Survey.State.OPEN
    return survey


def survey_close(*, actor, survey: Survey) -> Survey:
    with transaction.atomic():
        changed = Survey.all_tenants.filter(pk=survey.pk, state=Survey.State.OPEN).update(
            state=Survey.State.CLOSED, updated_at=timezone.now()
        )
        if not changed:
            raise ValidationError(_("问卷不在进行中。"))
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SURVEY_CLOSE,
            obj=survey,
            changes={"state": [Survey.State.OPEN, Survey.State.CLOSED]},
        )
    survey.state = Survey.State.CLOSED
    return survey


def survey_new_version(*, actor, survey: Survey, data: bytes, filename: str) -> Survey:
    """A new draft version of a survey (the old one keeps its answers), with the
    questions of a new workbook."""
    parsed = xlsform.parse(data, filename=filename, regions=region_choices(survey.association_id))
    with transaction.atomic():
        new = Survey.all_tenants.create(
            association_id=survey.association_id,
            title=survey.title,
            title_en=survey.title_en,
            form_id=parsed.form_id or survey.form_id,
            audience=survey.audience,
            version=survey.version + 1,
            previous=survey,
            opens_at=survey.opens_at,
            closes_at=survey.closes_at,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        Question.all_tenants.bulk_create(_questions(new, parsed.questions))
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.SURVEY_VERSION,
            obj=new,
            changes={"file": filename, "previous": survey.pk},
        )
    return new
