"""The sender's pages: the list of notices (filters, Excel export), a draft's form,
a notice's page with its read count, read rate and text messages, publish and
withdraw (each asks first), and the attachments. Declared on core's scoped views:
a notice outside the user's scope (another company's) is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
)
from firstline.notices.forms import NoticeForm
from firstline.notices.models import Notice, NoticeAttachment
from firstline.notices.selectors import figures
from firstline.notices.services import exporting, notices

VIEW = "notices.view_notice"
PUBLISH = notices.PUBLISH
RECEIPTS = "notices.view_receipts"

RELATED = (
    "association",
    "company",
    "site",
    "division",
    "target_site",
    "target_company",
    "target_division",
)


class NoticeList(ScopedListView):
    model = Notice
    permission = VIEW
    template_name = "notices/notice_list.html"
    table_template = "notices/_notice_table.html"
    title = gettext_lazy("公告")
    create_url_name = "notices:notice_create"
    search_fields = ("title__icontains",)
    filters = ("state", "urgency", "sender_kind")

    def refine_list(self, qs):
        return figures.with_figures(qs.select_related(*RELATED)).order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            can_create=self.request.scope.has_perm(PUBLISH),
            can_export=True,
            show_figures=self.request.scope.has_perm(RECEIPTS),
            filter_choices={
                "state": Notice.State.choices,
                "urgency": Notice.Urgency.choices,
                "sender_kind": Notice.Sender.choices,
            },
            now=timezone.now(),
        )
        for notice in ctx["object_list"]:
            notice.rate = figures.rate(notice.read_count, notice.audience)
        return ctx


class NoticeExport(ScopedViewMixin, generic.View):
    """The list (its filters and search) as an Excel workbook, audited."""

    model = Notice
    permission = VIEW

    def get(self, request):
        qs = self.get_queryset()
        for name in ("state", "urgency", "sender_kind"):
            value = request.GET.get(name, "")
            if value:
                choices = {
                    "state": Notice.State.values,
                    "urgency": Notice.Urgency.values,
                    "sender_kind": Notice.Sender.values,
                }[name]
                qs = qs.filter(**{name: value}) if value in choices else qs.none()
        if term := request.GET.get("q", "").strip():
            qs = qs.filter(title__icontains=term)
        qs = figures.with_figures(qs.select_related(*RELATED)).order_by("-created_at", "-id")
        return exporting.notices_export(
            actor=request.user,
            notices=qs,
            company_ids=self.scope.company_ids,
            filters={
                k: v
                for k, v in request.GET.items()
                if k in ("state", "urgency", "sender_kind", "q")
            },
        )


class NoticeDetail(HistoryMixin, ScopedDetailView):
    model = Notice
    permission = VIEW
    template_name = "notices/notice_detail.html"
    context_object_name = "notice"

    def refine(self, qs):
        return qs.select_related(*RELATED, "created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        notice = self.object
        scope = self.request.scope
        can_publish = bool(
            Notice.objects.for_scope(scope.for_perm(PUBLISH)).filter(pk=notice.pk).exists()
        )
        show_figures = scope.has_perm(RECEIPTS)
        ctx.update(
            status=notice.status(),
            attachments=list(
                NoticeAttachment.objects.for_scope(self.scope).filter(notice=notice).order_by("id")
            ),
            can_publish=can_publish and notice.state == Notice.State.DRAFT,
            can_edit=can_publish and notice.state == Notice.State.DRAFT,
            can_withdraw=can_publish and notice.state == Notice.State.PUBLISHED,
            show_figures=show_figures,
            figures=figures.receipts(notice) if show_figures else None,
            site_rows=figures.site_rows(notice) if show_figures else [],
        )
        return ctx


class NoticeCreate(ServiceFormView):
    permission = PUBLISH
    model = Notice
    form_class = NoticeForm
    title = gettext_lazy("起草公告")
    success_message = gettext_lazy("公告草稿已保存。确认无误后请点击“发布”。")
    cancel_url_name = "notices:notice_list"

    def act(self, form):
        notice = notices.notice_create(
            actor=self.request.user, scope=self.scope, **form.service_kwargs()
        )
        return notice


class NoticeEdit(ObjectFormView):
    """A draft's form; a published notice cannot be edited (withdraw it and write anew)."""

    permission = PUBLISH
    model = Notice
    form_class = NoticeForm
    form_instance = True
    title = gettext_lazy("修改公告")

    def refine(self, qs):
        return qs.select_related("target_division")

    def act(self, form):
        return notices.notice_update(
            actor=self.request.user, notice=self.object, **form.service_kwargs()
        )


class NoticeAction(ScopedViewMixin, generic.View):
    """POST only: one service call on a notice in the publisher's scope, then its page."""

    model = Notice
    permission = PUBLISH
    http_method_names = ["post"]
    done = ""

    def act(self, notice):
        raise NotImplementedError

    def post(self, request, pk):
        notice = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            self.act(notice)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.done)
        return redirect("notices:notice_detail", pk=notice.pk)


class NoticePublish(NoticeAction):
    done = gettext_lazy("公告已发布。")

    def act(self, notice):
        notices.notice_publish(actor=self.request.user, notice=notice)


class NoticeWithdraw(NoticeAction):
    done = gettext_lazy("公告已撤回，居民端不再显示。")

    def act(self, notice):
        notices.notice_withdraw(actor=self.request.user, notice=notice)


def file_response(attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


class AttachmentDownload(ScopedViewMixin, generic.View):
    """A notice's file, for those who may see the notice (never a public URL)."""

    model = NoticeAttachment
    permission = VIEW

    def get(self, request, pk):
        return file_response(get_object_or_404(self.get_queryset(), pk=pk))
