"""Chinese search of positions: the query's words (jieba, as the public site's search
segments them) each matched against a position's indexed words (" word "), every word
required; ranked simply, by how many of the words the title holds, then newest. The
same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, Value, When

from firstline.publishing.services.search import segment_query


def search(qs, term: str):
    words = segment_query(term or "")
    if not words:
        return qs.order_by("-created_at", "-id")
    for word in words:
        qs = qs.filter(search_words__contains=f" {word} ")
    rank = Value(0, output_field=IntegerField())
    for word in words:
        rank = rank + Case(
            When(Q(title__icontains=word), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return qs.annotate(rank=rank).order_by("-rank", "-created_at", "-id")
