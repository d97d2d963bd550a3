"""Online consultation sessions: the list (the desk's, and a member company's view of
its association's), scheduling, registering with a question in advance, and the
desk's attendance record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from firstline.consultations.forms import RegisterForm, SessionForm
from firstline.consultations.models import Registration, Session
from firstline.consultations.selectors.threads import ASK, DESK
from firstline.consultations.services import sessions as services
from firstline.core.roles import Target
from firstline.core.services import ExportColumn, local_time
from firstline.core.views import ObjectFormView, ScopedDetailView, ScopedListView, ServiceFormView
from firstline.orgs.models import Company

VIEW_SESSION = "consultations.view_session"


class SessionList(ScopedListView):
    model = Session
    permission = VIEW_SESSION
    table_template = "consultations/_session_table.html"
    title = _("线上咨询会")
    search_fields = ("topic__icontains",)
    export_columns = (
        ExportColumn(_("主题"), "topic", 30),
        ExportColumn(_("主讲专家"), lambda s: s.expert.name, 10),
        ExportColumn(_("开始时间"), lambda s: local_time(s.starts_at), 16),
        ExportColumn(_("时长（分钟）"), "duration_minutes", 10),
        ExportColumn(_("名额"), "capacity", 8),
        ExportColumn(_("报名"), "registered", 8),
    )

    def refine_list(self, qs):
        return (
            qs.select_related("expert")
            .annotate(registered=Count("registrations", distinct=True))
            .order_by("-starts_at", "-id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = bool(self.request.scope.for_perm(DESK).grants)
        ctx["create_url_name"] = "consultations:session_create"
        return ctx


class SessionCreate(ServiceFormView):
    model = Session
    permission = DESK
    form_class = SessionForm
    title = _("安排线上咨询会")
    cancel_url_name = "consultations:session_list"

    def act(self, form):
        d = form.cleaned_data
        return services.session_create(
            actor=self.request.user,
            expert=d["expert"],
            topic=d["topic"],
            starts_at=d["starts_at"],
            duration_minutes=d["duration_minutes"],
            meeting_link=d["meeting_link"],
            capacity=d["capacity"],
            description=d["description"],
        )


class SessionDetail(ScopedDetailView):
    """A session: the desk sees every registration and records attendance; a member
    company sees its own registrations and registers."""

    model = Session
    permission = VIEW_SESSION
    template_name = "consultations/session_detail.html"

    def refine(self, qs):
        return qs.select_related("expert").annotate(taken=Count("registrations", distinct=True))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        scope, session = self.request.scope, self.object
        registrations = list(
            Registration.objects.for_scope(scope.for_perm(VIEW_SESSION))
            .filter(session_id=session.pk)
            .select_related("company")
            .order_by("id")
        )
        taken = session.taken
        mine = any(r.user_id == self.request.user.pk for r in registrations)
        ctx.update(
            registrations=registrations,
            taken=taken,
            is_desk=session.association_id in scope.for_perm(DESK).ids(Target.ASSOCIATION),
            can_register=bool(scope.for_perm(ASK).grants)
            and not mine
            and session.starts_at > timezone.now()
            and taken < session.capacity,
            registered=mine,
        )
        return ctx


class SessionRegister(ObjectFormView):
    model = Session
    permission = ASK
    form_class = RegisterForm
    title = _("报名线上咨询会")
    success_message = _("已报名，会议链接见咨询会页面。")

    def act(self, form):
        companies = sorted(self.scope.ids(Target.COMPANY))
        services.session_register(
            actor=self.request.user,
            session=self.object,
            company=Company.objects.get(pk=companies[0]),
            question=form.cleaned_data["question"],
        )
        return self.object


@login_required
@require_POST
def attendance(request, pk: int):
    """出席登记: the desk ticks who attended (every registration is marked)."""
    scope = request.scope.for_perm(DESK)
    if not scope.grants:
        raise PermissionDenied
    session = Session.objects.for_scope(scope).filter(pk=pk).first()
    if session is None:
        raise Http404
    ids = set()
    for raw in request.POST.getlist("attended"):
        if not raw.isdigit() or len(raw) > 18:
            messages.error(request, _("名单中没有这些报名。"))
            return redirect(session)
        ids.add(int(raw))
    try:
        count = services.attendance_record(actor=request.user, session=session, attended_ids=ids)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已登记出席 %(n)d 人。") % {"n": count})
    return redirect(session)
