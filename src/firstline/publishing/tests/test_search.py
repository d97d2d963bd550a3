# ruff: noqa: S608 - the FTS5 table's name is a constant
"""Chinese search of the public site (services/search.py): jieba-segmented words in
the database's own full-text index (FTS5 on SQLite, tsvector + GIN on PostgreSQL),
ranked, with highlighted snippets; kept in step by publishing, unpublishing and
deleting; any query text is safe; the page and the API."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import PageViewRestriction, Site
from wagtail.rich_text import RichText

from firstline.publishing.models import (
    FaqItem,
    FaqPage,
    GuideChapterPage,
    GuidePage,
    PolicyIndexPage,
    PolicyPage,
    SearchEntry,
)
from firstline.publishing.services import search
from firstline.publishing.services.search import (
    FTS_TABLE,
    RUM_INDEX,
    SearchRow,
    search_compact,
    search_entries_bulk,
    search_page,
    search_query,
    search_rebuild,
    segment_query,
    snippet,
)
from firstline.publishing.services.site import site_ensure

pytestmark = pytest.mark.django_db
# The ranked query's count of queries: on PostgreSQL its work_mem is set first; on
# SQLite the cap's floor is found first and the ranked entries read after.
RANKING = 2 if connection.vendor == "postgresql" else 3

API = "/api/v1/site/search"
HOSTILE = [
    '" * : ( ) NEAR AND OR -',
    '"',
    '消毒" OR "电梯',
    "NEAR(消毒 电梯, 2)",
    "title:消毒",
    "-电梯 +消毒 ^",
    "消毒*",
    "'; DROP TABLE publishing_searchentry; --",
    "\\ % _ & | ! <-> :*",
    "AND OR NOT",
    "<script>alert(1)</script>",
    "（）【】“”——",
]


def section(heading: str, body: str):
    return ("section", {"heading": heading, "body": RichText(f"<p>{body}</p>")})


def publish(page):
    page.save_revision().publish()
    return page.specific_class.objects.get(pk=page.pk)


@pytest.fixture
def home():
    return site_ensure()


@pytest.fixture
def guide(home):
    """A small residential guide: the lift's section names both words in its heading;
    other sections say 消毒 alone, 电梯 alone, or both once in passing."""
    guide = publish(
        home.add_child(
            instance=GuidePage(
                title="住宅小区防控操作指引", slug="residential", site_type="residential"
            )
        )
    )
    disinfection = guide.add_child(
        instance=GuideChapterPage(
            title="公共区域消毒",
            slug="disinfection",
            sections=[
                section("楼道消毒", "楼道扶手、门把手每日消毒两次，并在电梯口放置消毒液。"),
                section("电梯消毒", "电梯轿厢、按钮每天至少消毒四次，消毒后做好记录并公示。"),
                section("垃圾站消毒", "垃圾站、垃圾桶每日清运后喷洒消毒，做好通风。"),
            ],
        )
    )
    entrance = guide.add_child(
        instance=GuideChapterPage(
            title="出入管理",
            slug="entrance",
            sections=[
                section("测温登记", "所有人员进入小区须测量体温、登记，并对手部消毒。"),
                section("电梯限载", "电梯每次限乘四人，乘梯时佩戴口罩，不交谈。"),
            ],
        )
    )
    return publish(guide), publish(disinfection), publish(entrance)


def urls(page_of_results) -> list[str]:
    return [result.url for result in page_of_results.results]


# --- the check of issue #18: 消毒 电梯 ------------------------------------------------------


def test_lift_disinfection_comes_first_with_both_words_marked(guide, client):
    _guide, disinfection, _entrance = guide

    found = search_page("消毒 电梯")

    assert found.words == ["消毒", "电梯"] and not found.any_word
    first = found.results[0]
    assert (first.title, first.url) == ("电梯消毒", f"{disinfection.url}#s2")
    assert first.kind == "guide" and first.context == "住宅小区防控操作指引 › 公共区域消毒"
    assert "<mark>消毒</mark>" in first.snippet and "<mark>电梯</mark>" in first.snippet
    # all words must match: the sections that say only one of them are not listed
    assert urls(found) == [f"{disinfection.url}#s2", f"{disinfection.url}#s1"]
    assert [hit.anchor for hit in search_query("消毒 电梯")] == ["s2", "s1"]

    page = client.get("/site/search/", {"q": "消毒 电梯"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f'href="{disinfection.url}#s2"') < html.index(f'href="{disinfection.url}#s1"')
    assert "<mark>电梯</mark>" in html


def test_one_word_finds_every_section_that_has_it(guide):
    _guide, disinfection, entrance = guide
    assert sorted(urls(search_page("消毒"))) == sorted(
        [
            f"{disinfection.url}#s1",
            f"{disinfection.url}#s2",
            f"{disinfection.url}#s3",
            f"{entrance.url}#s1",
        ]
    )
    # a word the sections hold inside a longer one (消毒液 is also found by 消毒)
    assert urls(search_page("消毒液")) == [f"{disinfection.url}#s1"]
    # the guide's and the chapter's titles find their sections too
    assert len(search_page("住宅小区 限乘").results) == 1


def test_without_every_word_any_word_is_enough(guide):
    found = search_page("电梯 口罩 疫苗接种")
    assert found.any_word
    assert found.results[0].title == "电梯限载"  # 电梯 and 口罩
    assert search_page("疫苗接种").results == []


def test_an_unspaced_query_is_segmented():
    assert segment_query("电梯消毒的记录") == ["电梯", "消毒", "记录"]
    assert segment_query("ＮＩＯＳＨ N95口罩, COVID-19!") == ["niosh", "n95", "口罩", "covid", "19"]
    assert segment_query('" * : ( ) NEAR AND OR -') == ["near", "and", "or"]


# --- kept in step ---------------------------------------------------------------------------


def test_unpublishing_and_deleting_remove_results(guide):
    _guide, disinfection, entrance = guide
    assert SearchEntry.objects.filter(page=disinfection).count() == 3

    disinfection.unpublish()
    found = search_page("消毒 电梯")  # only the other chapter's, which has one word or the other
    assert found.any_word and not [url for url in urls(found) if url.startswith(disinfection.url)]
    assert not SearchEntry.objects.filter(page=disinfection).exists()

    publish(disinfection)
    assert len(search_page("消毒 电梯").results) == 2

    entrance.delete()
    assert search_page("限乘").results == []
    assert_fts_in_step()


def test_republishing_replaces_the_pages_entries(guide):
    _guide, disinfection, _entrance = guide
    disinfection.sections = [section("电梯消毒", "改为每天六次。")]
    publish(disinfection)
    assert list(SearchEntry.objects.filter(page=disinfection).values_list("anchor", flat=True)) == [
        "s1"
    ]
    assert search_page("楼道").results == []
    assert search_page("六次").results[0].url == f"{disinfection.url}#s1"
    assert_fts_in_step()


def test_a_restricted_page_is_not_indexed(guide):
    _guide, disinfection, _entrance = guide
    PageViewRestriction.objects.create(page=disinfection, restriction_type="login")
    publish(disinfection)
    assert search_page("楼道").results == []
    assert search_rebuild() == 2  # the entrance chapter's two sections


def test_rebuild_and_the_command_write_the_same_index(guide):
    before = sorted(SearchEntry.objects.values_list("page_id", "anchor", "words"))
    SearchEntry.objects.all().delete()
    assert search_page("消毒").results == []

    call_command("publishing_reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert sorted(SearchEntry.objects.values_list("page_id", "anchor", "words")) == before
    assert search_page("消毒 电梯").results[0].title == "电梯消毒"
    assert_fts_in_step()


def assert_fts_in_step():
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid")
        fts = [row[0] for row in cursor.fetchall()]
    assert fts == list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True))


# --- FAQ and policies ---------------------------------------------------------------------


def test_faq_items_and_policies_are_found(home):
    faq = FaqPage.objects.get()
    faq.items = [
        FaqItem(
            question="复工后员工需要隔离吗？",
            answer="<p>来自低风险地区的员工无需隔离，每日测温。</p>",
        ),
        FaqItem(question="租金可以减免吗？", answer="<p>符合条件的中小企业可申请减免。</p>"),
    ]
    faq = publish(faq)
    library = PolicyIndexPage.objects.get()
    policy = publish(
        library.add_child(
            instance=PolicyPage(
                title="关于支持中小企业复工复产的若干措施",
                slug="smb",
                category="support",
                issuer="武汉市人民政府",
                document_number="武政规〔2020〕5号",
                issued_on=datetime.date(2020, 3, 1),
                body="<p>对承租国有资产类经营用房的中小企业，免收三个月租金。</p>",
            )
        )
    )
    rent = FaqItem.objects.get(question="租金可以减免吗？")

    found = search_page("租金")
    assert {result.url for result in found.results} == {f"{faq.url}#q{rent.pk}", policy.url}
    assert [r.url for r in search_page("租金 减免").results] == [f"{faq.url}#q{rent.pk}"]
    faq_hit = next(r for r in found.results if r.kind == "faq")
    assert (faq_hit.title, faq_hit.context) == ("租金可以减免吗？", "常见问题")
    assert search_page("复工 隔离").results[0].kind == "faq"
    assert [r.url for r in search_page("武汉市人民政府").results] == [policy.url]  # the issuer
    assert search_page("复工复产").results[0].kind == "policy"


# --- hostile input and escaping -------------------------------------------------------------


@pytest.mark.parametrize("q", HOSTILE)
def test_no_query_breaks_the_search(guide, client, q):
    assert isinstance(search_query(q), list)
    assert client.get("/site/search/", {"q": q}).status_code == 200
    response = client.get(API, {"q": q})
    assert response.status_code == 200, response.content
    assert SearchEntry.objects.count() == 5  # and nothing was written


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(min_size=1, max_size=100))
def test_any_text_answers_200_or_422_never_500(guide, client, q):
    response = client.get(API, {"q": q})
    assert response.status_code in (200, 422), (q, response.content[:200])
    assert isinstance(search_query(q), list)


def test_snippets_escape_the_text_and_mark_only_the_words(home):
    library = PolicyIndexPage.objects.get()
    publish(
        library.add_child(
            instance=PolicyPage(
                title="示例",
                slug="xss",
                category="notice",
                issuer="某单位",
                issued_on=datetime.date(2020, 2, 1),
                body="<p>&lt;script&gt;alert(1)&lt;/script&gt; 电梯 &amp; 消毒 &lt;b&gt;</p>",
            )
        )
    )
    result = search_page("电梯 消毒").results[0]
    assert result.snippet == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>电梯</mark> &amp; <mark>消毒</mark> &lt;b&gt;"
    )
    assert snippet('<i onclick="x">消毒</i>', ["消毒", '"x"']) == (
        "&lt;i onclick=<mark>&quot;x&quot;</mark>&gt;<mark>消毒</mark>&lt;/i&gt;"
    )


def test_a_long_text_is_cut_around_the_first_match():
    text = "前言。" * 60 + "电梯按钮每天消毒四次。" + "附录。" * 60
    excerpt = snippet(text, ["电梯", "消毒"])
    plain = re.sub(r"</?mark>", "", excerpt)
    assert plain.startswith("…") and plain.endswith("…")
    assert len(plain) == 122 and "电梯按钮每天消毒四次" in plain


# --- the page -----------------------------------------------------------------------------


def test_the_page_is_public_paginated_and_in_the_site_nav(guide, client):
    page = client.get("/site/search/")
    assert page.status_code == 200 and 'action="/site/search/"' in page.content.decode()
    assert 'action="/site/search/"' in client.get(guide[1].url).content.decode()
    assert client.get("/site/search/", {"q": "消毒", "page": "x"}).status_code == 200
    last = client.get("/site/search/", {"q": "消毒", "page": 99})  # past the end: the last page
    assert last.status_code == 200 and "<mark>消毒</mark>" in last.content.decode()


def test_result_pages_run_a_fixed_number_of_queries(guide):
    Site.get_site_root_paths()  # Wagtail caches these once per process: warm, as in service
    with CaptureQueriesContext(connection) as one:
        assert len(search_page("电梯限载").results) == 1
    with CaptureQueriesContext(connection) as four:
        assert len(search_page("消毒").results) == 4
    with CaptureQueriesContext(connection) as second:
        assert len(search_page("消毒", number=2, per_page=2).results) == 2
    # the generation, count, rank, pages, their parents (a later page is not cached)
    assert len(one) == len(four) == 4 + RANKING and len(second) == 3 + RANKING


# --- the cache of first pages ---------------------------------------------------------------


def test_a_first_page_is_cached_until_anything_is_published(guide):
    _guide, disinfection, _entrance = guide
    first = search_page("消毒 电梯")
    with CaptureQueriesContext(connection) as again:
        cached = search_page("电梯  消毒")  # the same words (order aside, spaces aside)
    assert [r.url for r in cached.results] == [r.url for r in first.results]
    assert [str(r.snippet) for r in cached.results] == [str(r.snippet) for r in first.results]
    assert (cached.count, cached.any_word) == (first.count, first.any_word) == (2, False)
    assert len(again) == 3  # the generation, then the pages and parents of the links
    assert not any("ts_rank" in q["sql"] or "MATCH" in q["sql"] for q in again.captured_queries)

    # a publish changes the generation: the next search sees the new text at once
    disinfection.sections = [section("电梯消毒", "电梯按钮改为每小时消毒一次。")]
    publish(disinfection)
    with CaptureQueriesContext(connection) as after:
        found = search_page("电梯 消毒")
    assert len(after) == 4 + RANKING
    assert [r.url for r in found.results] == [f"{disinfection.url}#s1"]
    assert "每小时" in found.results[0].snippet

    disinfection.unpublish()
    assert not [r for r in search_page("电梯 消毒").results if disinfection.url in r.url]


def test_the_generation_changes_with_every_index_write(guide):
    from firstline.publishing.services.cache import generation

    _guide, disinfection, entrance = guide
    seen = {generation()}
    entrance.save_revision()  # a draft: the page's row changes
    seen.add(generation())
    publish(entrance)
    seen.add(generation())
    search_rebuild()
    seen.add(generation())
    disinfection.delete()
    seen.add(generation())
    assert len(seen) == 5


def test_twenty_results_a_page(home):
    faq = FaqPage.objects.get()
    faq.items = [FaqItem(question=f"问题{n}", answer="<p>物业消毒</p>") for n in range(25)]
    publish(faq)
    first, second = search_page("物业", number=1), search_page("物业", number=2)
    assert (first.count, first.pages, len(first.results), len(second.results)) == (25, 2, 20, 5)
    assert not {r.url for r in first.results} & {r.url for r in second.results}


# --- the API ------------------------------------------------------------------------------


def test_the_api_answers_without_login(guide, client):
    _guide, disinfection, _entrance = guide
    response = client.get(API, {"q": "消毒 电梯"})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["any_word"]) == (2, False)
    first = body["items"][0]
    assert (first["title"], first["kind"], first["url"]) == (
        "电梯消毒",
        "guide",
        f"{disinfection.url}#s2",
    )
    assert "<mark>消毒</mark>" in first["snippet"] and "<mark>电梯</mark>" in first["snippet"]
    assert first["score"] > body["items"][1]["score"]
    assert client.get(API, {"q": "消毒 电梯", "page": 2}).json() == {
        "count": 2,
        "any_word": False,
        "items": [],
    }


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({}, ["query", "q"]),
        ({"q": ""}, ["query", "q"]),
        ({"q": "   "}, ["query", "q"]),
        ({"q": "消" * 101}, ["query", "q"]),
        ({"q": "消毒\x00"}, ["query", "q"]),
        ({"q": "消毒", "page": 0}, ["query", "page"]),
        ({"q": "消毒", "page": 2**40}, ["query", "page"]),
    ],
)
def test_the_api_refuses_an_empty_or_long_query(client, params, loc):
    response = client.get(API, params)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


# --- the databases' own indexes -----------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table of SQLite")
def test_sqlite_ranks_with_fts5_bm25(guide):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT title, words FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s ORDER BY rank",
            ['"消毒" AND "电梯"'],
        )
        assert cursor.fetchall()[0] == (
            "电梯 消毒",
            "电梯 轿厢 按钮 每天 至少 消毒 四次 消毒 后 做好 记录 公示 住宅 小区 住宅小区 防控 操作 指引 公共 区域 消毒",
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tsvector and RUM index")
def test_postgresql_ranks_in_a_rum_indexed_tsvector(guide):
    """The words are matched and the matches ranked by the RUM index: the ranked
    query's plan reads them from the index in rank order, it does not sort them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'publishing_searchentry_vector_rum'"
        )
        assert "USING rum (search_vector)" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT search_vector::text FROM publishing_searchentry WHERE anchor = 's2'"
            " AND title = '电梯消毒'"
        )
        vector = cursor.fetchone()[0]
        assert "'电梯':1A" in vector and "'消毒':2A" in vector
    with CaptureQueriesContext(connection) as queries:
        hits = search_query("消毒 电梯")
    assert hits[0].title == "电梯消毒"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    ranked = next(q["sql"] for q in queries if "<=>" in q["sql"])
    with connection.cursor() as cursor:
        # The bench's tables are large and these are tiny: say what large ones cost.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {ranked}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using publishing_searchentry_vector_rum" in plan
    assert "Order By: (search_vector <=>" in plan
    assert search_page("消毒 电梯").results[0].title == "电梯消毒"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the RUM index")
def test_postgresql_compacts_the_rum_index_grown_entry_by_entry(home):
    """Written a few entries at a time, as publishing writes them, the index is left
    half full; search_compact (which search_rebuild ends with) rebuilds it smaller,
    and it still finds what it found."""
    words = ["消毒", "电梯", "口罩", "测温", "登记", "快递", "隔离", "物资", "通风", "酒精"]

    def rows():
        for n in range(600):
            text = "，".join(words[(n * k) % len(words)] + f"第{k}项" for k in range(1, 12))
            yield SearchRow(home.pk, f"t{n}", "news", f"{words[n % 10]}记录{n}", text)

    search_entries_bulk(rows(), batch_size=5)

    def size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_size(%s::regclass)", [RUM_INDEX])
            return cursor.fetchone()[0]

    found = {hit.anchor: hit.score for hit in search_query("电梯 消毒", limit=1000)}
    grown = size()
    assert search_compact() is True
    assert size() < grown, (size(), grown)
    assert {hit.anchor: hit.score for hit in search_query("电梯 消毒", limit=1000)} == found
    assert found


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 on SQLite")
def test_sqlite_merges_the_fts5_index_and_ranks_the_same(guide):
    found = [(hit.anchor, hit.score) for hit in search_query("电梯 消毒", limit=1000)]
    assert search_compact() is True
    assert [(hit.anchor, hit.score) for hit in search_query("电梯 消毒", limit=1000)] == found
    assert found


def made_up(page, n: int, title: str, body: str) -> SearchRow:
    """An entry whose words are given (made-up words no page holds)."""
    return SearchRow(page.pk, f"x{n}", "news", title, body, words=f"{title}\n{body}")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's ranking cap")
def test_sqlite_ranks_the_newest_matches_and_title_matches_past_the_cap(home, monkeypatch):
    search_entries_bulk(
        [made_up(home, 1, "zqa", "zqa one"), made_up(home, 2, "zqa", "zqa two")]
        + [made_up(home, n, "other", f"text zqa {n}") for n in range(3, 9)]
    )
    everything = [hit.anchor for hit in search_query("zqa", limit=20)]
    assert sorted(everything) == [f"x{n}" for n in range(1, 9)]
    assert set(everything[:2]) == {"x1", "x2"}  # the title weighs more

    # Past the cap: the 3 newest matches and the newest that has the word in its title
    monkeypatch.setattr(search, "RANK_CAP", 3)
    monkeypatch.setattr(search, "TITLE_CAP", 1)
    capped = [hit.anchor for hit in search_query("zqa", limit=20)]
    assert capped[0] == "x2" and sorted(capped) == ["x2", "x6", "x7", "x8"]
    # with more words than one, the newest matches alone
    assert sorted(hit.anchor for hit in search_query("zqa text", limit=20)) == ["x6", "x7", "x8"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's ranking of any word")
def test_sqlite_any_word_ranks_as_ranking_every_match(home):
    """No entry holds zqa and zqb both: every entry holding any of the words is a match,
    and the ranking of only those holding the rare ones must be the ranking of all."""
    rows = []
    for n in range(40):
        body = ["zqc"] * (1 + n % 3) + ["zqa"] * (n % 7 == 1) + ["zqb"] * (n % 11 == 2)
        rows.append(made_up(home, n, "zqt", " ".join(body)))
    search_entries_bulk(rows)

    def ranked_in_full(limit: int, offset: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
                f" ORDER BY bm25({FTS_TABLE}, %s, 1.0), rowid LIMIT %s OFFSET %s",
                ['"zqa" OR "zqb" OR "zqc"', search.TITLE_WEIGHT, limit, offset],
            )
            return [row[0] for row in cursor.fetchall()]

    for limit, offset in [(1, 0), (3, 0), (5, 0), (10, 0), (20, 0), (4, 3), (40, 0), (5, 38)]:
        with CaptureQueriesContext(connection) as queries:
            hits = search_query("zqa zqb zqc", limit=limit, offset=offset)
        assert [hit.id for hit in hits] == ranked_in_full(limit, offset), (limit, offset)
        if limit + offset <= 10:  # the ten entries with zqa or zqb: only those were ranked
            assert any("+rowid IN" in query["sql"] for query in queries.captured_queries)
