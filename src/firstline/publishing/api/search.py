"""Search of the public site over the API: GET /api/v1/site/search?q=&page=, with no
login (`auth=None` overrides the API's global auth), 20 results a page, ranked as
on /site/search/ (services/search.py). Only published public pages are indexed."""

from __future__ import annotations

from typing import Annotated

from ninja import Query, Router
from pydantic import Field, StringConstraints

from firstline.core.api import MAX_PAGE, Schema
from firstline.publishing.services.search import MAX_QUERY_LENGTH, search_page

router = Router(tags=["publishing"])

PER_PAGE = 20


class SearchParams(Schema):
    q: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_LENGTH)
    ] = Field(description="Words to find, Chinese or not; all must match, else any.")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="From 1; past the end, no items.")


class SearchResultOut(Schema):
    title: str
    kind: str = Field(description="guide, policy, news, appeal, topic or faq")
    url: str = Field(description="The page's URL and the piece's #anchor")
    context: str = Field(description="The guide and chapter of a section; the FAQ page")
    snippet: str = Field(description="Escaped HTML: an excerpt, the query's words in <mark>")
    score: float = Field(description="Higher is better; compare within one answer only")


class SearchOut(Schema):
    count: int = Field(description="Matches, counted up to 1,000")
    any_word: bool = Field(description="True when no entry has every word and these have some")
    items: list[SearchResultOut]


@router.get(
    "/search",
    auth=None,
    response=SearchOut,
    summary="Search the public site (guides' sections, policies, news, topics, FAQ)",
    operation_id="publishing_search",
)
def search(request, params: Query[SearchParams]):
    found = search_page(params.q, number=params.page, per_page=PER_PAGE, request=request)
    return {
        "count": found.count,
        "any_word": found.any_word,
        "items": [{**result.__dict__, "snippet": str(result.snippet)} for result in found.results],
    }
