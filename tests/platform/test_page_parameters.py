"""Every page without a path argument, asked with query parameters no form would send
(ids that are not numbers or beyond any primary key, impossible dates, unknown
choices), answers 2xx, 3xx or 4xx: never a server error. Found by the outside probes
(issue #16): a `?site=abc` on any list page was a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from firstline.testing.world import PASSWORD, build_world

HUGE = "9" * 20
JUNK = [
    {
        "site": "abc",
        "building": "abc",
        "company": "x",
        "resident": "x",
        "page": "x",
        "status": "zz",
        "state": "zz",
        "kind": "zz",
        "day": "2020-13-45",
        "since": "x",
        "district": "x",
    },
    {"site": HUGE, "building": HUGE, "company": HUGE, "resident": HUGE, "page": HUGE},
]


# Pages that fail on purpose: Wagtail's "does error reporting work" page.
RAISES = {"wagtailadmin_error_test"}


def page_urls() -> list[str]:
    def names(resolver, ns=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from names(pattern, f"{ns}{pattern.namespace}:" if pattern.namespace else ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield ns + pattern.name

    urls = set()
    for name in names(get_resolver()):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # needs a path argument
        if not url.startswith(("/api/", "/accounts/logout/", "/i18n/")) and name not in RAISES:
            urls.add(url)
    assert len(urls) > 30, urls  # the walk must find the pages
    return sorted(urls)


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("role", ["company_admin", "guard", "resident", "association_admin"])
def test_odd_query_parameters_never_answer_5xx(world, role):
    user = world.users.get(role) or world.a.users[role]
    client = Client(raise_request_exception=False)
    assert client.login(username=user.username, password=PASSWORD)
    failures = [
        (url, params, response.status_code)
        for url in page_urls()
        for params in JUNK
        if (response := client.get(url, params)).status_code >= 500
    ]
    assert failures == []


def test_a_page_number_past_the_end_shows_the_last_page(world):
    """Every list answers ?page=99999 as it answers no page at all (its last page),
    never 404 (issue #17)."""
    user = world.a.users["company_admin"]
    client = Client(raise_request_exception=False)
    assert client.login(username=user.username, password=PASSWORD)
    differ = []
    for url in page_urls():
        if url.startswith(("/cms/", "/documents/")):
            continue  # Wagtail's editor keeps its own paging
        plain = client.get(url).status_code
        far = client.get(url, {"page": "99999"}).status_code
        if far != plain:
            differ.append((url, plain, far))
    assert differ == []
