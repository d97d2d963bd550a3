# ruff: noqa: S608 - the table names are constants; every value, the query's words included, is a parameter
"""Chinese full-text search of the public site, built beside Wagtail's own search.

Why not Wagtail's search backend: it hands text to the database as it is, and
neither SQLite's FTS5 tokenizers nor PostgreSQL's text-search parsers know where
one Chinese word ends and the next begins (a run of Han characters is one token, so
"电梯" never matches "电梯轿厢每日消毒"). Wagtail also indexes a page as one document,
while a guide chapter's sections are what a reader wants to land on. So each
searchable piece becomes a `SearchEntry` whose `words` are segmented by jieba
(rjieba), and the database's own full-text index works over those words:

- SQLite: an FTS5 table `publishing_search_fts(title, words)` whose rowid is the
  entry's id (migration 0002); it is kept in step here, in the same transaction as
  the entries (DESIGN.md: no database triggers). Ranked by bm25, the title column
  weighing `TITLE_WEIGHT` times the body. (bm25 written out in the query, not FTS5's
  configured `rank` column, which measured twice as slow.) bm25 costs about a
  microsecond a match, so at most `RANK_CAP` matches are ranked (the newest, and for
  one word the newest with it in their title), and a query matched with any of its
  words ranks only the entries holding its rarer ones while that is exact
  (`_fts_ranked`, `_fts_ranked_any`; docs/publishing.md has the figures).
- PostgreSQL: a stored generated column `search_vector` on the entry's table, a
  tsvector of `words` under the 'simple' configuration (the words are already
  segmented, nothing to stem), the title's words at weight A, with a RUM index
  (the `rum` extension, migration 0008; the Debian package postgresql-NN-rum on
  the database server). RUM is GIN that also keeps each word's positions, so the
  index itself hands the matches over in rank order: `ORDER BY search_vector <=>
  query` is 1 / the cover-density rank (ts_rank_cd's, weight A counting ten times
  weight D, without the length normalisation: the index knows no length), and only
  the page of results shown is read from the table, joined for its text; snippets
  are cut for those rows only (`snippet`, in Python).

  With a GIN index and ts_rank_cd, PostgreSQL read and ranked every entry that has
  the words, about a microsecond (and a random read of the row) each: a common word
  in half of 100,000 entries cost 60–150 ms. Over the bench's query mix the ranked
  query's p95 fell from 172 to 37 ms with RUM (docs/publishing.md has the figures);
  the first page of each query is cached as well (`search_page`, services/cache.py).

`words` holds the segmented title, a newline, then the segmented body: both
databases split it there, so the title can weigh more without another column.

Pieces: each section (StreamField block) of a guide chapter, anchored "s1", "s2"…
as the chapter's template numbers them; each policy, news item, appeal (倡议书) and
topic; each question of the FAQ page, anchored "q<pk>". A page is indexed when it
is published and forgotten when unpublished or deleted (`connect`); pages behind a
view restriction and aliases are not indexed. `search_rebuild` (and `manage
publishing_reindex`) redoes the whole index from the live pages.

A query is segmented the same way and all its words must match; when that finds
nothing, any word may. Words are quoted (FTS5) or passed as parameters
(PostgreSQL), so no input is ever read as query syntax.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import astuple, dataclass
from typing import NamedTuple

import rjieba
from django.db import connection, transaction
from django.db.models.signals import pre_delete
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, PageViewRestriction
from wagtail.rich_text import get_text_for_indexing
from wagtail.signals import page_published, page_unpublished

from firstline.publishing.models import (
    CallToActionPage,
    FaqItem,
    FaqPage,
    GuideChapterPage,
    GuidePage,
    NewsPage,
    PolicyPage,
    SearchEntry,
    TopicPage,
)
from firstline.publishing.services.cache import (
    cache_get,
    cache_key,
    cache_set,
    generation,
    generation_bump,
)

FTS_TABLE = "publishing_search_fts"
TITLE_WEIGHT = 4.0  # bm25's weight of the title column on SQLite
MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 16
MAX_RESULTS = 1000  # what a result list counts and pages through at most
SNIPPET_LENGTH = 120
BATCH = 2000
RUM_INDEX = "publishing_searchentry_vector_rum"  # PostgreSQL (migration 0008)
RANK_WORK_MEM = "32MB"  # PostgreSQL's memory for sorting one search's matches

KINDS = {
    "guide": _("操作指引"),
    "policy": _("政策法规"),
    "news": _("新闻"),
    "appeal": _("倡议书"),
    "topic": _("专题"),
    "faq": _("常见问题"),
}

# Words that carry no meaning of their own: left out of the index and the query, so
# "电梯的消毒" asks for 电梯 and 消毒 and not for a section that also says 的.
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "对",
        "等",
        "把",
        "被",
        "将",
        "之",
        "也",
        "就",
        "都",
        "而",
        "并",
        "其",
        "于",
        "以",
        "为",
        "由",
        "向",
    ]
)
WORD = re.compile(r"[^\W_]+")


# --- segmentation -------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Full-width letters and digits as ASCII (ｎ９５ → n95), before jieba sees them."""
    return unicodedata.normalize("NFKC", text)


def _normal(words: Iterable[str]) -> Iterator[str]:
    """jieba's pieces as index words: lower case, only letters and digits (punctuation and spaces dropped, "covid-19" is
    covid and 19), stop words left out."""
    for piece in words:
        for word in WORD.findall(piece.lower()):
            if word not in STOP_WORDS:
                yield word


def segment_for_index(text: str) -> list[str]:
    """The words a text is found by: jieba's search mode, which adds the shorter
    words inside a long one (中华人民共和国 is found by 人民 and by 共和国)."""
    return list(_normal(rjieba.cut_for_search(_fold(text)))) if text else []


def segment_query(q: str) -> list[str]:
    """The words of a query (jieba's precise mode), each once, in order."""
    seen: dict[str, None] = {}
    for word in _normal(rjieba.cut(_fold(q[:MAX_QUERY_LENGTH]))):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


def words_of(title: str, text: str, extra: str = "") -> str:
    """`SearchEntry.words`: the title's words, a newline, then the body's (the text
    and `extra`, words a piece is found by that its snippet does not show)."""
    body = segment_for_index(text) + segment_for_index(extra)
    return " ".join(segment_for_index(title)) + "\n" + " ".join(body)


def _plain(value) -> str:
    """Rich text (a RichText value or its HTML source) as plain text, one line."""
    source = getattr(value, "source", value) or ""
    return " ".join(get_text_for_indexing(str(source)).split())


def _join(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part and part.strip())


# --- what a page contributes ----------------------------------------------------------------


class SearchRow(NamedTuple):
    """One entry to write. `words` is computed from title, text and extra when None."""

    page_id: int
    anchor: str
    kind: str
    title: str
    text: str
    extra: str = ""
    words: str | None = None


INDEXED = (GuideChapterPage, PolicyPage, NewsPage, CallToActionPage, TopicPage, FaqPage)


def rows_of(page: Page) -> list[SearchRow]:
    """The searchable pieces of one (specific) page; none for other page types."""
    if isinstance(page, GuideChapterPage):
        guide = page.get_parent()
        context = _join(guide.title if guide else "", page.title)
        return [
            SearchRow(
                page.pk,
                f"s{number}",
                "guide",
                str(block.value["heading"]),
                _plain(block.value["body"]),
                context,
            )
            for number, block in enumerate(page.sections, start=1)
            if block.block_type == "section"
        ]
    if isinstance(page, FaqPage):
        return [
            SearchRow(page.pk, f"q{item.pk}", "faq", item.question, _plain(item.answer))
            for item in FaqItem.objects.filter(page=page).order_by("sort_order", "pk")
        ]
    if isinstance(page, PolicyPage):
        text = _join(page.summary, _plain(page.body))
        return [
            SearchRow(
                page.pk, "", "policy", page.title, text, _join(page.issuer, page.document_number)
            )
        ]
    if isinstance(page, NewsPage):
        return [SearchRow(page.pk, "", "news", page.title, _join(page.summary, _plain(page.body)))]
    if isinstance(page, CallToActionPage):
        text = _join(page.summary, _plain(page.body))
        return [SearchRow(page.pk, "", "appeal", page.title, text, page.signatories)]
    if isinstance(page, TopicPage):
        return [SearchRow(page.pk, "", "topic", page.title, _join(page.summary, _plain(page.body)))]
    return []


def _searchable(page: Page) -> bool:
    """Live, not an alias (its original is found instead), and readable by everyone
    (no password, login or group restriction on it or above it)."""
    if not page.live or page.alias_of_id is not None:
        return False
    return not PageViewRestriction.objects.filter(
        page__in=page.get_ancestors(inclusive=True)
    ).exists()


# --- writes ---------------------------------------------------------------------------------


def _fts_delete_ids(cursor, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cursor.execute(
            f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk
        )


def search_entries_bulk(rows: Iterable[SearchRow], *, batch_size: int = BATCH) -> int:
    """Writes many entries and their full-text rows, `batch_size` at a time
    (bulk_create, then one executemany into FTS5 on SQLite; PostgreSQL computes the
    tsvector itself). Each (page_id, anchor) must be new. Returns how many."""
    written = 0
    with transaction.atomic():
        batch: list[SearchEntry] = []
        for row in rows:
            words = row.words if row.words is not None else words_of(row.title, row.text, row.extra)
            batch.append(
                SearchEntry(
                    page_id=row.page_id,
                    anchor=row.anchor,
                    kind=row.kind,
                    title=row.title[:300],
                    text=row.text,
                    words=words,
                )
            )
            if len(batch) >= batch_size:
                written += _write(batch)
                batch = []
        if batch:
            written += _write(batch)
        if written:
            generation_bump()
    return written


def _write(entries: list[SearchEntry]) -> int:
    created = SearchEntry.objects.bulk_create(entries)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            ids = [entry.pk for entry in created]
            _fts_delete_ids(cursor, ids)  # a row left by a flushed table must not linger
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, words) VALUES (%s, %s, %s)",
                [(entry.pk, *entry.words.split("\n", 1)) for entry in created],
            )
    return len(created)


def search_remove(*, page_ids: Iterable[int]) -> int:
    """Forgets every entry of these pages. Returns how many went."""
    page_ids = list(page_ids)
    if not page_ids:
        return 0
    with transaction.atomic():
        entries = SearchEntry.objects.filter(page_id__in=page_ids)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                _fts_delete_ids(cursor, list(entries.values_list("pk", flat=True)))
        removed, _by_model = entries.delete()
        if removed:
            generation_bump()
    return removed


def search_index_page(*, page: Page) -> int:
    """(Re)writes one page's entries from its live content, or removes them when it
    is no longer searchable. A guide's chapters carry its title among their words,
    so publishing a guide reindexes its live chapters. Returns entries written."""
    page = page.specific
    if isinstance(page, GuidePage):
        return sum(
            search_index_page(page=chapter)
            for chapter in GuideChapterPage.objects.child_of(page).live()
        )
    with transaction.atomic():
        search_remove(page_ids=[page.pk])
        if not isinstance(page, INDEXED) or not _searchable(page):
            return 0
        return search_entries_bulk(rows_of(page))


def search_rebuild() -> int:
    """The whole index anew from every live, public page, then compacted
    (`search_compact`). Returns entries written."""
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")
        generation_bump()
        restricted = list(PageViewRestriction.objects.values_list("page__path", flat=True))

        def rows() -> Iterator[SearchRow]:
            for model in INDEXED:
                for page in model.objects.live().filter(alias_of__isnull=True).order_by("path"):
                    if not any(page.path.startswith(path) for path in restricted):
                        yield from rows_of(page)

        written = search_entries_bulk(rows())
        search_compact()
        return written


def search_compact() -> bool:
    """PostgreSQL: the RUM index rebuilt compact. Grown entry by entry, as publishing
    and the bulk writer grow it, its posting trees are left half full: 100,000
    entries written in batches made a 146–224 MB index where a rebuilt one is 67 MB,
    and searches for common words ran three times slower on it. Concurrently (reads
    and writes go on) outside a transaction; inside one (`search_rebuild`) plainly.
    SQLite: FTS5's index merged into one b-tree ('optimize'). Written batch by batch,
    and with every entry deleted leaving a delete marker until a merge reaches it, it
    is left in many pieces: after a few rewrites of the bench's 100,000 entries it was
    131 MB where a merged one is 43 MB, and searches ran two to seven times slower on
    it. True when it ran."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
        return True
    if connection.vendor != "postgresql":
        return False
    concurrently = "" if connection.in_atomic_block else "CONCURRENTLY "
    with connection.cursor() as cursor:
        cursor.execute(f"REINDEX INDEX {concurrently}{RUM_INDEX}")
    return True


# --- signals (Wagtail's; the service does the work) ----------------------------------------


def _on_published(sender, instance, alias: bool = False, **kwargs) -> None:
    if not alias:
        search_index_page(page=instance)


def _on_unpublished(sender, instance, **kwargs) -> None:
    search_remove(page_ids=[instance.pk])


def _on_delete(sender, instance, **kwargs) -> None:
    # Before the delete, not after: the cascade takes the entries with the page, and
    # their FTS5 rows are found through them.
    search_remove(page_ids=[instance.pk])


def connect() -> None:
    page_published.connect(_on_published, dispatch_uid="publishing-search-published")
    page_unpublished.connect(_on_unpublished, dispatch_uid="publishing-search-unpublished")
    for model in INDEXED:
        pre_delete.connect(
            _on_delete, sender=model, dispatch_uid=f"publishing-search-delete-{model.__name__}"
        )


# --- queries --------------------------------------------------------------------------------


@dataclass
class SearchHit:
    """One ranked entry: `score` is higher for a better match (the negated bm25 on
    SQLite, RUM's cover-density rank on PostgreSQL, so not comparable between them)."""

    id: int
    page_id: int
    anchor: str
    kind: str
    title: str
    text: str
    score: float


def _fts_match(words: list[str], operator: str) -> str:
    return f" {operator} ".join('"' + word.replace('"', '""') + '"' for word in words)


def _pg_query(words: list[str], operator: str) -> tuple[str, list[str]]:
    joiner = " && " if operator == "AND" else " || "
    return joiner.join(["plainto_tsquery('simple', %s)"] * len(words)), list(words)


COLUMNS = "e.id, e.page_id, e.anchor, e.kind, e.title, e.text"


def _ranked(words: list[str], operator: str, limit: int, offset: int) -> list[SearchHit]:
    # On PostgreSQL in a transaction, for its SET LOCAL (no savepoint: one query more
    # inside a transaction as outside).
    postgresql = connection.vendor == "postgresql"
    atomic = transaction.atomic(savepoint=False) if postgresql else nullcontext()
    with atomic, connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if operator == "OR" and len(words) > 1:
                ranked = _fts_ranked_any(cursor, words, limit + offset)
            else:
                ranked = _fts_ranked(
                    cursor,
                    _fts_match(words, operator),
                    limit + offset,
                    tier=f"title : {_fts_match(words, 'AND')}" if len(words) == 1 else None,
                )
            return _fts_hits(cursor, ranked[offset:])
        else:
            # The RUM index hands the matches over in rank order (`<=>`, the distance
            # 1 / rank), ranking them from the positions it keeps: no matching row is
            # read but the page's, which are then joined for their text. The order by
            # distance alone is what the index can give (a tie-break by id would make
            # PostgreSQL rank every match itself); within the page ties go by id.
            query, params = _pg_query(words, operator)
            # The index sorts the matches by distance in memory: a common word's
            # tens of thousands spill to disk under the default 4 MB (bench: p95
            # 76 → 56 ms on a loaded machine).
            cursor.execute(f"SET LOCAL work_mem = '{RANK_WORK_MEM}'")
            # (The query stays a subquery the planner folds into a constant, not a
            # materialised CTE: the index scan's order needs it as a constant.)
            cursor.execute(
                f"SELECT {COLUMNS}, 1 / m.distance FROM (SELECT s.id,"
                " s.search_vector <=> q.query AS distance"
                f" FROM publishing_searchentry s, (SELECT {query} AS query) AS q"
                " WHERE s.search_vector @@ q.query ORDER BY s.search_vector <=> q.query"
                " LIMIT %s OFFSET %s"
                ") AS m JOIN publishing_searchentry e ON e.id = m.id ORDER BY m.distance, e.id",
                [*params, limit, offset],
            )
        return [SearchHit(*row) for row in cursor.fetchall()]


# SQLite: FTS5 ranks a match with bm25 in about a microsecond, so a word in half of
# 100,000 entries cost 50-150 ms to rank in full. What is ranked is bounded instead:
#
# - At most RANK_CAP entries are ranked for one query: when more match, the RANK_CAP
#   newest matches (the highest ids: FTS5 walks its matches in id order, so finding
#   the RANK_CAP-th newest costs a walk of RANK_CAP ids, not a ranking), and for a
#   one-word query also the TITLE_CAP newest of those that have the word in their
#   title (weighing TITLE_WEIGHT times the body, they are nearly always the best).
#   Only a query whose every word is common matches that many (RANK_CAP is 5 % of the
#   bench's 100,000 entries): its results are the best of those ranked, not of all.
# - A query matched with any of its words (no entry has them all) ranks only the
#   entries holding its rarer words while the commoner ones cannot lift another entry
#   among the results (`_fts_ranked_any`): exact, as bm25 gives each word at most
#   (K1 + 1) times its idf, and a word in half of the entries an idf of nearly 0.
RANK_CAP = 5000
TITLE_CAP = 1000
K1 = 1.2  # FTS5's bm25 constants (fts5_aux.c)
VOCAB_TABLE = "publishing_search_vocab"  # words and their entry counts (migration 0009)


def _fts_floors(cursor, match: str, tier: str | None) -> tuple[int | None, int | None]:
    """The id of the RANK_CAP-th newest entry matching `match` (None when fewer
    match), and when there is one, that of the TITLE_CAP-th newest matching `tier`
    (None when fewer match it)."""
    newest = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        " ORDER BY rowid DESC LIMIT 1 OFFSET %s"
    )
    if tier is None:
        cursor.execute(f"SELECT ({newest}), NULL", [match, RANK_CAP - 1])
    else:  # (the tier's walk only when the matches are capped)
        cursor.execute(
            f"SELECT floor, CASE WHEN floor IS NULL THEN NULL ELSE ({newest}) END"
            f" FROM (SELECT ({newest}) AS floor)",
            [tier, TITLE_CAP - 1, match, RANK_CAP - 1],
        )
    return cursor.fetchone()


def _fts_ranked(
    cursor, match: str, k: int, *, within: str | None = None, tier: str | None = None
) -> list[tuple[int, float]]:
    """The best `k` (id, bm25) of the entries matching `match` (lowest bm25 first,
    then by id), ranking only those that also match `within` when given, and at most
    RANK_CAP of them (the newest) and TITLE_CAP of `tier`'s (the newest)."""
    floor, tier_floor = _fts_floors(cursor, within or match, tier)
    if floor is None:
        candidates, params, lowest = "", [], 0
    elif tier_floor is None and tier is not None:  # fewer than TITLE_CAP in the tier: all
        candidates = (
            f" AND (rowid >= %s OR +rowid IN (SELECT rowid FROM {FTS_TABLE}"
            f" WHERE {FTS_TABLE} MATCH %s))"
        )
        params, lowest = [floor, tier], 0
    elif tier is not None:
        candidates = (
            f" AND (rowid >= %s OR +rowid IN (SELECT rowid FROM {FTS_TABLE}"
            f" WHERE {FTS_TABLE} MATCH %s AND rowid >= %s))"
        )
        params, lowest = [floor, tier, tier_floor], min(floor, tier_floor)
    else:
        candidates, params, lowest = "", [], floor
    if within is not None:  # `+rowid`: a filter on the walk, not an id to look up each
        candidates += (
            f" AND +rowid IN (SELECT rowid FROM {FTS_TABLE}"
            f" WHERE {FTS_TABLE} MATCH %s AND rowid >= %s)"
        )
        params += [within, floor or 0]
    cursor.execute(
        f"SELECT rowid, bm25({FTS_TABLE}, %s, 1.0) AS rank FROM {FTS_TABLE}"
        f" WHERE {FTS_TABLE} MATCH %s AND rowid >= %s{candidates}"
        " ORDER BY rank, rowid LIMIT %s",
        [TITLE_WEIGHT, match, lowest, *params, k],
    )
    return cursor.fetchall()


def _fts_ranked_any(cursor, words: list[str], k: int) -> list[tuple[int, float]]:
    """The best `k` entries holding any of `words`, as `_fts_ranked` of them all would
    rank them, ranking only those that hold the rarest few (MaxScore): an entry
    holding none of those scores under the others' highest possible bm25, (K1 + 1) *
    idf each, so when the k-th best ranked scores above that, no other can enter."""
    cursor.execute(
        f"SELECT term, doc FROM {VOCAB_TABLE} WHERE term IN ({', '.join(['%s'] * len(words))})",
        words,
    )
    held = dict(cursor.fetchall())  # a word the vocabulary does not know is ranked: rarest
    # bm25's N: the entries indexed, which are the entries (kept in step with them).
    cursor.execute("SELECT count(*) FROM publishing_searchentry")
    entries = max([cursor.fetchone()[0], *held.values()])

    def highest(word: str) -> float:  # FTS5's idf, and its floor for a word in half or more
        n = held.get(word, 0)
        return (K1 + 1) * max(1e-6, math.log((entries - n + 0.5) / (n + 0.5)))

    rarest = sorted(words, key=lambda word: held.get(word, 0))
    everything = _fts_match(words, "OR")
    first = 1  # as many of the rarest as hold RANK_CAP entries between them, at least one
    while first < len(rarest) - 1 and sum(held.get(w, 0) for w in rarest[: first + 1]) <= RANK_CAP:
        first += 1
    for some in range(first, len(rarest)):
        ranked = _fts_ranked(cursor, everything, k, within=_fts_match(rarest[:some], "OR"))
        if len(ranked) >= k and -ranked[k - 1][1] > sum(highest(w) for w in rarest[some:]):
            return ranked
    return _fts_ranked(cursor, everything, k)


def _fts_hits(cursor, ranked: list[tuple[int, float]]) -> list[SearchHit]:
    if not ranked:
        return []
    cursor.execute(
        f"SELECT {COLUMNS} FROM publishing_searchentry e"
        f" WHERE e.id IN ({', '.join(['%s'] * len(ranked))})",
        [entry for entry, _rank in ranked],
    )
    rows = {row[0]: row for row in cursor.fetchall()}
    return [SearchHit(*rows[entry], -rank) for entry, rank in ranked if entry in rows]


def _count(words: list[str], operator: str, cap: int) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE}"
                f" WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
                [_fts_match(words, operator), cap],
            )
        else:
            query, params = _pg_query(words, operator)
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM publishing_searchentry e,"
                f" (SELECT {query} AS query) AS q WHERE e.search_vector @@ q.query LIMIT %s) AS m",
                [*params, cap],
            )
        return cursor.fetchone()[0]


def search_query(q: str, limit: int = 20, offset: int = 0) -> list[SearchHit]:
    """The best `limit` entries for `q` from `offset`: all of its words, or when no
    entry has them all, any of them. Any text is a valid query (none of it is query
    syntax); one with no words finds nothing."""
    words = segment_query(q)
    if not words or limit <= 0:
        return []
    hits = _ranked(words, "AND", limit, offset)
    if not hits and len(words) > 1 and (offset == 0 or not _count(words, "AND", 1)):
        hits = _ranked(words, "OR", limit, offset)
    return hits


def search_count(q: str, *, cap: int | None = None) -> tuple[int, bool]:
    """How many entries `q` finds (up to `cap`, all when None) and whether that is
    with any of its words (True: no entry has them all), as `search_query` ranks."""
    words = segment_query(q)
    if not words:
        return 0, False
    cap = cap if cap is not None else 2**62
    found = _count(words, "AND", cap)
    if not found and len(words) > 1:
        return _count(words, "OR", cap), True
    return found, False


@dataclass
class SearchResult:
    """A hit as a page or the API shows it."""

    title: str
    kind: str
    kind_label: str
    url: str
    context: str
    snippet: SafeString
    score: float


@dataclass
class SearchPage:
    q: str
    words: list[str]
    results: list[SearchResult]
    count: int  # how many match, counted up to MAX_RESULTS
    number: int
    per_page: int
    any_word: bool  # no entry had every word; these have some

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def search_page(q: str, *, number: int = 1, per_page: int = 20, request=None) -> SearchPage:
    """One page of results for `q` with their links and snippets: a fixed number of
    queries (the generation, count, rank, the pages, their parents) whatever the page
    size. A page past the end is empty.

    The first page's ranked hits are cached (services/cache.py), keyed by the query's
    words in any order (so "消毒 电梯", "电梯 消毒" and "电梯消毒" share an entry; the
    ranking does not depend on their order) and the publish generation: a hit costs
    the generation and the two queries of the links."""
    words = segment_query(q)
    page = SearchPage(q, words, [], 0, number, per_page, False)
    if not words:
        return page
    key = None
    if number == 1:  # the first page, the one nearly every search shows, is cached
        key = cache_key("search", sorted(words), per_page, generation_value=generation())
        if (cached := cache_get(key)) is not None:
            page.count, page.any_word, rows = cached
            page.results = _results([SearchHit(*row) for row in rows], words, request)
            return page
    page.count = _count(words, "AND", MAX_RESULTS)
    if not page.count and len(words) > 1:
        page.count, page.any_word = _count(words, "OR", MAX_RESULTS), True
    offset = (number - 1) * per_page
    hits = []
    if page.count and offset < page.count:
        hits = _ranked(
            words, "OR" if page.any_word else "AND", min(per_page, page.count - offset), offset
        )
        page.results = _results(hits, words, request)
    if key is not None:
        cache_set(key, (page.count, page.any_word, [astuple(hit) for hit in hits]))
    return page


def _results(hits: list[SearchHit], words: list[str], request) -> list[SearchResult]:
    pages = {p.pk: p for p in Page.objects.filter(pk__in={hit.page_id for hit in hits})}
    parent_paths = {p.path[: -Page.steplen] for p in pages.values() if p.depth > 1}
    parents = {p.path: p for p in Page.objects.filter(path__in=parent_paths)}
    results = []
    for hit in hits:
        page = pages.get(hit.page_id)
        if page is None:
            continue
        url = page.get_url(request=request) or ""
        context = page.title
        if hit.kind == "guide":
            guide = parents.get(page.path[: -Page.steplen])
            context = _join(guide.title if guide else "", "›", page.title)
        elif hit.kind != "faq":
            context = ""
        results.append(
            SearchResult(
                title=hit.title,
                kind=hit.kind,
                kind_label=str(KINDS.get(hit.kind, hit.kind)),
                url=f"{url}#{hit.anchor}" if hit.anchor else url,
                context=context,
                snippet=snippet(hit.text, words),
                score=round(float(hit.score), 6),
            )
        )
    return results


# --- snippets -------------------------------------------------------------------------------


def snippet(text: str, words: list[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """An excerpt of `text` around the first of `words` it holds, every one of them in
    <mark>, everything else escaped."""
    if not text:
        return mark_safe("")
    found = (
        re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
        if words
        else None
    )
    first = found.search(text) if found else None
    start = 0 if first is None else max(0, first.start() - length // 4)
    end = min(len(text), start + length)
    start = max(0, min(start, end - length))
    piece = text[start:end]
    out = ["…" if start else ""]
    at = 0
    for match in found.finditer(piece) if found else ():
        out.append(escape(piece[at : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        at = match.end()
    out.append(escape(piece[at:]))
    out.append("…" if end < len(text) else "")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text went through escape()
