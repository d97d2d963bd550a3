"""The recipients' phone pages: /notices/mine/ lists the current notices that reach
the signed-in user (unread ones marked, urgent first), a notice's page and its
files.

Opening a notice's page records its read receipt (on GET): opening is what reading
is, the receipt is written once however often the page is opened, and it records
only the caller's own reading, so a forged request can do no more than the reader
opening the page. The API's `POST /notices/mine/{id}/read` does the same for apps.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.roles import NOTICES_READ
from firstline.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin
from firstline.notices.models import InboxAttachment, NoticeInbox, current_q
from firstline.notices.selectors import inbox
from firstline.notices.services.reading import notice_read
from firstline.notices.views.sender import file_response


def record_read(request, scope, notice) -> None:
    place = inbox.reader_place(scope, notice)
    if place is not None:
        notice_read(notice=notice, user=request.user, **place)


class MyNotices(ScopedListView):
    model = NoticeInbox
    permission = NOTICES_READ
    template_name = "notices/mine.html"
    table_template = "notices/_mine_list.html"
    title = gettext_lazy("通知公告")
    paginate_by = 25

    def refine_list(self, qs):
        receipts = inbox.read_receipts(self.scope, user_id=self.request.user.pk)
        return inbox.with_read(inbox.current(qs), receipts)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["detail_url_name"] = "notices:mine_detail"
        return ctx


class MyNoticeDetail(ScopedDetailView):
    model = NoticeInbox
    permission = NOTICES_READ
    template_name = "notices/mine_detail.html"
    context_object_name = "notice"

    def refine(self, qs):
        return qs.filter(current_q())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        record_read(self.request, self.scope, self.object)
        ctx.update(
            attachments=inbox.attachments(self.scope, self.object),
            attachment_url_name="notices:mine_attachment",
            back_url_name="notices:mine",
        )
        return ctx


class MyAttachment(ScopedViewMixin, generic.View):
    model = InboxAttachment
    permission = NOTICES_READ

    def refine(self, qs):
        return qs.filter(current_q(prefix="notice__"))

    def get(self, request, pk):
        return file_response(get_object_or_404(self.get_queryset(), pk=pk))
