"""Published FAQ answers similar to what a member is typing: the public site's Chinese
search (publishing's jieba-segmented index), FAQ entries only. It reads the public
site alone, so it can never show another company's consultation."""

from __future__ import annotations

from firstline.consultations.models import FaqDraft
from firstline.consultations.selectors.threads import DESK
from firstline.core.scope import Scope
from firstline.publishing.services.search import search_page

MIN_LENGTH = 2
SHOWN = 5


def similar_answers(text: str, *, request=None) -> list:
    """Up to five published FAQ answers for `text` (the question's title and words)."""
    text = (text or "").strip()
    if len(text) < MIN_LENGTH:
        return []
    page = search_page(text[:100], per_page=50, request=request)
    return [hit for hit in page.results if hit.kind == "faq"][:SHOWN]


def drafts(scope: Scope):
    return FaqDraft.objects.for_scope(scope.for_perm(DESK)).select_related("consultation")
