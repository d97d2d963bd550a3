"""Wagtail's hooks of the public site (Wagtail finds this module by its name).

Reading figures (services/reading.py): a view of a live page and a download of a
document are counted as they are served. Counting is a hash and an append to the
process's buffer: the page never waits on the database for it.

A page view is counted around the page's serving (`on_serve_page`, innermost: order
100), once it answered 200. Wagtail checks a page's view restrictions in its own
`on_serve_page` hook, outside this one, so a password or sign-in prompt is not
counted; nor is a page whose serving failed or redirected. (`before_serve_page` runs
before those checks: a prompt would count as a read.) Wagtail's `before_serve_page`
checks (the request's method) answer before any `on_serve_page` runs.

A page is answered from the cache for anonymous readers (services/cache.py) inside
the counting hook (order 110), so a cached answer is counted as any other; Wagtail's
view restrictions are checked outside both.

A download is counted in `before_serve_document` after Wagtail's own restriction
check (order 100): a prompt answers there and stops the hooks that follow."""

from __future__ import annotations

from wagtail import hooks

from firstline.publishing.services.cache import page_serve_cached
from firstline.publishing.services.reading import reading_download, reading_view


@hooks.register("on_serve_page", order=100)
def count_page_view(serve):
    def serve_and_count(page, request, serve_args, serve_kwargs):
        response = serve(page, request, serve_args, serve_kwargs)
        if response.status_code == 200:
            reading_view(request, page)
        return response

    return serve_and_count


@hooks.register("on_serve_page", order=110)
def cache_page_for_anonymous_readers(serve):
    """Inside the counter (order 110 > 100): a page answered from the cache is a 200
    like any other, and counted."""

    def serve_from_cache(page, request, serve_args, serve_kwargs):
        return page_serve_cached(page, request, serve, serve_args, serve_kwargs)

    return serve_from_cache


@hooks.register("before_serve_document", order=100)
def count_document_download(document, request):
    reading_download(request, document)
