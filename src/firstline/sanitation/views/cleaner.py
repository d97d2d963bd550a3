"""The cleaner's phone pages: today's tasks of a site by area, one area's tasks (what
its posted QR code opens), and the one-tap completion.

A tap is an htmx POST that answers with the task's refreshed card and, out of band
(`hx-swap-oob`), the counters it changed: the page's "done of total" and, on the
day's page, the area's badge; the form says which page it is on (`progress`). The
page's script
(static sanitation/cleaner.js) gives each tap a client UUID and keeps it in a queue in
the browser until the server has answered, so a tap made on a bad connection is
replayed later; the service stores a UUID once, so a replay changes nothing twice.
Without JavaScript the form still posts and the area's page comes back.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from firstline.core.views import ScopedViewMixin, row_id
from firstline.estates.models import Site
from firstline.sanitation.models import Area, Task
from firstline.sanitation.selectors.cleaner import TASK_FIELDS, day_by_area, progress
from firstline.sanitation.services.completion import task_complete

PERMISSION = "sanitation.do_task"
MAX_SITES = 200  # the chooser of a company admin; a cleaner has one site or a few

SCRIPT_STRINGS = {
    "queued": _("未联网，已暂存，恢复网络后自动上传"),
    "auth": _("登录已失效：已暂存，请重新登录后自动上传"),
    "rejected": _("服务器未接受此记录"),
    "storage_failed": _("本机无法暂存此记录，请稍后重试"),
    "queue_count": _("离线：%(n)s 条待上传"),
    "online": _("在线"),
    "offline": _("离线"),
    "photo_dropped": _("照片未能暂存，仅上传完成记录"),
}


class CompleteForm(forms.Form):
    batch = forms.CharField(label=_("消毒剂批号"), max_length=64, required=False)
    photo = forms.ImageField(label=_("照片"), required=False)
    client_uuid = forms.UUIDField(required=False, widget=forms.HiddenInput)


class CleanerMixin(ScopedViewMixin):
    model = Task
    permission = PERMISSION

    def page(self, request, template: str, *, site, area=None, status=200, **extra):
        today = timezone.localdate()
        day = day_by_area(
            self.scope, today, site_id=site.pk, area_id=area.pk if area is not None else None
        )
        ctx = self.get_context_data(
            site=site,
            area=area,
            day=day,
            today=today,
            now=timezone.now(),
            strings=SCRIPT_STRINGS,
            **extra,
        )
        return self.render_to_response(ctx, status=status)


class TodayPage(CleanerMixin, generic.TemplateView):
    """Today's tasks of one site by area. Without ?site=: the only site, or a chooser."""

    template_name = "sanitation/cleaner_today.html"

    def get(self, request, *args, **kwargs):
        sites = Site.objects.for_scope(self.scope).only("id", "name").order_by("name", "id")
        wanted = request.GET.get("site", "")
        if wanted:
            pk = row_id(wanted)
            site = sites.filter(pk=pk).first() if pk is not None else None
            if site is None:
                raise Http404
            return self.page(request, self.template_name, site=site, several=True)
        first_two = list(sites[:2])
        if len(first_two) == 1:
            return self.page(request, self.template_name, site=first_two[0], several=False)
        return self.render_to_response(
            self.get_context_data(site=None, sites=sites[:MAX_SITES], strings=SCRIPT_STRINGS)
        )


class AreaPage(CleanerMixin, generic.TemplateView):
    """What an area's QR code opens: that area's tasks today. Another company's (or an
    unknown) code is 404 alike."""

    template_name = "sanitation/cleaner_area.html"

    def get(self, request, qr_token: str):
        area = (
            Area.objects.for_scope(self.scope)
            .select_related("site")
            .only("id", "name", "kind", "qr_token", "active", "site__id", "site__name")
            .filter(qr_token=qr_token, active=True)
            .first()
        )
        if area is None:
            raise Http404
        return self.page(request, self.template_name, site=area.site, area=area)


class TaskComplete(CleanerMixin, TemplateResponseMixin, ContextMixin, generic.View):
    """POST: done with one tap (batch, photo and client UUID optional). htmx gets the
    task's card; a plain form post gets the area's page. A refusal names the field
    (status 422) and changes nothing."""

    template_name = "sanitation/cleaner_area.html"

    def post(self, request, pk: int):
        task = get_object_or_404(
            self.get_queryset()
            .select_related("area", "entry", "site")
            .only(*TASK_FIELDS, "site__id", "site__name", "client_uuid", "revision"),
            pk=pk,
        )
        form = CompleteForm(request.POST, request.FILES)
        message, status, completion = "", 200, None
        if form.is_valid():
            try:
                completion = task_complete(
                    task=task,
                    actor=request.user,
                    batch=form.cleaned_data["batch"],
                    photo=form.cleaned_data["photo"],
                    client_uuid=form.cleaned_data["client_uuid"],
                )
            except ValidationError as exc:
                message, status = _error_text(exc), 422
            else:
                message = completion.message
        else:
            message, status = _form_text(form), 422
        shown = self._fresh(pk) if completion is not None else task
        if getattr(request, "htmx", False):
            on_area_page = request.POST.get("progress") == "area"
            return self.response_class(
                request=request,
                template=["sanitation/_cleaner_tap.html"],
                context={
                    "task": shown,
                    "area": task.area if on_area_page else None,
                    "counters": self._counters(task, on_area_page=on_area_page),
                    "message": message,
                    "error": status != 200,
                    "now": timezone.now(),
                },
                status=status,
            )
        return self.page(
            request,
            AreaPage.template_name,
            site=task.site,
            area=task.area,
            status=status,
            message=message,
            message_task=pk,
            error=status != 200,
        )

    def _counters(self, task: Task, *, on_area_page: bool) -> dict:
        """What the tap's answer sends out of band: the page's counter (the area's on
        an area page, else the site's day) and, on the day's page, the area's badge."""
        figures = progress(
            self.get_queryset(), task.day, site_id=task.site_id, area_id=task.area_id
        )
        if on_area_page:
            return {"done": figures.area_done, "total": figures.area_total}
        return {
            "done": figures.done,
            "total": figures.total,
            "area_id": task.area_id,
            "area_done": figures.area_done,
            "area_total": figures.area_total,
        }

    def _fresh(self, pk: int) -> Task:
        return self.get_queryset().select_related("area", "entry").only(*TASK_FIELDS).get(pk=pk)


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for messages in exc.message_dict.values() for m in messages)
    return "；".join(exc.messages)


def _form_text(form) -> str:
    return "；".join(
        f"{form.fields[name].label or name}：{m}" if name in form.fields else m
        for name, errors in form.errors.items()
        for m in errors
    )
