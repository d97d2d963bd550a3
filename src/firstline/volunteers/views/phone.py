"""The phone pages of a person on duty (a volunteer, or a member of the staff with a
login): my record and hours, my certificate, my shifts, check in and out by the
site's QR code, my support tasks and their handover; a team leader's team.

Check-in: the site's printed QR code opens `checkin` (its signed token in the URL).
The page's script (static volunteers/checkin.js) gives each tap a client UUID and
the phone's time, writes it to the offline queue (core's firstline/offline-queue.js,
the gate's) BEFORE sending, and replays it when the phone is back online; the server
stores a UUID once, so the attendance keeps the time of the tap."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.decorators.http import require_POST

from firstline.core.views import ScopedViewMixin
from firstline.volunteers.forms import ReadyForm
from firstline.volunteers.models import Attendance, Certificate, SupportTask, TaskType, Volunteer
from firstline.volunteers.selectors import people
from firstline.volunteers.services import duty, support

OWN = "volunteers.view_own"
DO = "volunteers.do_task"

SCRIPT_STRINGS = {
    "queued": _("未联网，已暂存，恢复网络后自动上传（保留扫码时间）"),
    "auth": _("登录已失效：已暂存，请重新登录后自动上传"),
    "rejected": _("未被接受"),
    "storage_failed": _("本机无法暂存此记录，请稍后重试"),
    "queue_count": _("离线：%(n)s 条待上传"),
    "online": _("在线"),
    "offline": _("离线"),
    "sent": _("已上传"),
}


def _own_scope(request):
    scope = request.scope.for_any_perm(OWN, DO)
    if not scope.grants:
        raise PermissionDenied
    return scope


def own_page(view):
    """Login, then a person-on-duty grant (volunteer or staff), else 403."""

    @login_required
    def wrapped(request, *args, **kwargs):
        _own_scope(request)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@own_page
def me(request):
    """我的: my record (masked), hours, insurance, team and certificate."""
    volunteer = people.own_volunteer(request.scope, request.user)
    minutes = people.minutes_of(volunteer, request.scope) if volunteer else 0
    certificate = (
        Certificate.objects.filter(volunteer=volunteer).order_by("-issued_at", "-id").first()
        if volunteer
        else None
    )
    recent = (
        Attendance.objects.for_scope(request.scope.for_any_perm(OWN, DO))
        .filter(
            Q(deployment__volunteer__user_id=request.user.pk)
            | Q(deployment__staff__user_id=request.user.pk)
        )
        .select_related("site")
        .order_by("-check_in_at")[:10]
    )
    return render(
        request,
        "volunteers/me.html",
        {
            "volunteer": volunteer,
            "hours": round(minutes / 60, 1),
            "certificate": certificate,
            "recent": recent,
            "team": people.team_led_by(request.scope, request.user),
        },
    )


@own_page
@require_POST
def my_certificate(request):
    """开具服务证明 for my hours to date."""
    volunteer = people.own_volunteer(request.scope, request.user)
    if volunteer is None:
        raise Http404
    try:
        certificate = duty.certificate_issue(actor=request.user, volunteer=volunteer)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("服务证明已开具，验证码 %(c)s") % {"c": certificate.code})
    return redirect("volunteers:me")


@own_page
def my_shifts(request):
    """我的班次: from today on, and my tasks not yet handed over."""
    since = timezone.now() - timezone.timedelta(hours=12)
    shifts = people.my_shifts(request.scope, request.user, since)[:60]
    tasks = (
        SupportTask.objects.for_scope(request.scope.for_perm(DO))
        .filter(
            Q(assignee__volunteer__user_id=request.user.pk)
            | Q(assignee__staff__user_id=request.user.pk),
            state__in=[SupportTask.State.OPEN, SupportTask.State.HANDOVER],
        )
        .select_related("site", "task_type")
        .order_by("due_at")[:50]
        if request.scope.for_perm(DO).grants
        else []
    )
    return render(
        request,
        "volunteers/my_shifts.html",
        {"shifts": shifts, "tasks": tasks, "now": timezone.now(), "strings": SCRIPT_STRINGS},
    )


@own_page
def checkin(request, token: str):
    """签到/签退 at the site whose QR code was scanned."""
    site_id = duty.site_id_for_token(token)
    if site_id is None:
        raise Http404
    deployment = (
        duty.own_deployments(request.scope, request.user)
        .filter(site_id=site_id)
        .select_related("site")
        .order_by("-starts_on", "-id")
        .first()
    )
    open_ = (
        Attendance.objects.for_scope(request.scope.for_any_perm(OWN, DO))
        .filter(deployment=deployment, check_out_at__isnull=True)
        .first()
        if deployment
        else None
    )
    return render(
        request,
        "volunteers/checkin.html",
        {
            "token": token,
            "deployment": deployment,
            "open": open_,
            "strings": SCRIPT_STRINGS,
            "api_root": reverse("api:api-root"),
        },
    )


def _my_task(request, pk: int) -> SupportTask:
    scope = request.scope.for_perm(DO)
    if not scope.grants:
        raise PermissionDenied
    task = (
        SupportTask.objects.for_scope(scope)
        .filter(
            Q(assignee__volunteer__user_id=request.user.pk)
            | Q(assignee__staff__user_id=request.user.pk),
            pk=pk,
        )
        .select_related("site", "task_type")
        .first()
    )
    if task is None:
        raise Http404
    return task


@login_required
def my_task(request, pk: int):
    """One of my support tasks: its safety rules, the weight, then the handover QR code
    for the receiving party to scan (or its number and code to type)."""
    task = _my_task(request, pk)
    form = ReadyForm()
    status = 200
    if request.method == "POST":
        form = ReadyForm(request.POST)
        if form.is_valid():
            try:
                task = support.task_ready(
                    actor=request.user, task=task, weight_kg=form.cleaned_data["weight_kg"]
                )
            except ValidationError as exc:
                from firstline.core.views import apply_errors

                apply_errors(form, exc)
                status = 422
            else:
                return redirect("volunteers:my_task", task.pk)
        else:
            status = 422
    handover_url = request.build_absolute_uri(
        reverse("volunteers:handover", args=[task.handover_token])
    )
    from firstline.volunteers.views.duty import qr_svg

    template = (
        "volunteers/_my_task_state.html"
        if getattr(request, "htmx", False) and request.method == "GET"
        else "volunteers/my_task.html"
    )
    return render(
        request,
        template,
        {
            "task": task,
            "task_type": TaskType.objects.get(pk=task.task_type_id),
            "form": form,
            "handover_url": handover_url,
            "qr": qr_svg(handover_url, 5) if task.state == SupportTask.State.HANDOVER else "",
        },
        status=status,
    )


class MyTeam(ScopedViewMixin, generic.TemplateView):
    """我的队伍 (a team leader): the members and their hours."""

    model = Volunteer
    permission = OWN
    template_name = "volunteers/my_team.html"

    def get_context_data(self, **kwargs):
        team = people.team_led_by(self.request.scope, self.request.user)
        if team is None:
            raise Http404
        members = people.with_minutes(
            Volunteer.objects.for_scope(self.scope).filter(team=team), self.request.scope
        ).order_by("name")
        return super().get_context_data(team=team, members=members, **kwargs)
