"""Knowledge from answers: the desk turns a resolved (or closed) consultation into an
anonymised question and answer, edits it, and approves it; approving publishes it as
a new `publishing.FaqItem` on the public site's FAQ page, through a new Wagtail
revision of that page (so its history, the search index and the page cache follow
as for any edit in the editor).

Anonymised: the draft is made without the company's name, the asker's or the
experts' names (each replaced by a neutral word), and the desk's edits are checked
again on save and on approval: a question or answer that names the asking company
is refused.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from firstline.consultations.models import (
    AuditAction,
    Consultation,
    Expert,
    FaqDraft,
    Message,
)
from firstline.core.services import audit_record, changes_of, snapshot, stored_actor
from firstline.publishing.models import FaqItem, FaqPage

Status = Consultation.Status
COMPANY_WORD = "某物业企业"
PERSON_WORD = "某人"
SUFFIXES = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|物业服务|物业管理|物业)+$")


def company_names(consultation: Consultation) -> list[str]:
    """The ways the asking company may be named: its full name and its name without
    the usual suffixes (物业服务有限公司 …) when that still says something."""
    name = consultation.company.name
    names = [name]
    short = SUFFIXES.sub("", name)
    if len(short) >= 2 and short != name:
        names.append(short)
    return names


def anonymise(text: str, *, companies: list[str], people: list[str]) -> str:
    for name in sorted({n for n in companies if n}, key=len, reverse=True):
        text = text.replace(name, COMPANY_WORD)
    for name in sorted({n for n in people if n and len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, PERSON_WORD)
    return text


def _check_anonymous(consultation: Consultation, question: str, answer: str) -> None:
    for name in company_names(consultation):
        for field, text in (("question", question), ("answer", answer)):
            if name in text:
                raise ValidationError({field: _("不能出现提问企业的名称（%(n)s）。") % {"n": name}})


def _clean(question: str, answer: str) -> tuple[str, str]:
    question, answer = (question or "").strip(), (answer or "").strip()
    errors = {}
    if not question:
        errors["question"] = _("请填写问题。")
    elif len(question) > 200:
        errors["question"] = _("问题不能超过 200 个字。")
    if not answer:
        errors["answer"] = _("请填写回答。")
    elif len(answer) > 5000:
        errors["answer"] = _("回答不能超过 5000 个字。")
    if errors:
        raise ValidationError(errors)
    return question, answer


def draft_text(consultation: Consultation) -> tuple[str, str]:
    """The first draft: the question's title and description, and the experts' and
    desk's replies, anonymised."""
    replies = list(
        Message.all_tenants.filter(consultation=consultation)
        .exclude(side=Message.Side.COMPANY)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
    )
    people = [consultation.asked_by.display_name if consultation.asked_by_id else ""]
    people += list(
        Message.all_tenants.filter(consultation=consultation).values_list("author_name", flat=True)
    )
    people += list(
        Expert.all_tenants.filter(assignments__consultation=consultation).values_list(
            "name", flat=True
        )
    )
    companies = company_names(consultation)
    question = anonymise(consultation.title, companies=companies, people=people)[:200]
    answer = anonymise("\n\n".join(replies), companies=companies, people=people)[:5000]
    return question, answer


def faq_draft_create(*, actor, consultation: Consultation, question: str, answer: str) -> FaqDraft:
    """A draft from a resolved or closed consultation (one draft per consultation)."""
    if consultation.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError(_("只有已解决或已关闭的咨询可以整理为常见问题。"))
    question, answer = _clean(question, answer)
    _check_anonymous(consultation, question, answer)
    with transaction.atomic():
        if FaqDraft.all_tenants.filter(
            association_id=consultation.association_id, consultation=consultation
        ).exists():
            raise ValidationError(_("这条咨询已整理过问答。"))
        draft = FaqDraft.objects.create(
            association_id=consultation.association_id,
            consultation=consultation,
            question=question,
            answer=answer,
            created_by=stored_actor(actor),
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.FAQ_DRAFT,
            obj=draft,
            changes={"question": question, "consultation": consultation.pk},
        )
    return draft


def faq_draft_update(*, actor, draft: FaqDraft, question: str, answer: str) -> FaqDraft:
    question, answer = _clean(question, answer)
    with transaction.atomic():
        locked = (
            FaqDraft.all_tenants.select_for_update()
            .select_related("consultation__company")
            .get(pk=draft.pk)
        )
        if locked.state != FaqDraft.State.DRAFT:
            raise ValidationError(_("已发布的问答请在网站编辑器中修改。"))
        _check_anonymous(locked.consultation, question, answer)
        before = snapshot(locked, ["question", "answer"])
        locked.question, locked.answer = question, answer
        locked.save(update_fields=["question", "answer", "updated_at"])
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.FAQ_DRAFT,
            obj=locked,
            changes=changes_of(locked, ["question"], before),
        )
    return locked


def answer_html(answer: str) -> str:
    """The answer as the FAQ item's rich text: one paragraph a line, escaped."""
    return "".join(f"<p>{escape(line.strip())}</p>" for line in answer.splitlines() if line.strip())


def faq_publish(*, actor, draft: FaqDraft) -> FaqDraft:
    """Approves a draft: its question and answer become a new item at the end of the
    live FAQ page, published as a new revision of that page. Publishing twice
    publishes once."""
    with transaction.atomic():
        locked = (
            FaqDraft.all_tenants.select_for_update()
            .select_related("consultation__company")
            .get(pk=draft.pk)
        )
        if locked.state == FaqDraft.State.PUBLISHED:
            return locked
        _check_anonymous(locked.consultation, locked.question, locked.answer)
        page = FaqPage.objects.live().order_by("path").first()
        if page is None:
            raise ValidationError(_("协会网站还没有上线的常见问题页面。"))
        last = FaqItem.objects.filter(page=page).order_by("-sort_order").first()
        item = FaqItem(
            question=locked.question,
            answer=answer_html(locked.answer),
            sort_order=(last.sort_order + 1) if last and last.sort_order is not None else 0,
        )
        page.items.add(item)
        user = actor if getattr(actor, "is_authenticated", False) else None
        revision = page.save_revision(user=user, log_action=True)
        revision.publish(user=user)
        published = (
            FaqItem.objects.filter(page=page, question=locked.question).order_by("-pk").first()
        )
        locked.state = FaqDraft.State.PUBLISHED
        locked.approved_by = stored_actor(actor)
        locked.published_at = timezone.now()
        locked.faq_item_id = published.pk if published else None
        locked.save(
            update_fields=["state", "approved_by", "published_at", "faq_item_id", "updated_at"]
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.FAQ_PUBLISH,
            obj=locked,
            changes={"state": [FaqDraft.State.DRAFT, FaqDraft.State.PUBLISHED], "page": page.pk},
        )
    return locked
