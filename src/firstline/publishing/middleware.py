"""The Wagtail editor's pages get their own Content-Security-Policy (settings.EDITOR_CSP):
Wagtail's admin sets styles inline, which the platform's strict policy refuses. The
public pages and every other page keep the strict one."""

from django.conf import settings

EDITOR_PREFIX = "/cms/"


class EditorCSPMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(EDITOR_PREFIX):
            response._csp_config = settings.EDITOR_CSP
        return response
