"""A consultation's life: asked by a member company, assigned by the desk to experts
of the pool, answered in a thread with follow-up questions, resolved, and closed by
the company with a satisfaction rating.

Status moves:  new → assigned (the desk assigns)
               assigned / awaiting → answered (an expert or the desk replies)
               answered / resolved → awaiting (the company asks a follow-up)
               answered → resolved (the expert or the desk)
               answered / awaiting / resolved → closed (the company, with a rating)

The due times are the category's service levels counted from the question (half of
each for an urgent one); the first reply is the first message from an expert or the
desk. Every write is one transaction with its audit row; the row is locked first, so
two replies at once move the status once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.consultations.models import (
    Assignment,
    Attachment,
    AuditAction,
    Category,
    Conflict,
    Consultation,
    Expert,
    Message,
)
from firstline.consultations.services.files import file_kind, file_name
from firstline.core.services import audit_record, stored_actor
from firstline.geo.models import Division
from firstline.orgs.models import Company, Membership

Status = Consultation.Status
MAX_FILES = 5
MAX_EXPERTS = 5


def due_times(category: Category, urgency: str, asked_at: datetime) -> tuple[datetime, datetime]:
    """(first reply due, resolution due) for a question asked at `asked_at`."""
    first, resolution = category.first_reply_hours, category.resolution_hours
    if urgency == Consultation.Urgency.URGENT:
        first, resolution = max(1, first // 2), max(1, resolution // 2)
    return asked_at + timedelta(hours=first), asked_at + timedelta(hours=resolution)


def _author_name(actor) -> str:
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "") or "—")[:64]


def _text(value: str, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": max_length}}
        )
    return value


def _files(consultation: Consultation, message: Message | None, files, actor) -> list[Attachment]:
    files = [f for f in files or [] if f]
    if len(files) > MAX_FILES:
        raise ValidationError({"attachment": _("一次最多上传 %(n)d 个附件。") % {"n": MAX_FILES}})
    kinds = [file_kind(f) for f in files]  # every file checked before any is stored
    out = []
    for upload, kind in zip(files, kinds, strict=True):
        attachment = Attachment(
            company_id=consultation.company_id,
            consultation=consultation,
            message=message,
            name=file_name(upload.name),
            content_type=kind,
            size=upload.size,
            uploaded_by=stored_actor(actor),
        )
        attachment.file.save(attachment.name, upload, save=False)
        attachment.save()
        out.append(attachment)
    return out


def consultation_ask(
    *,
    actor,
    company: Company,
    category: Category,
    region: Division | None,
    title: str,
    description: str,
    urgency: str = Consultation.Urgency.NORMAL,
    files=(),
    now: datetime | None = None,
) -> Consultation:
    """A member company's question to its association (the category's association,
    of which the company must be a member). The region defaults to the company's."""
    errors = {}
    if not Membership.objects.filter(
        company_id=company.pk, association_id=category.association_id
    ).exists():
        errors["category"] = _("贵企业不是该协会的会员。")
    elif not category.active:
        errors["category"] = _("该类别已停用。")
    if urgency not in Consultation.Urgency.values:
        errors["urgency"] = _("未知的紧急程度。")
    region = region or company.division
    if region is None:
        errors["region"] = _("请选择所在地区。")
    try:
        title = _text(title, "title", _("标题"), 120)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        description = _text(description, "description", _("问题描述"), 5000)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    first_due, resolution_due = due_times(category, urgency, now)
    with transaction.atomic():
        consultation = Consultation.objects.create(
            company=company,
            association_id=category.association_id,
            category=category,
            region=region,
            title=title,
            description=description,
            urgency=urgency,
            asked_by=stored_actor(actor),
            first_reply_due=first_due,
            resolution_due=resolution_due,
        )
        if now != consultation.created_at:
            Consultation.all_tenants.filter(pk=consultation.pk).update(created_at=now)
            consultation.created_at = now
        attached = _files(consultation, None, files, actor)
        audit_record(
            actor=actor,
            company_id=company.pk,
            action=AuditAction.CONSULTATION_ASK,
            obj=consultation,
            changes={
                "title": title,
                "category": category.kind,
                "urgency": urgency,
                "file": len(attached),
            },
        )
    return consultation


def consultation_assign(
    *, actor, consultation: Consultation, experts: list[Expert]
) -> list[Assignment]:
    """The desk assigns experts (one or several) to a consultation. An expert with a
    recorded conflict of interest with the asking company, an inactive one, or one of
    another association is refused; one already assigned is kept once."""
    experts = list(dict.fromkeys(experts))
    if not experts:
        raise ValidationError({"experts": _("请至少选择一位专家。")})
    if len(experts) > MAX_EXPERTS:
        raise ValidationError(
            {"experts": _("一条咨询最多分派 %(n)d 位专家。") % {"n": MAX_EXPERTS}}
        )
    with transaction.atomic():
        locked = Consultation.all_tenants.select_for_update().get(pk=consultation.pk)
        if locked.status == Status.CLOSED:
            raise ValidationError(_("咨询已关闭，不能再分派。"))
        for expert in experts:
            if expert.association_id != locked.association_id or not expert.active:
                raise ValidationError(
                    {"experts": _("%(name)s 不在本协会的在岗专家中。") % {"name": expert.name}}
                )
        conflicted = set(
            Conflict.all_tenants.filter(
                company_id=locked.company_id, expert__in=experts
            ).values_list("expert__name", flat=True)
        )
        if conflicted:
            raise ValidationError(
                {
                    "experts": _("%(names)s 与提问企业存在利益冲突，不能分派。")
                    % {"names": "、".join(sorted(conflicted))}
                }
            )
        existing = set(
            Assignment.all_tenants.filter(consultation=locked).values_list("expert_id", flat=True)
        )
        loads = dict(
            Assignment.all_tenants.filter(
                expert__in=[e for e in experts if e.pk not in existing],
                consultation__status__in=Consultation.OPEN,
            )
            .values("expert_id")
            .annotate(n=Count("id"))
            .values_list("expert_id", "n")
        )
        full = [e.name for e in experts if loads.get(e.pk, 0) >= e.max_open]
        if full:
            raise ValidationError(
                {
                    "experts": _("%(names)s 在办咨询已达上限，请选择其他专家或先调整上限。")
                    % {"names": "、".join(full)}
                }
            )
        made = [
            Assignment.objects.create(
                company_id=locked.company_id,
                consultation=locked,
                expert=expert,
                assigned_by=stored_actor(actor),
            )
            for expert in experts
            if expert.pk not in existing
        ]
        before = locked.status
        if locked.status == Status.NEW:
            locked.status = Status.ASSIGNED
            locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.CONSULTATION_ASSIGN,
            obj=locked,
            changes={
                "experts": [e.name for e in experts if e.pk not in existing],
                **({"status": [before, locked.status]} if before != locked.status else {}),
            },
        )
    consultation.status = locked.status
    return made


def message_post(
    *,
    actor,
    consultation: Consultation,
    side: str,
    body: str,
    files=(),
    now: datetime | None = None,
) -> Message:
    """A message of the thread, from the asking company (a follow-up question), an
    assigned expert or the desk (a reply). The caller decides `side` from the reader's
    rights (views and API use the selectors); the status moves as the module says."""
    if side not in Message.Side.values:
        raise ValidationError({"side": _("未知的身份。")})
    body = _text(body, "body", _("内容"), 5000)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Consultation.all_tenants.select_for_update().get(pk=consultation.pk)
        if locked.status == Status.CLOSED:
            raise ValidationError(_("咨询已关闭，不能再留言。"))
        if side != Message.Side.COMPANY and locked.status == Status.NEW:
            raise ValidationError(_("请先分派专家再答复。"))
        message = Message.objects.create(
            company_id=locked.company_id,
            consultation=locked,
            author=stored_actor(actor),
            author_name=_author_name(actor),
            side=side,
            body=body,
        )
        if now != message.created_at:
            Message.all_tenants.filter(pk=message.pk).update(created_at=now)
            message.created_at = now
        attached = _files(locked, message, files, actor)
        before = locked.status
        fields = ["status", "updated_at"]
        if side == Message.Side.COMPANY:
            if locked.status in (Status.ANSWERED, Status.RESOLVED):
                locked.status = Status.AWAITING
                if locked.resolved_at is not None:
                    locked.resolved_at = None
                    fields.append("resolved_at")
        else:
            if locked.status in (Status.ASSIGNED, Status.AWAITING):
                locked.status = Status.ANSWERED
            if locked.first_replied_at is None:
                locked.first_replied_at = now
                fields.append("first_replied_at")
        if before != locked.status or len(fields) > 2:
            locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.MESSAGE_POST,
            obj=locked,
            changes={
                "side": side,
                "message": message.pk,
                "file": len(attached),
                **({"status": [before, locked.status]} if before != locked.status else {}),
            },
        )
    consultation.status = locked.status
    return message


def consultation_resolve(
    *, actor, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """The expert or the desk marks an answered consultation resolved."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Consultation.all_tenants.select_for_update().get(pk=consultation.pk)
        if locked.status != Status.ANSWERED:
            raise ValidationError(_("只有已答复的咨询可以标记为已解决。"))
        locked.status = Status.RESOLVED
        locked.resolved_at = now
        locked.save(update_fields=["status", "resolved_at", "updated_at"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.CONSULTATION_RESOLVE,
            obj=locked,
            changes={"status": [Status.ANSWERED, Status.RESOLVED]},
        )
    return locked


def consultation_close(
    *,
    actor,
    consultation: Consultation,
    rating: int,
    comment: str = "",
    now: datetime | None = None,
) -> Consultation:
    """The asking company closes its consultation with a rating of 1–5 (and a comment).
    Irreversible: a closed consultation takes no more messages. Closing an answered
    one counts as its resolution."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("满意度为 1 至 5 分。")})
    comment = (comment or "").strip()
    if len(comment) > 200:
        raise ValidationError({"comment": _("评价不能超过 200 个字。")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Consultation.all_tenants.select_for_update().get(pk=consultation.pk)
        if locked.status not in (Status.ANSWERED, Status.AWAITING, Status.RESOLVED):
            raise ValidationError(_("专家答复后才能关闭咨询。"))
        before = locked.status
        locked.status = Status.CLOSED
        locked.closed_at = now
        locked.resolved_at = locked.resolved_at or now
        locked.rating = rating
        locked.rating_comment = comment
        locked.save(
            update_fields=[
                "status",
                "closed_at",
                "resolved_at",
                "rating",
                "rating_comment",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.CONSULTATION_CLOSE,
            obj=locked,
            changes={"status": [before, Status.CLOSED], "rating": rating},
        )
    return locked
