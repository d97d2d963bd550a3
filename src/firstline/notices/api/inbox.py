"""The recipients' API (mounted under /api/v1/notices/):

- GET  /mine               the current notices reaching the caller, urgent first, with
                           `is_read` (paginated)
- POST /mine/{id}/read     record that the caller read it (idempotent)
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from ninja import Field
from ninja.pagination import paginate

from firstline.core.api import RowId, Schema, ScopedPagination, ScopedRouter, perm_scope
from firstline.core.roles import NOTICES_READ
from firstline.notices.models import NoticeInbox
from firstline.notices.selectors import inbox
from firstline.notices.services.reading import notice_read

router = ScopedRouter(tags=["notices"])


class InboxOut(Schema):
    id: int
    company_id: int | None
    site_id: int | None
    sender_kind: str
    title: str
    body: str = Field(description="Sanitised HTML.")
    urgency: str
    publish_at: datetime | None
    expires_at: datetime | None
    is_read: bool


@router.get(
    "/mine",
    response=list[InboxOut],
    operation_id="list_my_notices",
    summary="The current notices reaching the caller (scoped, paginated)",
)
@paginate(ScopedPagination)
def my_notices(request):
    scope = perm_scope(request, NOTICES_READ)
    return inbox.inbox(scope, user_id=request.user.pk)


class ReadOut(Schema):
    id: int
    recorded: bool = Field(description="False when it had been read before.")


@router.post(
    "/mine/{int:pk}/read",
    response=ReadOut,
    operation_id="read_my_notice",
    summary="Record that the caller read a notice (404 unless it reaches the caller)",
)
def my_notice_read(request, pk: RowId):
    scope = perm_scope(request, NOTICES_READ)
    notice = inbox.current(NoticeInbox.objects.for_scope(scope)).filter(pk=pk).first()
    place = inbox.reader_place(scope, notice) if notice is not None else None
    if place is None:
        raise Http404
    return {"id": notice.pk, "recorded": notice_read(notice=notice, user=request.user, **place)}
