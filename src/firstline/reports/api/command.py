"""The command centre's API under /api/v1/reports/: the alert feed (with `since`
for polling and the page's filters) and the two actions on one alert.

Thin: the feed is feed.py's one UNION query (scoped per table, masked for
authorities), the actions are command.py's services; (source, id) outside the
caller's scope is a 404, a refused assignee a 422 naming `assignee_id`."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router
from ninja.errors import HttpError

from firstline.core.api import RowId, Schema, validation_errors_as_422
from firstline.core.replicas import run_reading_replica
from firstline.reports.selectors import feed
from firstline.reports.services import command

router = Router(tags=["reports"])


class AlertOut(Schema):
    source: str
    id: int
    kind: str
    kind_label: str
    site_id: int
    site_name: str
    company_id: int
    message: str  # empty for authority viewers: messages may name residents
    created_at: datetime
    acknowledged_at: datetime | None
    assigned_to_id: int | None
    assigned_to_name: str


class FeedOut(Schema):
    items: list[AlertOut]
    has_more: bool
    next_before: str  # pass as `before` for the next (older) page; empty at the end
    # Pass as `since` to poll for newer alerts: ISO 8601 with microseconds (the
    # datetimes above are rounded to milliseconds, too coarse for a cursor).
    since: str | None


class FeedQuery(Schema):
    state: str = "open"
    kind: str | None = None
    site: RowId | None = None
    district: str | None = None
    since: str | None = None
    before: str | None = None


class AssignIn(Schema):
    assignee_id: RowId


class ActOut(Schema):
    source: str
    id: int
    changed: bool


def _require(request, perm: str):
    if not request.scope.has_perm(perm):
        raise HttpError(403, "permission denied")


@router.get(
    "/alerts",
    response=FeedOut,
    operation_id="reports_alert_feed",
    summary="The command centre's alert feed (scoped, newest first)",
)
def alert_feed(request, params: Query[FeedQuery]):
    """Alerts of the caller's scope, newest first, 50 a page: open only (default) or
    all, by kind ("health:missed_check"…), site, district code; `since` for polling."""
    _require(request, feed.COMMAND_PERM)
    with validation_errors_as_422(loc=("query",)):
        flt = feed.FeedFilter.parse(params.dict(exclude_none=True))
    # Polled by every command-centre screen: from a replica when there is one.
    page = run_reading_replica(request, lambda: feed.feed_page(request.scope, flt))
    return {
        "items": page.rows,
        "has_more": page.has_more,
        "next_before": page.next_before,
        "since": page.newest.isoformat() if page.newest else None,
    }


@router.post(
    "/alerts/{source}/{int:pk}/ack",
    response=ActOut,
    operation_id="reports_alert_ack",
    summary="Acknowledge an alert (a repeat changes nothing)",
)
def alert_ack(request, source: str, pk: RowId):
    _require(request, feed.ACT_PERM)
    changed = command.alert_ack(actor=request.user, scope=request.scope, source=source, alert_id=pk)
    return {"source": source, "id": pk, "changed": changed}


@router.post(
    "/alerts/{source}/{int:pk}/assign",
    response=ActOut,
    operation_id="reports_alert_assign",
    summary="Assign an alert to a staff member of its site or company",
)
def alert_assign(request, source: str, pk: RowId, payload: AssignIn):
    _require(request, feed.ACT_PERM)
    with validation_errors_as_422(renames={"assignee": "assignee_id"}):
        changed = command.alert_assign(
            actor=request.user,
            scope=request.scope,
            source=source,
            alert_id=pk,
            assignee=payload.assignee_id,
        )
    return {"source": source, "id": pk, "changed": changed}
