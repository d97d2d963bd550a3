"""Honest reading figures (services/reading.py): one view per reader per page per day,
crawlers none, no address stored; the buffered writer, the nightly fold, the
association's figures page and the demo's history."""

from __future__ import annotations

import io
import random
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction

from firstline.core.roles import Role
from firstline.publishing.models import (
    Channel,
    GuidePage,
    NewsIndexPage,
    NewsPage,
    PolicyIndexPage,
    PolicyPage,
    ReaderMark,
    ReadingDay,
)
from firstline.publishing.services import reading
from firstline.publishing.services.reading import (
    days_between,
    reader_key,
    reading_flush,
    reading_fold,
    reading_history_seed,
    reading_pending,
    reading_record,
)
from firstline.publishing.services.site import site_ensure
from firstline.publishing.tasks import publishing_reading_fold
from firstline.testing.tenancy import Page as Route
from firstline.testing.tenancy import TenancyCases
from firstline.testing.world import PASSWORD, World, make_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44 NetType/WIFI Language/zh_CN"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
CRAWLERS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
    "Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
)


def reader(client, ua: str = BROWSER, address: str = "198.51.100.7", language: str = "zh-CN"):
    """Headers of one reader's browser, for client.get(…, **reader(…))."""
    return {"HTTP_USER_AGENT": ua, "REMOTE_ADDR": address, "HTTP_ACCEPT_LANGUAGE": language}


@pytest.fixture
def site():
    return site_ensure()


@pytest.fixture
def guide(site):
    return site.add_child(
        instance=GuidePage(
            title="住宅小区防控操作指引", slug="residential", site_type="residential"
        )
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


@pytest.fixture
def document(media):
    return get_document_model().objects.create(
        title="住宅小区防控操作指引（PDF）",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="residential.pdf"),
    )


def figures(**target) -> dict[str, tuple[int, int]]:
    """{channel: (views, downloads)} of today's figures of one page or document."""
    return {
        row.channel: (row.views, row.downloads)
        for row in ReadingDay.objects.filter(day=timezone.localdate(), **target)
    }


# --- one reader, one view a day --------------------------------------------------------------


def test_ten_reloads_by_one_reader_count_one_view(client, guide):
    for _ in range(10):
        assert client.get(guide.url, **reader(client)).status_code == 200
    assert figures(page=guide) == {Channel.WEB: (1, 0)}
    assert ReaderMark.objects.count() == 1


def test_other_readers_count_apart(client, guide):
    client.get(guide.url, **reader(client))
    client.get(guide.url, **reader(client, ua=DESKTOP))  # another browser, same address
    assert figures(page=guide) == {Channel.WEB: (2, 0)}
    client.get(guide.url, **reader(client, address="198.51.100.8"))  # another address
    client.get(guide.url, **reader(client, language="en-US"))  # another language
    client.get(guide.url, **reader(client, address="198.51.100.8"))  # the second again
    assert figures(page=guide) == {Channel.WEB: (4, 0)}


@pytest.mark.parametrize("ua", CRAWLERS)
def test_a_crawler_counts_none(client, guide, ua):
    for _ in range(3):
        assert client.get(guide.url, **reader(client, ua=ua)).status_code == 200
    assert ReadingDay.objects.count() == 0
    assert ReaderMark.objects.count() == 0


def test_no_user_agent_head_and_prefetch_count_none(client, guide):
    assert client.get(guide.url, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert client.get(guide.url, **reader(client, ua="   ")).status_code == 200
    assert client.head(guide.url, **reader(client)).status_code == 200
    client.get(guide.url, HTTP_SEC_PURPOSE="prefetch;prerender", **reader(client))
    client.get(guide.url, HTTP_PURPOSE="prefetch", **reader(client))
    assert ReadingDay.objects.count() == 0
    client.get(guide.url, **reader(client))  # the control: the same reader, really reading
    assert figures(page=guide) == {Channel.WEB: (1, 0)}


def test_drafts_and_previews_are_not_counted(client, site, guide):
    draft = site.add_child(instance=GuidePage(title="草稿", slug="draft", site_type="office"))
    draft.unpublish()
    assert client.get("/site/draft/", **reader(client)).status_code == 404
    preview = RequestFactory().get(guide.url, **reader(client))
    preview.is_preview = True
    assert reading.reading_view(preview, guide) is False
    assert ReadingDay.objects.count() == 0


def test_a_restricted_pages_prompt_is_not_a_read(client, guide):
    PageViewRestriction.objects.create(
        page=guide, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    response = client.get(guide.url, **reader(client))
    assert response.status_code == 200  # Wagtail's password form, not the guide
    assert ReadingDay.objects.count() == 0


def test_signed_in_readers_count_like_anyone(client, world, guide):
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    client.get(guide.url, **reader(client))
    client.get(guide.url, **reader(client))
    assert figures(page=guide) == {Channel.WEB: (1, 0)}


# --- channels -------------------------------------------------------------------------------


def test_channels_from_the_link(client, site, guide):
    news = site.add_child(instance=GuidePage(title="写字楼", slug="office", site_type="office"))
    client.get(guide.url, {"src": "poster"}, **reader(client))
    client.get(guide.url, {"src": "wechat"}, **reader(client, address="198.51.100.8"))
    client.get(guide.url, {"from": "timeline"}, **reader(client, address="198.51.100.9"))
    client.get(guide.url, {"src": "other"}, **reader(client, address="198.51.100.10"))
    assert figures(page=guide) == {
        Channel.POSTER: (1, 0),
        Channel.WECHAT: (2, 0),
        Channel.WEB: (1, 0),
    }
    # The same reader by another way the same day is still one reader: the first way counts.
    client.get(news.url, {"src": "poster"}, **reader(client))
    client.get(news.url, **reader(client))
    assert figures(page=news) == {Channel.POSTER: (1, 0)}


# --- days -----------------------------------------------------------------------------------


def test_the_next_day_the_same_reader_counts_again(client, guide):
    with time_machine.travel(datetime(2020, 2, 10, 23, 50, tzinfo=SHANGHAI), tick=False) as clock:
        client.get(guide.url, **reader(client))
        first = ReaderMark.objects.get().reader
        clock.move_to(datetime(2020, 2, 11, 0, 10, tzinfo=SHANGHAI))
        client.get(guide.url, **reader(client))
        client.get(guide.url, **reader(client))
    assert dict(ReadingDay.objects.filter(page=guide).values_list("day", "views")) == {
        date(2020, 2, 10): 1,
        date(2020, 2, 11): 1,
    }
    second = ReaderMark.objects.get(day=date(2020, 2, 11)).reader
    assert first != second  # the key rotates: the two days' marks cannot be linked


def test_the_reader_key_rotates_daily_and_depends_on_the_secret(settings):
    args = {"address": "198.51.100.7", "user_agent": BROWSER, "accept_language": "zh-CN"}
    monday = reader_key(**args, day=date(2020, 2, 10))
    assert re.fullmatch(r"[0-9a-f]{32}", monday)
    assert monday == reader_key(**args, day=date(2020, 2, 10))
    assert monday != reader_key(**args, day=date(2020, 2, 11))
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    assert monday != reader_key(**args, day=date(2020, 2, 10))


# --- downloads ------------------------------------------------------------------------------


def test_a_document_download_counts_once_per_reader(client, document):
    for _ in range(3):
        response = client.get(document.url, **reader(client))
        assert response.status_code == 200
        b"".join(response.streaming_content)
    assert figures(document=document) == {Channel.WEB: (0, 1)}
    client.get(document.url, **reader(client, ua=DESKTOP))
    client.get(document.url, **reader(client, ua=CRAWLERS[1]))
    assert figures(document=document) == {Channel.WEB: (0, 2)}


# --- nothing personal kept ------------------------------------------------------------------


def test_no_address_or_browser_is_stored(client, guide, document):
    address, marker = "203.0.113.77", "FirstlineTestBrowser/9.9"
    headers = reader(client, ua=f"{BROWSER} {marker}", address=address)
    client.get(guide.url, **headers)
    client.get(document.url, **headers)
    stored = [*ReaderMark.objects.values(), *ReadingDay.objects.values()]
    assert len(stored) == 4
    text = repr(stored)
    for secret in (address, "203.0.113", marker, "MicroMessenger", "zh-CN"):
        assert secret not in text
    assert {len(m.reader) for m in ReaderMark.objects.all()} == {32}
    assert {f.name for f in ReaderMark._meta.fields} == {
        "id",
        "day",
        "page",
        "document",
        "channel",
        "reader",
    }


# --- the buffered writer --------------------------------------------------------------------


def test_record_only_buffers_until_the_flush(settings, guide):
    settings.FIRSTLINE_READING_FLUSH_SECONDS = 3600  # the flusher thread waits an hour
    today = timezone.localdate()
    for _ in range(10):
        reading_record(page_id=guide.pk, reader="a" * 32, channel=Channel.WEB, day=today)
    reading_record(page_id=guide.pk, reader="b" * 32, channel=Channel.POSTER, day=today)
    assert reading_pending() == 2
    assert ReadingDay.objects.count() == 0
    assert reading_flush() == 2
    assert reading_pending() == 0
    assert figures(page=guide) == {Channel.WEB: (1, 0), Channel.POSTER: (1, 0)}


def test_flushes_are_idempotent_and_overlaps_do_not_double_count(settings, guide, document):
    settings.FIRSTLINE_READING_FLUSH_SECONDS = 3600
    today = timezone.localdate()

    def record(*readers):
        for key in readers:
            reading_record(page_id=guide.pk, reader=key * 32, channel=Channel.WEB, day=today)
            reading_record(document_id=document.pk, reader=key * 32, channel="web", day=today)

    record("a", "b")
    reading_flush()
    record("a", "b")  # the same marks again (a retried flush, another process)
    reading_flush()
    assert figures(page=guide) == {Channel.WEB: (2, 0)}
    record("b", "c")  # overlapping
    reading_flush()
    assert figures(page=guide) == {Channel.WEB: (3, 0)}
    assert figures(document=document) == {Channel.WEB: (0, 3)}
    assert reading_flush() == 0  # nothing waiting, nothing written
    assert figures(page=guide) == {Channel.WEB: (3, 0)}


def test_a_failed_flush_keeps_the_readings_for_the_next(settings, guide, monkeypatch):
    settings.FIRSTLINE_READING_FLUSH_SECONDS = 3600
    today = timezone.localdate()
    reading_record(page_id=guide.pk, reader="a" * 32, channel=Channel.WEB, day=today)

    def down(items):
        raise RuntimeError("database away")

    monkeypatch.setattr(reading, "_write", down)
    with pytest.raises(RuntimeError):
        reading_flush()
    assert reading_pending() == 1
    monkeypatch.undo()
    assert reading_flush() == 1
    assert figures(page=guide) == {Channel.WEB: (1, 0)}


def test_a_reading_of_a_deleted_page_is_dropped(settings, site, guide):
    settings.FIRSTLINE_READING_FLUSH_SECONDS = 3600
    gone = site.add_child(instance=GuidePage(title="旧版", slug="old", site_type="office"))
    today = timezone.localdate()
    reading_record(page_id=gone.pk, reader="a" * 32, channel=Channel.WEB, day=today)
    reading_record(page_id=guide.pk, reader="a" * 32, channel=Channel.WEB, day=today)
    gone.delete()
    assert reading_flush() == 1
    assert list(ReadingDay.objects.values_list("page_id", "views")) == [(guide.pk, 1)]


def test_record_needs_exactly_one_target(guide, document):
    with pytest.raises(ValueError):
        reading_record(reader="a" * 32, channel="web", day=timezone.localdate())
    with pytest.raises(ValueError):
        reading_record(
            page_id=guide.pk,
            document_id=document.pk,
            reader="a" * 32,
            channel="web",
            day=timezone.localdate(),
        )


# --- the nightly fold -----------------------------------------------------------------------


def test_the_fold_keeps_the_counts_and_deletes_past_marks(guide, document):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    for key in "abc":
        reading_record(page_id=guide.pk, reader=key * 32, channel=Channel.WEB, day=yesterday)
    reading_record(document_id=document.pk, reader="a" * 32, channel="poster", day=yesterday)
    reading_record(page_id=guide.pk, reader="d" * 32, channel=Channel.WEB, day=today)
    # A flush that died between its marks and its figures: the fold counts that mark too.
    ReaderMark.objects.create(day=yesterday, page=guide, channel=Channel.WEB, reader="e" * 32)

    assert publishing_reading_fold.call() == {
        "days": 1,
        "figures_corrected": 1,
        "marks_deleted": 5,
    }
    assert dict(ReadingDay.objects.filter(page=guide).values_list("day", "views")) == {
        yesterday: 4,
        today: 1,
    }
    assert ReadingDay.objects.get(document=document, day=yesterday).downloads == 1
    assert list(ReaderMark.objects.values_list("day", flat=True)) == [today]
    assert reading_fold() == {"days": 0, "figures_corrected": 0, "marks_deleted": 0}
    # A late mark of a folded day never lowers its figure (nor is it counted twice).
    reading_record(page_id=guide.pk, reader="a" * 32, channel=Channel.WEB, day=yesterday)
    assert ReadingDay.objects.get(page=guide, day=yesterday).views == 4


def test_the_fold_is_a_daily_job(settings):
    jobs = {job.name: job for job in import_string(settings.FIRSTLINE_SCHEDULE)}
    job = jobs["publishing_reading_fold"]
    assert job.run is publishing_reading_fold
    assert job.when.at.hour == 0


# --- the association's figures page ---------------------------------------------------------

READING = (
    "the association's reading figures of its public site: counts of public pages, no tenant rows"
)


@pytest.fixture
def world(world: World) -> World:
    world.a.users["association_admin"] = world.users["association_admin"]
    return world


class TestReadingTenancy(TenancyCases):
    routes = [
        Route("publishing_members:reading", viewer="association_admin", company_level=READING)
    ]
    explicit = {
        "publishing_members:reading": "test_only_the_association_content_roles_see_the_figures"
    }


def test_only_the_association_content_roles_see_the_figures(client, world):
    url = reverse("publishing_members:reading")
    editor = make_user("writer", Role.CONTENT_EDITOR, association=world.association)
    for user in (world.users["association_admin"], editor):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert 'data-testid="nav-reading"' in response.content.decode()
    for user in (
        world.a.users["company_admin"],
        world.a.users["site_manager"],
        world.a.users["resident"],
        world.users["authority_viewer"],
        world.users["no_role"],
    ):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(url, {"export": "xlsx"}).status_code == 403
        client.force_login(user)
        assert 'data-testid="nav-reading"' not in client.get(reverse("dashboard")).content.decode()


def _news(site, n: int, *, body: str = "<p>正文</p>") -> list[NewsPage]:
    index = NewsIndexPage.objects.child_of(site).get()
    return [
        index.add_child(
            instance=NewsPage(title=f"新闻{i}", slug=f"news-{i}", date=date(2020, 2, 1), body=body)
        )
        for i in range(n)
    ]


def _day(day: date, channel: str = Channel.WEB, views: int = 0, downloads: int = 0, **target):
    return ReadingDay.objects.create(
        day=day, channel=channel, views=views, downloads=downloads, **target
    )


def test_the_figures_page_shows_totals_pages_days_and_documents(
    client, world, site, guide, document, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (linking,) = _news(
            site, 1, body=f'<p><a linktype="document" id="{document.pk}">PDF</a></p>'
        )
        linking.save_revision().publish()
    feb, mar, may = date(2020, 2, 10), date(2020, 3, 1), date(2020, 5, 1)
    _day(feb, views=120, page=guide)
    _day(feb, Channel.POSTER, views=30, page=guide)
    _day(mar, Channel.WECHAT, views=7, page=linking)
    _day(mar, Channel.WEB, downloads=40, document=document)
    _day(mar, Channel.POSTER, downloads=2, document=document)
    _day(may, views=1000, page=guide)  # outside the range asked
    client.force_login(world.users["association_admin"])

    response = client.get(
        reverse("publishing_members:reading"), {"start": "2020-02-01", "end": "2020-03-31"}
    )

    assert response.status_code == 200
    f = response.context["figures"]
    assert (f.start, f.end, f.first, f.last) == (date(2020, 2, 1), date(2020, 3, 31), feb, may)
    assert (f.views, f.downloads) == (157, 42)
    assert [(c["channel"], c["views"], c["downloads"]) for c in f.by_channel] == [
        ("web", 120, 40),
        ("poster", 30, 2),
        ("wechat", 7, 0),
    ]
    assert [
        (p["title"], p["kind"], p["web"], p["poster"], p["wechat"], p["views"], p["downloads"])
        for p in f.pages
    ] == [
        ("住宅小区防控操作指引", "操作指引", 120, 30, 0, 150, 0),
        ("新闻0", "新闻", 0, 0, 7, 7, 42),  # the document it links to
    ]
    assert f.pages[0]["url"] == "/site/residential/"
    assert [(d["title"], d["downloads"]) for d in f.documents] == [(document.title, 42)]
    assert len(f.days) == 60
    by_day = {d["day"]: d for d in f.days}
    assert (by_day[feb]["web"], by_day[feb]["poster"], by_day[mar]["downloads"]) == (120, 30, 42)
    chart = response.context["chart"]
    assert [s["name"] for s in chart["series"]] == ["网页", "海报二维码", "微信分享", "下载"]
    assert len(chart["xAxis"]["data"]) == 60
    text = response.content.decode()
    assert 'data-chart="reading-chart"' in text and 'id="reading-chart"' in text
    assert "style=" not in text


def test_the_default_range_is_the_year_up_to_the_last_figures(client, world, guide):
    _day(date(2018, 6, 1), views=5, page=guide)
    _day(date(2019, 6, 1), views=7, page=guide)
    _day(date(2020, 3, 1), views=9, page=guide)
    client.force_login(world.users["association_admin"])
    f = client.get(reverse("publishing_members:reading")).context["figures"]
    assert (f.start, f.end, f.first, f.views) == (
        date(2019, 3, 2),
        date(2020, 3, 1),
        date(2018, 6, 1),
        16,
    )
    bad = client.get(
        reverse("publishing_members:reading"), {"start": "2020-03-01", "end": "2020-01-01"}
    )
    assert bad.status_code == 200
    assert "开始日期不能晚于结束日期" in bad.content.decode()
    assert (bad.context["figures"].start, bad.context["figures"].end) == (f.start, f.end)
    nonsense = client.get(reverse("publishing_members:reading"), {"start": "x", "end": "2"})
    assert nonsense.status_code == 200


def test_the_figures_export_to_excel(client, world, site, guide, document):
    (news,) = _news(site, 1)
    _day(date(2020, 2, 10), views=12, page=guide)
    _day(date(2020, 2, 10), Channel.WECHAT, views=3, page=news)
    _day(date(2020, 2, 10), downloads=4, document=document)
    client.force_login(world.users["association_admin"])
    response = client.get(
        reverse("publishing_members:reading"),
        {"start": "2020-02-01", "end": "2020-02-29", "export": "xlsx"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    assert rows == [
        ("标题", "类型", "网址", "网页", "海报二维码", "微信分享", "阅读", "下载"),
        ("住宅小区防控操作指引", "操作指引", "/site/residential/", 12, 0, 0, 12, 0),
        ("新闻0", "新闻", "/site/news/news-0/", 0, 0, 3, 3, 0),
        (document.title, "文档", None, 4, 0, 0, None, 4),
    ]
    assert client.get(reverse("publishing_members:reading"), {"export": "pdf"}).status_code == 404


def test_the_figures_page_runs_a_fixed_number_of_queries(client, world, site, guide, media):
    client.force_login(world.users["association_admin"])
    url = reverse("publishing_members:reading")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"start": "2020-02-01", "end": "2020-02-29"}).status_code == 200
        return len(ctx.captured_queries)

    _day(date(2020, 2, 1), views=1, page=guide)
    baseline = count()
    for i, page in enumerate(_news(site, 12)):
        _day(date(2020, 2, 1 + i), views=i + 1, page=page)
        document = get_document_model().objects.create(
            title=f"文档{i}", file=ContentFile(b"%PDF-1.4\n", name=f"d{i}.pdf")
        )
        _day(date(2020, 2, 2 + i), downloads=i + 1, document=document)
    assert count() == baseline
    # session, user, role assignments (the scope); the span; the figures' seven
    assert baseline == 11


# --- the demo's history ---------------------------------------------------------------------


def test_the_history_seed_reaches_its_totals_with_a_plausible_shape(site, guide, media):
    office = site.add_child(instance=GuidePage(title="写字楼", slug="office", site_type="office"))
    policies = PolicyIndexPage.objects.child_of(site).get()
    policy = policies.add_child(
        instance=PolicyPage(
            title="复工指引",
            slug="p1",
            category="notice",
            issuer="协会",
            issued_on=date(2020, 2, 1),
            body="<p>复工</p>",
        )
    )
    (news,) = _news(site, 1)
    documents = [
        get_document_model().objects.create(
            title=title, file=ContentFile(b"%PDF-1.4\n", name=f"{n}.pdf")
        )
        for n, title in enumerate(("住宅小区防控操作指引", "写字楼防控操作指引"))
    ]
    pages = list(Page.objects.live().filter(depth__gt=1))
    days = days_between(date(2020, 1, 1), date(2020, 12, 31))

    written = reading_history_seed(
        pages=pages,
        documents=documents,
        days=days,
        total_views=600_000,
        total_downloads=150_000,
        rng=random.Random(7),
    )

    assert written["views"] == 600_000 and written["downloads"] == 150_000
    assert ReadingDay.objects.filter(page__isnull=False).count() == written["rows"] - (
        ReadingDay.objects.filter(document__isnull=False).count()
    )

    def views(**where) -> int:
        return sum(ReadingDay.objects.filter(**where).values_list("views", flat=True))

    assert views(page__isnull=False) == 600_000
    assert views(page=guide) > views(page=office) > views(page=news)
    assert views(page=office) > views(page=policy)
    peak = views(day__gte=date(2020, 2, 1), day__lte=date(2020, 3, 31))
    summer = views(day__gte=date(2020, 7, 1), day__lte=date(2020, 8, 31))
    assert peak > 3 * summer
    assert views(channel="web") > views(channel="poster") > views(channel="wechat") > 0
    residential_downloads = sum(
        ReadingDay.objects.filter(document=documents[0]).values_list("downloads", flat=True)
    )
    assert residential_downloads > 150_000 / 2
    # Run again: the same pages' figures are replaced, not added to.
    again = reading_history_seed(
        pages=pages,
        documents=documents,
        days=days,
        total_views=600_000,
        total_downloads=150_000,
        rng=random.Random(8),
    )
    assert views(page__isnull=False) == again["views"] == 600_000
