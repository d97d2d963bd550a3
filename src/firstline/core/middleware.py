"""Text no request may carry (core/validators.py): a NUL character or a lone
surrogate in the URL path, a query parameter or a form field (URL-encoded or
multipart, names, values and file names) of any page or API request is refused
here, 422 naming the field, before any view reads it. The API's JSON bodies are
refused field by field by their schemas (`core.api.Schema`, `core.api.Text`), so
a device batch reports a bad item by its index and stores the others."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from firstline.core.validators import BAD_TEXT, BAD_TEXT_MESSAGE, first_bad_field

API_PREFIX = "/api/"  # the URL tree mounts the API there (firstline/urls.py)


class TextInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        found = bad_input(request)
        if found is not None:
            return refusal(request, *found)
        return self.get_response(request)


def bad_input(request: HttpRequest) -> tuple[str, str] | None:
    """(where, field) of the first input holding bad text: where is the API's name
    for it (path, query, form, file)."""
    if BAD_TEXT.search(request.path_info):
        return "path", ""
    if (name := first_bad_field(request.GET.lists())) is not None:
        return "query", name
    if request.method == "POST":
        if (name := first_bad_field(request.POST.lists())) is not None:
            return "form", name
        files = ((name, [f.name or "" for f in uploads]) for name, uploads in request.FILES.lists())
        if (name := first_bad_field(files)) is not None:
            return "file", name
    return None


def refusal(request: HttpRequest, where: str, field: str) -> HttpResponse:
    """422 naming the field: the API's error shape, or the error page."""
    if request.path_info.startswith(API_PREFIX):
        loc = [where, field] if field else [where]
        body = {"detail": [{"type": "bad_text", "loc": loc, "msg": BAD_TEXT_MESSAGE}]}
        return HttpResponse(json.dumps(body), status=422, content_type="application/json")
    return render(request, "errors/422.html", {"field": field or where}, status=422)
