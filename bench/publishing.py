"""Bench: the public site's Chinese search and its reading counter.

1. Search: 100,000 entries (20,000 with --quick) of Chinese text are written through
   the index's own bulk writer (segmented with rjieba; FTS5 on SQLite, the tsvector
   and its RUM index on PostgreSQL) under one throwaway page. The texts are drawn as
   real text is (`Corpus`): the 60,000 most frequent words of jieba's dictionary (its
   dict.txt counts them in real corpora) by Zipf's law, one word in ten one of the
   guides' terms (TERMS). So, as in any real corpus, a few words are in most entries
   and most words in few. The index is then compacted (`search_compact`), as
   `manage publishing_reindex` leaves it. Then 200 queries of one to three words,
   each timed end to end through `search_query` (segmenting, matching, ranking; never cached), in a
   fixed mix: two in five of the guides' terms ("消毒 电梯"), two in five of words as
   the text uses them, one in five of the 30 most frequent words (a median fifth
   of the entries, up to 99 %: the dearest queries there are). Each query of the first round is logged
   with its time and the share of entries it matches; `search_by_kind` gives each
   part of the mix's p95 with its median and highest match share. `search_p95_ms`
   is the median over --runs rounds of each round's p95 over the whole mix. Then
   each round asks 200 new queries twice through `search_page` (what the page and
   the API call) and times the second asking, answered from the cache of first
   pages (the generation, the cached hits, their links and snippets):
   `search_cached_p95_ms`. (--search-only stops there.)
2. Pages: the public pages a reader opens (the home, a guide, a chapter, the policy
   library, a search), each fetched 50 times through Django's test client (the whole
   request: middleware, Wagtail's routing, templates, the view counter), as
   `p95_ms` per page with its query count, which stays fixed: first with no cache
   (Django's dummy cache, every page rendered), then as an anonymous reader served
   from the cache of public pages (`cached_p95_ms`, `cached_queries`).
   `page_p95_ms` is the slowest page uncached, `page_cached_p95_ms` cached.
3. Reading: views recorded through the buffered writer (`reading_record`, then
   `reading_flush` every 4,000: the marks, then the exact recount of the day's
   figures), readers all distinct, as `views_per_s`; beside it the raw driver's
   executemany of the same marks into the same table, `raw_insert_per_s`; --runs
   rounds of each.

Every figure that is a median over --runs rounds has its spread beside it, as
`<name>_spread`: {"median", "min", "max", "runs"}. Everything is written under a throwaway page and deleted afterwards. The database is
the one the settings name (SQLite by default; DATABASE_URL for PostgreSQL). The last
line printed is JSON:

    {"docs": …, "search_p95_ms": …, "search_p50_ms": …, "search_cached_p95_ms": …,
     "search_by_kind": {…}, "page_p95_ms": …, "page_cached_p95_ms": …, "pages": {…},
     "views": …, "views_per_s": …, "raw_insert_per_s": …, "runs": …, "db": …}
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import time
import uuid
from datetime import date
from importlib import resources

from _setup import django_setup, log

TERMS = [
    "消毒",
    "电梯",
    "按钮",
    "楼道",
    "垃圾",
    "分类",
    "口罩",
    "测温",
    "体温",
    "登记",
    "出入",
    "门岗",
    "快递",
    "外卖",
    "隔离",
    "观察",
    "居家",
    "物资",
    "防护服",
    "酒精",
    "含氯",
    "消毒液",
    "通风",
    "公共区域",
    "地下车库",
    "会所",
    "儿童",
    "游乐",
    "设施",
    "业主",
    "住户",
    "租户",
    "老人",
    "独居",
    "配送",
    "蔬菜",
    "团购",
    "社区",
    "街道",
    "网格员",
    "志愿者",
    "物业",
    "项目经理",
    "保洁员",
    "保安",
    "应急",
    "预案",
    "指挥部",
    "报告",
    "日报",
    "复工",
    "复产",
    "写字楼",
    "园区",
    "学校",
    "医院",
    "商场",
    "车站",
    "地铁",
    "通行证",
    "健康码",
    "核酸",
    "检测",
    "病例",
    "密接",
    "风险",
    "地区",
    "返汉",
    "人员",
    "排查",
    "申报",
    "政策",
    "补贴",
    "减免",
    "税费",
    "租金",
    "劳动",
    "合同",
    "工资",
    "社保",
    "培训",
    "招聘",
    "毕业生",
    "扶贫",
    "农产品",
    "倡议",
    "指引",
    "操作",
    "规范",
    "标准",
    "记录",
    "台账",
]


# The rest of the words: a real vocabulary, drawn as real text uses it. jieba's own
# dictionary (its dict.txt: ~350,000 words with their frequencies in the corpora jieba
# was trained on) ranks the words; the VOCABULARY most frequent words made of Han
# characters (the stop words the index drops left out) are drawn by Zipf's law, the
# word of rank r with a weight of 1 / r**ZIPF_S. So a few words are in most texts
# (as 工作 or 进行 are) and most words in few.
VOCABULARY = 60_000
ZIPF_S = 1.0
DOMAIN_SHARE = 0.1  # one word in ten is one of the guides' TERMS (each as likely)
COMMON = 30  # the most frequent words, asked for by the "common" queries
HAN = re.compile(r"[\u4e00-\u9fff]+")


class Corpus:
    """The words the bench writes and asks for: `words` by rank with their Zipf
    cumulative weights, beside the guides' TERMS."""

    def __init__(self) -> None:
        from firstline.publishing.services.search import STOP_WORDS

        try:
            source = resources.files("jieba") / "dict.txt"
            lines = source.read_text(encoding="utf-8").splitlines()
        except ModuleNotFoundError:
            raise SystemExit(
                "bench: the corpus draws on jieba's dictionary: `.venv/bin/pip install jieba`"
            ) from None
        counted = []
        for line in lines:
            word, frequency, *_tag = line.split(" ")
            if HAN.fullmatch(word) and word not in STOP_WORDS:
                counted.append((int(frequency), word))
        counted.sort(key=lambda pair: (-pair[0], pair[1]))
        self.words = [word for _frequency, word in counted[:VOCABULARY]]
        self.cumulative = list(
            itertools.accumulate(1 / rank**ZIPF_S for rank in range(1, len(self.words) + 1))
        )

    def draw(self, rng: random.Random, n: int) -> list[str]:
        """n words of running text: a domain term one time in ten, else a Zipf draw."""
        drawn = rng.choices(self.words, cum_weights=self.cumulative, k=n)
        return [rng.choice(TERMS) if rng.random() < DOMAIN_SHARE else w for w in drawn]

    def entry_text(self, rng: random.Random) -> tuple[str, str]:
        words = self.draw(rng, rng.randint(40, 120))
        title = "".join(self.draw(rng, rng.randint(2, 5)))
        sentences = ("".join(words[i : i + 4]) for i in range(0, len(words), 4))
        return title, "，".join(sentences) + "。"

    def queries(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        """n (kind, query) of one to three words, in a fixed mix: two in five of the
        guides' terms ("消毒 电梯"), two in five drawn from the vocabulary as text uses
        it (so mostly frequent words), one in five of the COMMON most frequent words
        alone or in pairs: the queries that match most of the entries."""
        out = []
        for k in range(n):
            if k % 5 < 2:
                kind, words = "terms", [rng.choice(TERMS) for _ in range(rng.randint(1, 3))]
            elif k % 5 < 4:
                kind, words = "text", self.draw(rng, rng.randint(1, 3))
            else:
                kind, words = "common", rng.sample(self.words[:COMMON], rng.randint(1, 2))
            out.append((kind, " ".join(words)))
        return out


def throwaway_page():
    from firstline.publishing.models import NewsIndexPage, NewsPage
    from firstline.publishing.services.site import site_ensure

    site_ensure()
    index = NewsIndexPage.objects.first()
    return index.add_child(
        instance=NewsPage(
            title="基准测试",
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            date=date(2020, 2, 1),
            body="<p>基准</p>",
        )
    )


def percentile95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def bench_search(page, docs: int, runs: int, rng: random.Random) -> dict:
    from _setup import timer
    from django.db import connection

    from firstline.publishing.services.search import (
        RUM_INDEX,
        SearchRow,
        search_compact,
        search_count,
        search_entries_bulk,
        search_page,
        search_query,
    )

    corpus = Corpus()

    def index_mb() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_size(%s::regclass)", [RUM_INDEX])
            return round(cursor.fetchone()[0] / 2**20, 1)

    def rows():
        for n in range(docs):
            title, text = corpus.entry_text(rng)
            yield SearchRow(page_id=page.pk, anchor=f"b{n}", kind="news", title=title, text=text)

    with timer() as written:
        count = search_entries_bulk(rows())
    log(f"{count:,} entries indexed in {written['s']} s")
    # As `manage publishing_reindex` leaves it (search_compact): an index grown batch
    # by batch is left half full (PostgreSQL's RUM) or in pieces (SQLite's FTS5, with
    # the delete markers of earlier runs' entries) and searched slower.
    grown = index_mb() if connection.vendor == "postgresql" else None
    with timer() as compacted:
        search_compact()
    if grown is not None:
        log(f"RUM index compacted from {grown} MB to {index_mb()} MB in {compacted['s']} s")
    else:
        log(f"FTS5 index merged in {compacted['s']} s")
    p95s, p50s = [], []
    by_kind: dict[str, list[float]] = {}
    shares: dict[str, list[float]] = {}
    for run in range(runs):
        times = []
        for kind, q in corpus.queries(rng, 200):
            found, any_word = search_count(q)  # the selectivity, outside the timing
            start = time.perf_counter()
            search_query(q, limit=20)
            ms = (time.perf_counter() - start) * 1000
            times.append(ms)
            by_kind.setdefault(kind, []).append(ms)
            shares.setdefault(kind, []).append(found / count)
            if run == 0:
                log(
                    f"  {ms:7.1f} ms  {found / count:6.1%} of entries"
                    f"{' (any word)' if any_word else ''}  {kind:6}  {q}"
                )
        p95s.append(percentile95(times))
        p50s.append(statistics.median(times))
        log(f"search round {run + 1}: p50 {p50s[-1]:.1f} ms, p95 {p95s[-1]:.1f} ms")
    kinds = {
        kind: {
            "p95_ms": round(percentile95(times), 1),
            "median_share": round(statistics.median(shares[kind]), 4),
            "max_share": round(max(shares[kind]), 4),
        }
        for kind, times in by_kind.items()
    }
    for kind, figures in kinds.items():
        log(
            f"{kind} queries: p95 {figures['p95_ms']} ms, each matching a median"
            f" {figures['median_share']:.1%} of the entries (at most {figures['max_share']:.1%})"
        )
    cached_p95s = []
    for run in range(runs):
        asked = [q for _kind, q in corpus.queries(rng, 200)]
        for q in asked:  # the first asking ranks and fills the cache
            search_page(q)
        times = []
        for q in asked:
            start = time.perf_counter()
            search_page(q)
            times.append((time.perf_counter() - start) * 1000)
        cached_p95s.append(percentile95(times))
        log(f"cached first pages, round {run + 1}: p95 {cached_p95s[-1]:.1f} ms")
    from _setup import spread

    return {
        "docs": count,
        "search_p95_ms": round(statistics.median(p95s), 1),
        "search_p95_ms_spread": spread(p95s, 1),
        "search_p50_ms": round(statistics.median(p50s), 1),
        "search_p50_ms_spread": spread(p50s, 1),
        "search_cached_p95_ms": round(statistics.median(cached_p95s), 1),
        "search_cached_p95_ms_spread": spread(cached_p95s, 1),
        "search_by_kind": kinds,
        "index_s": written["s"],
    }


def bench_pages(page, runs: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from firstline.publishing.models import GuideChapterPage, GuidePage, PolicyIndexPage
    from firstline.publishing.services.site import site_ensure

    home = site_ensure()
    guide = home.add_child(
        instance=GuidePage(
            title="基准测试指引", slug=f"bench-guide-{uuid.uuid4().hex[:6]}", site_type="office"
        )
    )
    for n in range(5):
        guide.add_child(
            instance=GuideChapterPage(title=f"第{n + 1}章", slug=f"c{n}", summary="基准")
        )
    chapter = GuideChapterPage.objects.child_of(guide).first()
    urls = {
        "home": home.url,
        "guide": guide.url,
        "chapter": chapter.url,
        "policies": PolicyIndexPage.objects.first().url,
        "search": "/site/search/?q=消毒+电梯",
    }
    client = Client(HTTP_HOST="localhost", HTTP_USER_AGENT="Mozilla/5.0 (bench)")
    uncached = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    from _setup import spread

    def timed(url: str) -> tuple[float, int, dict]:
        client.get(url)  # warm: templates compiled, caches filled
        p95s = []
        for _run in range(runs):
            times = []
            for _ in range(50):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"bench: {url} answered {response.status_code}")
            times.sort()
            p95s.append(times[int(len(times) * 0.95) - 1])
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return round(statistics.median(p95s), 1), len(queries), spread(p95s, 1)

    figures = {}
    try:
        for name, url in urls.items():
            with override_settings(CACHES=uncached):  # every page rendered anew
                p95, count, p95_spread = timed(url)
            # An anonymous reader: from the cache.
            cached_p95, cached_count, cached_spread = timed(url)
            figures[name] = {
                "p95_ms": p95,
                "p95_ms_spread": p95_spread,
                "queries": count,
                "cached_p95_ms": cached_p95,
                "cached_p95_ms_spread": cached_spread,
                "cached_queries": cached_count,
            }
            log(
                f"page {name}: p95 {p95} ms, {count} queries;"
                f" cached p95 {cached_p95} ms, {cached_count} queries"
            )
    finally:
        guide.delete()
    return {
        "page_p95_ms": max(f["p95_ms"] for f in figures.values()),
        "page_cached_p95_ms": max(f["cached_p95_ms"] for f in figures.values()),
        "pages": figures,
    }


def bench_reading(page, views: int, runs: int) -> dict:
    """`runs` rounds of `views` distinct readers, each round's marks and counts deleted
    before the next, and as many rounds of the raw executemany."""
    from _setup import raw_executemany, spread
    from django.conf import settings

    from firstline.publishing.models import ReaderMark, ReadingDay
    from firstline.publishing.services.reading import reading_flush, reading_record

    settings.FIRSTLINE_READING_FLUSH_SECONDS = 3600  # flushed by hand below
    day = date.today()
    ours, raws = [], []
    columns = ["day", "page_id", "document_id", "channel", "reader"]
    raw_rows = [(day.isoformat(), page.pk, None, "web", f"r{n:031x}") for n in range(views)]
    for _run in range(runs):
        start = time.perf_counter()
        for n in range(views):
            reading_record(page_id=page.pk, reader=f"{n:032x}", channel="web", day=day)
            if n % 4_000 == 3_999:
                reading_flush()
        reading_flush()
        ours.append(views / (time.perf_counter() - start))
        counted = ReadingDay.objects.get(page=page, day=day, channel="web").views
        if counted != views:
            raise SystemExit(f"bench: {counted} views counted of {views}")
        ReaderMark.objects.filter(page=page).delete()
        ReadingDay.objects.filter(page=page).delete()
        raws.append(views / raw_executemany(ReaderMark._meta.db_table, columns, raw_rows))
        ReaderMark.objects.filter(page=page).delete()
    return {
        "views": views,
        "views_per_s": round(statistics.median(ours)),
        "views_per_s_spread": spread(ours, 0),
        "raw_insert_per_s": round(statistics.median(raws)),
        "raw_insert_per_s_spread": spread(raws, 0),
    }


def run(docs: int, views: int, runs: int, *, search_only: bool = False) -> dict:
    from _setup import db_vendor

    from firstline.publishing.services.search import search_remove

    rng = random.Random(2020)
    page = throwaway_page()
    try:
        figures = bench_search(page, docs, runs, rng)
        if not search_only:
            figures |= bench_pages(page, runs)
            figures |= bench_reading(page, views, runs)
    finally:
        search_remove(page_ids=[page.pk])
        page.delete()
        log("throwaway page, entries and marks deleted")
    return {**figures, "runs": runs, "db": db_vendor()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 entries, 20,000 views")
    parser.add_argument("--runs", type=int, default=3, help="rounds of each (at least 3)")
    parser.add_argument("--search-only", action="store_true", help="the search figures alone")
    args = parser.parse_args()
    django_setup()
    from _setup import emit

    docs, views = (20_000, 20_000) if args.quick else (100_000, 100_000)
    emit(run(docs, views, max(3, args.runs), search_only=args.search_only))


if __name__ == "__main__":
    main()
