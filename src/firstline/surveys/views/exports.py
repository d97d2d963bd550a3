"""Exports in the background: start one (POST), watch its progress bar (the page
polls core's progress fragment with htmx), download the file when it is done.

The file is served here only: to the user who started the export, while the survey
is still in their scope for exporting; another user's export, another association's
survey or an expired file is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import generic

from firstline.core.models import TaskProgress
from firstline.core.views import ScopedViewMixin
from firstline.surveys.models import Response, Survey
from firstline.surveys.selectors import results
from firstline.surveys.services import exporting
from firstline.surveys.tasks import EXPORT, EXPORT_KIND, export_enqueue


def export_options(data) -> tuple[str, bool, dict]:
    """The format, labels-or-codes and the results' filters of a request's data."""
    fmt = data.get("format", "csv")
    if fmt not in exporting.FORMATS:
        raise Http404
    filters = {k: data.get(k, "").strip()[:16] for k in results.FILTERS if data.get(k)}
    return fmt, data.get("labels") == "1", filters


def own_export(request, survey: Survey, progress_id) -> TaskProgress:
    """An export of `survey` started by the requesting user."""
    try:
        progress = TaskProgress.objects.filter(
            pk=progress_id, owner_id=request.user.pk, kind=EXPORT_KIND
        ).first()
    except ValidationError:  # not a UUID
        progress = None
    if progress is None or progress.result.get("survey_id") != survey.pk:
        raise Http404
    return progress


class ExportStart(ScopedViewMixin, generic.View):
    """POST: start a background export with the results' filters, then its page."""

    model = Survey
    permission = EXPORT
    http_method_names = ["post"]

    def post(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        fmt, labels, filters = export_options(request.POST)
        count = results.filtered(
            Response.objects.for_scope(self.scope).filter(survey=survey), filters
        ).count()
        if refused := exporting.refusal(fmt, count):
            messages.error(request, refused)
            return redirect("surveys:survey_results", pk=survey.pk)
        progress = export_enqueue(
            actor=request.user, survey=survey, fmt=fmt, labels=labels, filters=filters
        )
        return redirect("surveys:export_progress", pk=survey.pk, progress_id=progress.pk)


class ExportProgress(ScopedViewMixin, generic.TemplateView):
    """The export's progress bar and, once written, its download link."""

    model = Survey
    permission = EXPORT
    template_name = "surveys/export_progress.html"

    def get_template_names(self):
        if getattr(self.request, "htmx", False):  # the section's own poll
            return ["surveys/_export_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        survey = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        ctx.update(survey=survey, progress=own_export(self.request, survey, kwargs["progress_id"]))
        return ctx


class ExportFile(ScopedViewMixin, generic.View):
    """The finished export's file, as an attachment."""

    model = Survey
    permission = EXPORT

    def get(self, request, pk, progress_id):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        progress = own_export(request, survey, progress_id)
        name = progress.result.get("file", "")
        if (
            progress.status != TaskProgress.Status.SUCCEEDED
            or not name
            or not default_storage.exists(name)
        ):
            raise Http404
        fmt = progress.result.get("format", "csv")
        return FileResponse(
            default_storage.open(name, "rb"),
            as_attachment=True,
            filename=progress.result.get("filename") or name.rsplit("/", 1)[-1],
            content_type=exporting.CONTENT_TYPES.get(fmt, "application/octet-stream"),
        )
