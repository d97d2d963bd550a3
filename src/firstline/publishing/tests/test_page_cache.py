"""Public pages for anonymous readers come from the cache (services/cache.py) until
anything is published: the second read runs fewer queries and is still counted, a
publish shows the new text at once, signed-in readers are never served a cached
page, and each reader gets their own CSRF token."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from firstline.publishing.models import Channel, GuideChapterPage, GuidePage, ReadingDay
from firstline.publishing.services.cache import CSRF_TOKEN
from firstline.publishing.services.site import site_ensure
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0"


def reader(address: str = "198.51.100.7") -> dict:
    return {"HTTP_USER_AGENT": BROWSER, "REMOTE_ADDR": address, "HTTP_ACCEPT_LANGUAGE": "zh-CN"}


def untokened(response) -> bytes:
    return CSRF_TOKEN.sub(b"T", response.content)


def views(page) -> int:
    return sum(
        ReadingDay.objects.filter(
            page=page, day=timezone.localdate(), channel=Channel.WEB
        ).values_list("views", flat=True)
    )


@pytest.fixture
def guide():
    home = site_ensure()
    guide = home.add_child(
        instance=GuidePage(
            title="住宅小区防控操作指引",
            slug="residential",
            site_type="residential",
            summary="第一版摘要",
        )
    )
    guide.save_revision().publish()
    guide.add_child(instance=GuideChapterPage(title="公共区域消毒", slug="disinfection"))
    return GuidePage.objects.get(pk=guide.pk)


def test_the_second_anonymous_read_is_cached_and_still_counted(client, guide):
    with CaptureQueriesContext(connection) as first:
        response = client.get(guide.url, **reader())
    assert response.status_code == 200 and "公共区域消毒" in response.content.decode()
    assert "X-Firstline-Cache" not in response
    with CaptureQueriesContext(connection) as second:
        again = client.get(guide.url, **reader())
    assert again.status_code == 200 and again["X-Firstline-Cache"] == "hit"
    assert untokened(again) == untokened(response)  # the same page, each its own CSRF token
    assert len(second) < len(first)
    page_tables = ("publishing_guidechapterpage", "wagtailcore_pagelogentry")
    assert not [q for q in second.captured_queries if any(t in q["sql"] for t in page_tables)]
    assert views(guide) == 1  # the same reader, twice: once

    client.get(guide.url, **reader("198.51.100.8"))  # another reader, from the cache
    assert views(guide) == 2


def test_a_publish_shows_the_new_text_at_once(client, guide):
    assert "第一版摘要" in client.get(guide.url, **reader()).content.decode()
    assert client.get(guide.url, **reader())["X-Firstline-Cache"] == "hit"
    guide.summary = "第二版摘要"
    guide.save_revision().publish()
    response = client.get(guide.url, **reader())
    assert "X-Firstline-Cache" not in response
    assert "第二版摘要" in response.content.decode()
    # the home page lists the guide: it changes with the guide's publish too
    home = client.get("/site/", **reader())
    assert "X-Firstline-Cache" not in home
    chapter = GuideChapterPage.objects.get()
    client.get(chapter.url, **reader())
    chapter.unpublish()
    assert client.get(chapter.url, **reader()).status_code == 404


def test_signed_in_readers_and_query_strings(client, guide, world):
    client.get(guide.url, **reader())
    assert client.get(guide.url, **reader())["X-Firstline-Cache"] == "hit"
    poster = client.get(guide.url + "?src=poster", **reader())  # a path of its own
    assert "X-Firstline-Cache" not in poster
    user = world.a.users["company_admin"]
    assert client.login(username=user.username, password=PASSWORD)
    for _ in range(2):
        response = client.get(guide.url, **reader())
        assert "X-Firstline-Cache" not in response
    assert user.display_name in response.content.decode()


def test_each_reader_gets_their_own_csrf_token(guide):
    from django.test import Client

    one, two = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first = one.get(guide.url, **reader()).content.decode()
    second = two.get(guide.url, **reader("198.51.100.9"))
    assert second["X-Firstline-Cache"] == "hit"
    assert "__FIRSTLINE_CSRF__" not in first and "__FIRSTLINE_CSRF__" not in second.content.decode()
    assert "X-CSRFToken" in second.content.decode()
    assert second.cookies.get("csrftoken")  # the token in the page matches this reader's cookie
    from django.middleware.csrf import _does_token_match

    token = second.content.decode().split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    assert _does_token_match(token, second.cookies["csrftoken"].value)
