"""Bench: the public site's Chinese search and its reading counter.

1. Search: 100,000 entries (20,000 with --quick) of varied Chinese text are written
   through the index's own bulk writer (segmented with rjieba; FTS5 on SQLite, the
   tsvector on PostgreSQL) under one throwaway page; then 200 queries of one to three
   words, each timed end to end through `search_query` (segmenting, matching,
   ranking; never cached). `search_p95_ms` is the median over --runs rounds of each
   round's p95. Then each round asks 200 new queries twice through `search_page`
   (what the page and the API call) and times the second asking, answered from the
   cache of first pages (the generation, the cached hits, their links and
   snippets): `search_cached_p95_ms`.
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
   executemany of the same marks into the same table, `raw_insert_per_s`.

Everything is written under a throwaway page and deleted afterwards. The database is
the one the settings name (SQLite by default; DATABASE_URL for PostgreSQL). The last
line printed is JSON:

    {"docs": …, "search_p95_ms": …, "search_p50_ms": …, "search_cached_p95_ms": …,
     "page_p95_ms": …, "page_cached_p95_ms": …, "pages": {…},
     "views": …, "views_per_s": …, "raw_insert_per_s": …, "runs": …, "db": …}
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import date

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


def entry_text(rng: random.Random) -> tuple[str, str]:
    words = [rng.choice(TERMS) for _ in range(rng.randint(40, 120))]
    title = "".join(rng.choice(TERMS) for _ in range(rng.randint(2, 5)))
    return title, "，".join("".join(words[i : i + 4]) for i in range(0, len(words), 4)) + "。"


def queries(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choice(TERMS) for _ in range(rng.randint(1, 3))) for _ in range(n)]


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


def bench_search(page, docs: int, runs: int, rng: random.Random) -> dict:
    from _setup import timer

    from firstline.publishing.services.search import (
        SearchRow,
        search_entries_bulk,
        search_page,
        search_query,
    )

    def rows():
        for n in range(docs):
            title, text = entry_text(rng)
            yield SearchRow(page_id=page.pk, anchor=f"b{n}", kind="news", title=title, text=text)

    with timer() as written:
        count = search_entries_bulk(rows())
    log(f"{count:,} entries indexed in {written['s']} s")
    p95s, p50s = [], []
    for run in range(runs):
        times = []
        for q in queries(rng, 200):
            start = time.perf_counter()
            search_query(q, limit=20)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95s.append(times[int(len(times) * 0.95) - 1])
        p50s.append(statistics.median(times))
        log(f"search round {run + 1}: p50 {p50s[-1]:.1f} ms, p95 {p95s[-1]:.1f} ms")
    cached_p95s = []
    for run in range(runs):
        asked = queries(rng, 200)
        for q in asked:  # the first asking ranks and fills the cache
            search_page(q)
        times = []
        for q in asked:
            start = time.perf_counter()
            search_page(q)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        cached_p95s.append(times[int(len(times) * 0.95) - 1])
        log(f"cached first pages, round {run + 1}: p95 {cached_p95s[-1]:.1f} ms")
    return {
        "docs": count,
        "search_p95_ms": round(statistics.median(p95s), 1),
        "search_p50_ms": round(statistics.median(p50s), 1),
        "search_cached_p95_ms": round(statistics.median(cached_p95s), 1),
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

    def timed(url: str) -> tuple[float, int]:
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
        return round(statistics.median(p95s), 1), len(queries)

    figures = {}
    try:
        for name, url in urls.items():
            with override_settings(CACHES=uncached):  # every page rendered anew
                p95, count = timed(url)
            cached_p95, cached_count = timed(url)  # an anonymous reader: from the cache
            figures[name] = {
                "p95_ms": p95,
                "queries": count,
                "cached_p95_ms": cached_p95,
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


def bench_reading(page, views: int) -> dict:
    from _setup import raw_executemany
    from django.conf import settings

    from firstline.publishing.models import ReaderMark, ReadingDay
    from firstline.publishing.services.reading import reading_flush, reading_record

    settings.FIRSTLINE_READING_FLUSH_SECONDS = 3600  # flushed by hand below
    day = date.today()
    start = time.perf_counter()
    for n in range(views):
        reading_record(page_id=page.pk, reader=f"{n:032x}", channel="web", day=day)
        if n % 4_000 == 3_999:
            reading_flush()
    reading_flush()
    elapsed = time.perf_counter() - start
    counted = ReadingDay.objects.get(page=page, day=day, channel="web").views
    if counted != views:
        raise SystemExit(f"bench: {counted} views counted of {views}")
    columns = ["day", "page_id", "document_id", "channel", "reader"]
    raw_rows = [(day.isoformat(), page.pk, None, "web", f"r{n:031x}") for n in range(views)]
    raw_s = raw_executemany(ReaderMark._meta.db_table, columns, raw_rows)
    ReaderMark.objects.filter(page=page).delete()
    ReadingDay.objects.filter(page=page).delete()
    return {
        "views": views,
        "views_per_s": round(views / elapsed),
        "raw_insert_per_s": round(views / raw_s),
    }


def run(docs: int, views: int, runs: int) -> dict:
    from _setup import db_vendor

    from firstline.publishing.services.search import search_remove

    rng = random.Random(2020)
    page = throwaway_page()
    try:
        figures = bench_search(page, docs, runs, rng)
        figures |= bench_pages(page, runs)
        figures |= bench_reading(page, views)
    finally:
        search_remove(page_ids=[page.pk])
        page.delete()
        log("throwaway page, entries and marks deleted")
    return {**figures, "runs": runs, "db": db_vendor()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 entries, 20,000 views")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    django_setup()
    from _setup import emit

    docs, views = (20_000, 20_000) if args.quick else (100_000, 100_000)
    emit(run(docs, views, args.runs))


if __name__ == "__main__":
    main()
