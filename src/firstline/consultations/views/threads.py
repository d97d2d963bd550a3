"""Consultations: the list (a company's own, the desk's queue, an expert's assigned
ones: one page, narrowed per reader), asking with suggested published answers, the
thread with replies and follow-ups, resolving, assigning and closing with a rating,
and the files (served only to those who may read the consultation)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from firstline.consultations.forms import AskForm, AssignForm, CloseForm, ReplyForm
from firstline.consultations.models import Consultation, FaqDraft, Message
from firstline.consultations.selectors import faq as faq_selectors
from firstline.consultations.selectors import threads
from firstline.consultations.selectors.threads import ASK, DESK, VIEW
from firstline.consultations.services import pool
from firstline.consultations.services import threads as services
from firstline.core.roles import Target
from firstline.core.services import ExportColumn, local_time, yes_no
from firstline.core.views import (
    HistoryMixin,
    ObjectFormView,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
)
from firstline.geo.models import Division

Status = Consultation.Status


class VisibleMixin:
    """A consultation page's rows: the scoped queryset narrowed to what this reader
    may see (its company's, its desk's, or the ones assigned to it as an expert)."""

    def refine(self, qs):
        return threads.narrow(super().refine(qs), self.request.scope, self.request.user)


def side_of(consultation: Consultation, scope, user) -> str | None:
    """Who this reader is in the thread: the asking company, an assigned expert, the
    desk, or None (a reader who may not write)."""
    if threads.asks_for(consultation, scope):
        return Message.Side.COMPANY
    if threads.is_assigned(consultation, scope, user):
        return Message.Side.EXPERT
    if threads.runs_desk_of(consultation, scope):
        return Message.Side.DESK
    return None


class ConsultationList(VisibleMixin, ScopedListView):
    """咨询: a company's own questions, the desk's queue (filters: status, category,
    region, overdue), an expert's assigned consultations."""

    model = Consultation
    permission = VIEW
    template_name = "consultations/list.html"
    table_template = "consultations/_consultation_table.html"
    filters = ("status", "category", "region", "urgency")
    export_columns = (
        ExportColumn(_("编号"), "number", 10),
        ExportColumn(_("标题"), "title", 30),
        ExportColumn(_("提问企业"), lambda c: c.company.name, 24),
        ExportColumn(_("类别"), lambda c: c.category.name, 14),
        ExportColumn(_("地区"), lambda c: c.region.name, 10),
        ExportColumn(_("紧急程度"), "get_urgency_display", 8),
        ExportColumn(_("状态"), "get_status_display", 10),
        ExportColumn(_("提问时间"), lambda c: local_time(c.created_at), 16),
        ExportColumn(_("首次答复期限"), lambda c: local_time(c.first_reply_due), 16),
        ExportColumn(_("首次答复时间"), lambda c: local_time(c.first_replied_at), 16),
        ExportColumn(_("首次答复超时"), lambda c: yes_no(c.first_reply_overdue), 8),
        ExportColumn(_("办结期限"), lambda c: local_time(c.resolution_due), 16),
        ExportColumn(_("解决时间"), lambda c: local_time(c.resolved_at), 16),
        ExportColumn(_("办结超时"), lambda c: yes_no(c.resolution_overdue), 8),
        ExportColumn(_("满意度"), lambda c: c.rating or "", 8),
    )

    @property
    def title(self):
        scope = self.request.scope
        if scope.for_perm(DESK).grants:
            return _("咨询台")
        if scope.for_perm(ASK).grants:
            return _("我的咨询")
        return _("分配给我的咨询")

    def refine_list(self, qs):
        qs = qs.select_related("company", "category", "region")
        if self.request.GET.get("overdue") == "1":
            qs = qs.filter(Q(first_reply_overdue=True) | Q(resolution_overdue=True))
        return qs.order_by("-created_at", "-id")

    def search_q(self, term):
        number = term.upper().removeprefix("ZX")
        q = Q(title__icontains=term)
        if number.isdigit() and len(number) <= 12:
            q |= Q(pk=int(number))
        return q

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        scope = self.request.scope
        visible = threads.consultations_visible(scope, self.request.user)
        ctx.update(
            filter_choices={
                "status": Status.choices,
                "category": [(c.pk, c.name) for c in threads.categories_for(scope)],
                "region": list(
                    Division.objects.filter(pk__in=visible.values("region_id"))
                    .order_by("code")
                    .values_list("pk", "name")
                ),
                "urgency": Consultation.Urgency.choices,
            },
            overdue=self.request.GET.get("overdue", ""),
            can_ask=bool(scope.for_perm(ASK).grants),
            is_desk=bool(scope.for_perm(DESK).grants),
        )
        return ctx


class ConsultationAsk(ServiceFormView):
    """提问: category, region, urgency, the question and its files; published answers
    like it are suggested while it is typed."""

    model = Consultation
    permission = ASK
    form_class = AskForm
    template_name = "consultations/ask.html"
    title = _("向协会提问")
    cancel_url_name = "consultations:list"
    success_message = _("已提交，协会咨询台将尽快分派专家。")

    def get_form_kwargs(self):
        pool.categories_ensure_for_companies(self.scope.ids(Target.COMPANY))
        return super().get_form_kwargs()

    def act(self, form):
        d = form.cleaned_data
        return services.consultation_ask(
            actor=self.request.user,
            company=d["company"],
            category=d["category"],
            region=d["region"],
            title=d["title"],
            description=d["description"],
            urgency=d["urgency"],
            files=d["attachments"],
        )


@login_required
def suggest(request):
    """Published FAQ answers like the question being typed (an htmx fragment)."""
    if not request.scope.for_perm(ASK).grants:
        raise PermissionDenied
    text = " ".join(
        part.strip()
        for part in (request.GET.get("title", ""), request.GET.get("description", "")[:80])
        if part.strip()
    )
    hits = faq_selectors.similar_answers(text, request=request)
    return render(request, "consultations/_suggestions.html", {"hits": hits, "text": text})


class ConsultationDetail(VisibleMixin, HistoryMixin, ScopedDetailView):
    """The thread: the question, its experts, every message with its files, and what
    this reader may do (reply or follow up, resolve, assign, close, make an FAQ)."""

    model = Consultation
    permission = VIEW
    template_name = "consultations/detail.html"

    def refine(self, qs):
        return super().refine(qs).select_related("company", "category", "region", "asked_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        c, scope, user = self.object, self.request.scope, self.request.user
        side = side_of(c, scope, user)
        is_desk = threads.runs_desk_of(c, scope)
        replying = side is not None and c.status != Status.CLOSED
        if side in (Message.Side.EXPERT, Message.Side.DESK) and c.status == Status.NEW:
            replying = False
        ctx.update(
            side=side,
            thread=threads.messages_of(c, scope),
            files=[a for a in threads.attachments_of(c, scope) if a.message_id is None],
            assignments=threads.assignments_of(c, scope),
            reply_form=ReplyForm(scope=scope) if replying else None,
            can_close=side == Message.Side.COMPANY
            and c.status in (Status.ANSWERED, Status.AWAITING, Status.RESOLVED),
            can_resolve=side in (Message.Side.EXPERT, Message.Side.DESK)
            and c.status == Status.ANSWERED,
            can_assign=is_desk and c.status != Status.CLOSED,
            can_faq=is_desk
            and c.status in (Status.RESOLVED, Status.CLOSED)
            and not FaqDraft.objects.for_scope(scope.for_perm(DESK))
            .filter(consultation_id=c.pk)
            .exists(),
            show_company=side != Message.Side.COMPANY,
        )
        return ctx


class ConsultationReply(VisibleMixin, ObjectFormView):
    """A message of the thread: the company's follow-up, an expert's or the desk's reply."""

    model = Consultation
    permission = VIEW
    form_class = ReplyForm
    template_name = "consultations/reply.html"
    title = _("留言")
    success_message = _("已发送。")

    def act(self, form):
        side = side_of(self.object, self.request.scope, self.request.user)
        if side is None:
            raise PermissionDenied
        services.message_post(
            actor=self.request.user,
            consultation=self.object,
            side=side,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["attachments"],
        )
        return self.object


class ConsultationClose(VisibleMixin, ObjectFormView):
    """关闭并评价: the asking company, once answered; asks first (irreversible)."""

    model = Consultation
    permission = ASK
    form_class = CloseForm
    template_name = "consultations/close.html"
    title = _("关闭咨询并评价")
    success_message = _("咨询已关闭，感谢您的评价。")

    def act(self, form):
        if not self.request.POST.get("confirmed"):
            raise ValidationError(_("请确认关闭：关闭后不能再留言。"))
        return services.consultation_close(
            actor=self.request.user,
            consultation=self.object,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )


class ConsultationAssign(ObjectFormView):
    """分派: the desk picks experts (no conflicts, active; fitting ones first)."""

    model = Consultation
    permission = DESK
    form_class = AssignForm
    template_name = "consultations/assign.html"
    title = _("分派专家")
    success_message = _("已分派。")

    def refine(self, qs):
        return qs.select_related("company", "category")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "consultation": self.object}

    def act(self, form):
        services.consultation_assign(
            actor=self.request.user,
            consultation=self.object,
            experts=list(form.cleaned_data["experts"]),
        )
        return self.object


@login_required
@require_POST
def resolve(request, pk: int):
    """已解决: an assigned expert or the desk, once answered."""
    consultation = threads.thread_of(request.scope, request.user, pk)
    if consultation is None:
        raise Http404
    if side_of(consultation, request.scope, request.user) not in (
        Message.Side.EXPERT,
        Message.Side.DESK,
    ):
        raise PermissionDenied
    try:
        services.consultation_resolve(actor=request.user, consultation=consultation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已标记为已解决。"))
    return redirect(consultation)


@login_required
def attachment(request, pk: int):
    """A consultation's file, for those who may read the consultation (never a
    public URL); another company's or an unassigned expert's request is 404."""
    if not request.scope.for_perm(VIEW).grants:
        raise PermissionDenied
    found = threads.attachment_visible(request.scope, request.user, pk)
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=found.name, content_type=found.content_type
    )
