"""The board's results page: the survey a link shows, and a survey's links.

A link is read without a sign-in, so it carries its own scope: the one association
its signed token names (services/board.py). The survey and its responses are read
through that scope, never across associations: a token of association A's survey
reaches nothing of B, and only the survey it names. A revoked or expired link, or
one whose survey is gone, shows nothing."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from firstline.core.roles import Target
from firstline.core.scope import Grant, Scope
from firstline.surveys.models import Response, Survey
from firstline.surveys.services.board import (
    BoardAction,
    BoardLink,
    link_from_token,
    survey_events,
)

# The role a board link's scope holds: no permission of any role, one association.
LINK_ROLE = "surveys.board_link"


def link_scope(link: BoardLink) -> Scope:
    return Scope(
        user_id=None,
        grants=(Grant(role=LINK_ROLE, target=Target.ASSOCIATION, target_id=link.association_id),),
    )


def revoked(link: BoardLink) -> bool:
    return (
        survey_events(link.survey_id)
        .filter(action=BoardAction.BOARD_LINK_REVOKE, changes__link=link.link)
        .exists()
    )


def board_for_token(token: str) -> tuple[Survey, object] | None:
    """The survey a live link shows and its responses (a queryset in the link's scope)."""
    link = link_from_token(token)
    if link is None or link.expired() or revoked(link):
        return None
    scope = link_scope(link)
    survey = Survey.objects.for_scope(scope).filter(pk=link.survey_id).first()
    if survey is None:
        return None
    return survey, Response.objects.for_scope(scope).filter(survey=survey)


def board_links(survey: Survey) -> list[dict]:
    """The survey's links, newest first: each with its token, label, expiry, creator
    and whether it still works."""
    events = survey_events(survey.pk).filter(
        action__in=[BoardAction.BOARD_LINK_CREATE, BoardAction.BOARD_LINK_REVOKE]
    )
    rows = list(events.select_related("actor").order_by("-at", "-id"))
    dead = {e.changes.get("link") for e in rows if e.action == BoardAction.BOARD_LINK_REVOKE}
    now = timezone.now()
    out = []
    for event in rows:
        if event.action != BoardAction.BOARD_LINK_CREATE:
            continue
        expires = event.changes.get("expires_at")
        link = BoardLink(
            survey.association_id,
            survey.pk,
            event.changes["link"],
            datetime.fromisoformat(expires) if expires else None,
            event.changes.get("label", ""),
            event.at,
        )
        out.append(
            {
                "link": link,
                "token": link.token,
                "created_by": event.actor,
                "revoked": link.link in dead,
                "expired": link.expired(now),
                "live": link.link not in dead and not link.expired(now),
            }
        )
    return out
