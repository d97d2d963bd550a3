"""The senders' API (mounted under /api/v1/notices/):

- GET  /                      notices in the caller's scope (paginated; state, urgency)
- GET  /{id}                  one notice
- POST /                      a draft: {sender, target_kind, target_site | target_company |
                              target_division, to_residents, to_staff, title, body, urgency,
                              also_sms, publish_at, expires_at}; a refused field is a 422
- POST /{id}/publish          publish a draft (urgent + also_sms: the text messages go out)
- POST /{id}/withdraw         take a published notice down
- GET  /{id}/receipts         read count, audience, read rate, messages sent and failed

Another company's notice is 404, the same as a missing one.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from ninja import Field
from pydantic import AwareDatetime

from firstline.core.api import (
    Choice,
    RowId,
    Schema,
    ScopedRouter,
    perm_scope,
    scoped_object,
    validation_errors_as_422,
)
from firstline.notices.models import Notice
from firstline.notices.selectors import figures
from firstline.notices.services import notices

VIEW = "notices.view_notice"
PUBLISH = notices.PUBLISH
RECEIPTS = "notices.view_receipts"

router = ScopedRouter(tags=["notices"])


class NoticeOut(Schema):
    id: int
    sender_kind: str
    association_id: int | None
    company_id: int | None
    site_id: int | None
    division_code: str
    target_kind: str
    target_site_id: int | None
    target_company_id: int | None
    target_division_id: int | None
    to_residents: bool
    to_staff: bool
    title: str
    body: str = Field(description="Sanitised HTML.")
    urgency: str
    also_sms: bool
    state: str
    status: str = Field(description="draft, scheduled, current, expired or withdrawn (now).")
    publish_at: datetime | None
    expires_at: datetime | None
    published_at: datetime | None
    withdrawn_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.status()


class NoticeFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Part of the title.")
    state: Choice(Notice.State) | None = None
    urgency: Choice(Notice.Urgency) | None = None


def _search(term: str) -> Q:
    return Q(title__icontains=term)


router.scoped_list(
    "/",
    Notice,
    VIEW,
    NoticeOut,
    refine=lambda qs: qs.order_by("-created_at", "-id"),
    search=_search,
    filters=NoticeFilter,
    name="list_notices",
)
router.scoped_detail("/{int:pk}", Notice, VIEW, NoticeOut, name="get_notice")


class NoticeIn(Schema):
    sender: str = Field(
        "",
        max_length=40,
        description='Who publishes: "association:<id>", "company:<id>", "site:<id>" or '
        '"division:<code>", one of the caller\'s grants; may be left out with only one.',
    )
    target_kind: Choice(Notice.TargetKind)
    target_site: RowId | None = None
    target_company: RowId | None = None
    target_division: str = Field("", max_length=12, description="A division code.")
    to_residents: bool = True
    to_staff: bool = False
    title: str = Field(max_length=120)
    body: str = Field(max_length=20_000, description="HTML; sanitised to a few safe tags.")
    urgency: Choice(Notice.Urgency) = Notice.Urgency.NORMAL
    also_sms: bool = Field(False, description="Urgent only: a text message to each phone.")
    publish_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None


@router.post(
    "/",
    response=NoticeOut,
    operation_id="create_notice",
    summary="A draft notice (publish it next)",
)
def notice_create_api(request, payload: NoticeIn):
    scope = perm_scope(request, PUBLISH)
    data = payload.dict()
    with validation_errors_as_422():
        notice = notices.notice_create(actor=request.user, scope=scope, **data)
    return notice


@router.post(
    "/{int:pk}/publish",
    response=NoticeOut,
    operation_id="publish_notice",
    summary="Publish a draft (404 outside your scope)",
)
def notice_publish_api(request, pk: RowId):
    notice = scoped_object(request, Notice, PUBLISH, pk)
    with validation_errors_as_422(loc=("path", "pk")):
        return notices.notice_publish(actor=request.user, notice=notice)


@router.post(
    "/{int:pk}/withdraw",
    response=NoticeOut,
    operation_id="withdraw_notice",
    summary="Withdraw a published notice (404 outside your scope)",
)
def notice_withdraw_api(request, pk: RowId):
    notice = scoped_object(request, Notice, PUBLISH, pk)
    with validation_errors_as_422(loc=("path", "pk")):
        return notices.notice_withdraw(actor=request.user, notice=notice)


class SmsTallyOut(Schema):
    sent: int
    failed: int


class SiteReceiptOut(Schema):
    site_id: int
    site_name: str | None
    audience: int
    reads: int
    rate: int | None


class ReceiptsOut(Schema):
    id: int
    company_id: int | None
    site_id: int | None
    read_count: int
    audience: int = Field(description="Residents and/or staff of the reached sites, counted now.")
    rate: int | None = Field(description="Whole percent of the audience that read it (≤ 100).")
    site_count: int
    sms: SmsTallyOut
    sites: list[SiteReceiptOut] = Field(description="The first 50 reached sites by name.")


@router.get(
    "/{int:pk}/receipts",
    response=ReceiptsOut,
    operation_id="notice_receipts",
    summary="Read count, read rate and text messages of one notice (404 outside your scope)",
)
def notice_receipts_api(request, pk: RowId):
    notice = scoped_object(request, Notice, RECEIPTS, pk)
    return {
        "id": notice.pk,
        "company_id": notice.company_id,
        "site_id": notice.site_id,
        **figures.receipts(notice),
        "sites": figures.site_rows(notice),
    }
