"""Rate limits on the shared cache: sign-in attempts and the public sign-up forms.

settings.FIRSTLINE_RATE_LIMITS maps a URL name (`login`, `volunteers:join`) or a path
prefix (`/api/v1/auth/token`) to a rate, "N/s", "N/m" or "N/h": that many POSTs per
client address per window. The counter lives in the default cache, so with REDIS_URL
set (settings.CACHES) every app host counts together: ten attempts spread over two
hosts are ten, not five and five. One more answers 429 with Retry-After: the error
page, or the API's JSON shape under /api/.

The client address is REMOTE_ADDR; behind N trusted proxies (the load balancer),
settings.FIRSTLINE_PROXY_COUNT = N takes the address the N-th proxy saw, from the
right of X-Forwarded-For (a client can put anything on the left).

The embedded default's cache is per process (LocMemCache): a limit is then counted
per server process, which is enough for one machine.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


def client_address(request) -> str:
    proxies = int(getattr(settings, "FIRSTLINE_PROXY_COUNT", 0))
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def hit(request, name: str, rate: str) -> int | None:
    """Count one attempt of this client at `name`; None when allowed, else the
    seconds until its window ends. The counting is django-ratelimit's (an atomic
    add/incr on the default cache, windows staggered per client)."""
    usage = get_usage(
        request, group=name, key=lambda _group, r: client_address(r), rate=rate, increment=True
    )
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def _rule_for(request) -> tuple[str, str] | None:
    limits = getattr(settings, "FIRSTLINE_RATE_LIMITS", {})
    if not limits:
        return None
    match = request.resolver_match
    if match is not None and match.view_name in limits:
        return match.view_name, limits[match.view_name]
    for key, rate in limits.items():
        if key.startswith("/") and request.path_info.startswith(key):
            return key, rate
    return None


def too_many(request, retry_after: int) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        body = {"detail": "too many requests; try again later", "retry_after": retry_after}
        response = HttpResponse(json.dumps(body), status=429, content_type="application/json")
    else:
        response = render(request, "errors/429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Counts POSTs to the views in settings.FIRSTLINE_RATE_LIMITS (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST":
            return None
        rule = _rule_for(request)
        if rule is None:
            return None
        name, rate = rule
        retry_after = hit(request, name, rate)
        return None if retry_after is None else too_many(request, retry_after)
