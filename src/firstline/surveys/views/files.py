"""The files answered to file and image questions: served (as attachments) to whoever
may read the survey's results, and only when a response in their scope holds that
file; another association's survey, or a file no response of theirs names, is 404.
The address is the file's storage path (services/uploads.py), which is what the
exports show."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views import generic

from firstline.core.views import ScopedViewMixin
from firstline.surveys.models import Question, Response, Survey
from firstline.surveys.selectors import public

RESULTS = "surveys.view_results"


class ResponseFile(ScopedViewMixin, generic.View):
    model = Survey
    permission = RESULTS

    def get(self, request, pk, token, name):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        path = f"surveys/{survey.pk}/files/{token}/{name}"
        named = Q()
        for q in public.questions_of(survey):
            if q.type in (Question.Type.FILE, Question.Type.IMAGE):
                named |= Q(**{f"answers__{q.name}": path})
        held = (
            named
            and Response.objects.for_scope(self.scope).filter(survey=survey).filter(named).exists()
        )
        if not held or not default_storage.exists(path):
            raise Http404
        return FileResponse(default_storage.open(path, "rb"), as_attachment=True, filename=name)
