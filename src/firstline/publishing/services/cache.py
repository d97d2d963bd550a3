"""What the public site caches, and how a change reaches every reader at once.

One number, the publish generation (`PublishGeneration`, one row), changes in the
same transaction as anything that may change what an anonymous reader sees: a page
published, unpublished, moved or deleted, and every write to the search index.
Cached things carry the generation in their key, so nothing is ever deleted from the
cache: after a change, every process reads the new number (one indexed query) and
misses, and the old entries age out. That holds with Django's per-process memory
cache as well as with a shared one.

Cached: the first page of a search's ranked hits (services/search.py) and the public
pages as served to anonymous readers (wagtail_hooks.py). Not cached: anything for a
signed-in reader, or a page behind a view restriction.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from firstline.publishing.models import PublishGeneration

TIMEOUT = 600  # seconds; an entry of an old generation is never read again anyway
PREFIX = "publishing"


def generation() -> int:
    """The current publish generation. One query."""
    value = PublishGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0


def generation_bump() -> None:
    """Give the generation a new value (inside the caller's transaction: readers see
    it when the change itself is committed). A random one, not the next number: a
    transaction rolled back after caching under its own uncommitted value must not
    leave entries that a later change, reaching the same number, would read."""
    value = secrets.randbits(62)
    with transaction.atomic():
        if not PublishGeneration.objects.filter(pk=1).update(value=value):
            PublishGeneration.objects.update_or_create(pk=1, defaults={"value": value})


def cache_key(kind: str, *parts, generation_value: int) -> str:
    """A key of bounded length for any parts (a query's words, a path)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"{PREFIX}:{kind}:{generation_value}:{digest}"


def cache_get(key: str):
    return cache.get(key)


def cache_set(key: str, value) -> None:
    cache.set(key, value, TIMEOUT)


def _on_change(sender, **kwargs) -> None:
    generation_bump()


def _on_page_save(sender, instance, **kwargs) -> None:
    # Any save of a page (a draft's too: its row changes; and pages made live in
    # code with add_child, which sends no page_published).
    if isinstance(instance, Page):
        generation_bump()


def connect() -> None:
    page_published.connect(_on_change, dispatch_uid="publishing-cache-published")
    page_unpublished.connect(_on_change, dispatch_uid="publishing-cache-unpublished")
    post_page_move.connect(_on_change, dispatch_uid="publishing-cache-moved")
    post_delete.connect(_on_change, sender=Page, dispatch_uid="publishing-cache-deleted")
    post_save.connect(_on_page_save, dispatch_uid="publishing-cache-page-saved")


# --- public pages -----------------------------------------------------------------------------

# The page's CSRF token (base.html puts one in htmx's headers) belongs to the reader
# it was rendered for: the cached copy holds a placeholder, and each reader gets
# their own token in its place.
CSRF_TOKEN = re.compile(
    rb'(?<="X-CSRFToken": ")[A-Za-z0-9]{32,64}|(?<=name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}'
)
CSRF_PLACEHOLDER = b"__FIRSTLINE_CSRF__"


def _cacheable(request) -> bool:
    """An anonymous reader's plain GET, with no message waiting to be shown."""
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    if "messages" in request.COOKIES:
        return False
    session = getattr(request, "session", None)
    return not (session is not None and session.session_key and "_messages" in session)


def page_serve_cached(page, request, serve, serve_args, serve_kwargs):
    """Serves a public page to an anonymous reader from the cache when it is there
    (keyed by the page, the full path with its query, the language and the publish
    generation); otherwise serves it and keeps a 200 answer. Wagtail has routed the
    request and checked the page's view restrictions before this runs, and the
    reading counter, around it, counts the view either way."""
    if not _cacheable(request):
        return serve(page, request, serve_args, serve_kwargs)
    key = cache_key(
        "page",
        page.pk,
        request.get_host(),
        request.get_full_path(),
        translation.get_language(),
        generation_value=generation(),
    )
    if (cached := cache_get(key)) is not None:
        content, content_type = cached
        if CSRF_PLACEHOLDER in content:
            content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(content, content_type=content_type)
        response["X-Firstline-Cache"] = "hit"
        return response
    response = serve(page, request, serve_args, serve_kwargs)
    if response.status_code == 200 and not response.streaming and not response.cookies:
        if hasattr(response, "render"):
            response.render()
        stored = CSRF_TOKEN.sub(CSRF_PLACEHOLDER, response.content)
        cache_set(key, (stored, response["Content-Type"]))
    return response
