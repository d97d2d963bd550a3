"""Who sees which consultation: the asking company (`consultations.ask` over the
company), the association's desk (`consultations.run_desk` over the association) and
the experts assigned to it. An expert's grant is over the whole association, so its
reads are narrowed here to the consultations it is assigned to; outside them, 404.

Every page and endpoint that reads a consultation (its thread, files, list) starts
from `Consultation.objects.for_scope(scope.for_perm(VIEW))` and passes it through
`narrow`, so the three kinds of reader share one rule.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from firstline.consultations.models import (
    Assignment,
    Attachment,
    Category,
    Conflict,
    Consultation,
    Expert,
    Message,
)
from firstline.core.roles import Target
from firstline.core.scope import Scope

VIEW = "consultations.view_consultation"
ASK = "consultations.ask"
DESK = "consultations.run_desk"
ANSWER = "consultations.answer"


def visible_q(scope: Scope, user) -> Q:
    """The consultations this user may read, as a filter on a queryset already scoped
    by VIEW: every one of the companies it asks for and of the associations whose
    desk it runs, and of the associations it is an expert of, only those assigned to
    it. Matches nothing when it is none of these."""
    q = Q(pk__in=[])
    if companies := scope.for_perm(ASK).ids(Target.COMPANY):
        q |= Q(company_id__in=sorted(companies))
    if desks := scope.for_perm(DESK).ids(Target.ASSOCIATION):
        q |= Q(association_id__in=sorted(desks))
    if (experts := scope.for_perm(ANSWER).ids(Target.ASSOCIATION)) and user is not None:
        mine = Assignment.objects.for_scope(scope.for_perm(ANSWER)).filter(
            expert__user_id=user.pk, consultation_id=OuterRef("pk")
        )
        q |= Q(Exists(mine), association_id__in=sorted(experts))
    return q


def narrow(queryset, scope: Scope, user):
    """A scoped consultation queryset narrowed to what this user may read."""
    return queryset.filter(visible_q(scope, user))


def consultations_visible(scope: Scope, user):
    return narrow(Consultation.objects.for_scope(scope.for_perm(VIEW)), scope, user)


def thread_of(scope: Scope, user, pk: int) -> Consultation | None:
    """One consultation with what its page shows, or None outside the reader's view."""
    return (
        consultations_visible(scope, user)
        .select_related("company", "category", "region", "asked_by", "association")
        .filter(pk=pk)
        .first()
    )


def messages_of(consultation: Consultation, scope: Scope) -> list[Message]:
    """The thread, oldest first, each message with its files (one query each)."""
    messages = list(
        Message.objects.for_scope(scope.for_perm(VIEW))
        .filter(consultation_id=consultation.pk)
        .order_by("created_at", "id")
    )
    files: dict[int | None, list[Attachment]] = {}
    for attachment in attachments_of(consultation, scope):
        files.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.files = files.get(message.pk, [])
    return messages


def attachments_of(consultation: Consultation, scope: Scope) -> list[Attachment]:
    return list(
        Attachment.objects.for_scope(scope.for_perm(VIEW))
        .filter(consultation_id=consultation.pk)
        .order_by("id")
    )


def attachment_visible(scope: Scope, user, pk: int) -> Attachment | None:
    """A file, only when its consultation is one the user may read."""
    return (
        Attachment.objects.for_scope(scope.for_perm(VIEW))
        .filter(pk=pk, consultation__in=consultations_visible(scope, user).values("pk"))
        .first()
    )


def assignments_of(consultation: Consultation, scope: Scope) -> list[Assignment]:
    return list(
        Assignment.objects.for_scope(scope.for_perm(VIEW))
        .filter(consultation_id=consultation.pk)
        .select_related("expert")
        .order_by("id")
    )


def is_assigned(consultation: Consultation, scope: Scope, user) -> bool:
    """Is this user one of the consultation's experts (through an expert grant)?"""
    return (
        Assignment.objects.for_scope(scope.for_perm(ANSWER))
        .filter(consultation_id=consultation.pk, expert__user_id=user.pk)
        .exists()
    )


def runs_desk_of(consultation: Consultation, scope: Scope) -> bool:
    return consultation.association_id in scope.for_perm(DESK).ids(Target.ASSOCIATION)


def asks_for(consultation: Consultation, scope: Scope) -> bool:
    return consultation.company_id in scope.for_perm(ASK).ids(Target.COMPANY)


# --- the desk's choices -------------------------------------------------------------------


def categories_for(scope: Scope):
    """The active categories of the associations the user asks in or runs."""
    return (
        Category.objects.for_scope(scope.for_any_perm(ASK, DESK))
        .filter(active=True)
        .order_by("association_id", "id")
    )


def open_load():
    """Each expert's open assignments (a subquery-free annotation on experts)."""
    return Count(
        "assignments",
        filter=Q(assignments__consultation__status__in=Consultation.OPEN),
        distinct=True,
    )


def experts_for(consultation: Consultation, scope: Scope):
    """The desk's experts who may take this consultation: active, of its association,
    with no conflict with the asking company, each with its open load and whether the
    category is among its areas (those first, then the lightest load)."""
    conflicted = Conflict.objects.for_scope(scope.for_perm(DESK)).filter(
        expert_id=OuterRef("pk"), company_id=consultation.company_id
    )
    experts = (
        Expert.objects.for_scope(scope.for_perm(DESK))
        .filter(association_id=consultation.association_id, active=True)
        .exclude(Exists(conflicted))
        .annotate(load=open_load())
        .order_by("name", "id")
    )
    rows = list(experts)
    for expert in rows:
        expert.fits = consultation.category.kind in (expert.areas or [])
    rows.sort(key=lambda e: (not e.fits, e.load, e.name, e.pk))
    return rows


def experts_with_load(scope: Scope):
    return (
        Expert.objects.for_scope(scope.for_perm(DESK))
        .annotate(load=open_load())
        .order_by("name", "id")
    )
