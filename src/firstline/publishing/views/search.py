"""The public site's search page (/site/search/?q=, no login): ranked sections,
policies, news and questions, 20 a page, each linking to its place on its page."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from firstline.publishing.models import KnowledgeHome
from firstline.publishing.selectors.pages import site_sections
from firstline.publishing.services.search import MAX_QUERY_LENGTH, search_page

PER_PAGE = 20


def _number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1


@require_GET
def search(request):
    q = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    results = search_page(
        q, number=_number(request.GET.get("page")), per_page=PER_PAGE, request=request
    )
    if results.number > results.pages:  # past the end: the last page
        results = search_page(q, number=results.pages, per_page=PER_PAGE, request=request)
    home = KnowledgeHome.objects.first()
    sections = [{**section, "active": False} for section in site_sections(home)] if home else []
    return render(
        request,
        "publishing/search.html",
        {"q": q, "results": results, "site_sections": sections, "home": home},
    )
