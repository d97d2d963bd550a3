"""Rate limits (core/ratelimit.py): sign-in and the public sign-up answer 429 past the
limit, per client address, counted in the shared cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from firstline.core import ratelimit


@pytest.fixture
def limits(settings):
    settings.FIRSTLINE_RATE_LIMITS = {"login": "3/h", "/api/v1/auth/token": "2/h"}
    cache.clear()
    yield
    cache.clear()


def test_the_window_counts_then_refuses_with_the_seconds_left(limits):
    def request(address):
        return RequestFactory().post("/login/", REMOTE_ADDR=address)

    results = [ratelimit.hit(request("1.2.3.4"), "x", "2/h") for _ in range(3)]
    assert results[:2] == [None, None]
    assert 1 <= results[2] <= 3600  # refused, with the seconds left in its window
    assert ratelimit.hit(request("5.6.7.8"), "x", "2/h") is None  # another address
    assert ratelimit.hit(request("1.2.3.4"), "y", "2/h") is None  # another limit


@pytest.mark.django_db
def test_sign_in_past_the_limit_answers_429_with_retry_after(client, limits):
    url = reverse("login")
    for _ in range(3):
        assert client.post(url, {"username": "nobody", "password": "wrong"}).status_code == 200
    response = client.post(url, {"username": "nobody", "password": "wrong"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "429" in response.content.decode()
    assert client.get(url).status_code == 200  # reading the page is not an attempt


@pytest.mark.django_db
def test_the_api_answers_429_as_json(client, limits):
    for _ in range(2):
        client.post("/api/v1/auth/token", {}, content_type="application/json")
    response = client.post("/api/v1/auth/token", {}, content_type="application/json")
    assert response.status_code == 429
    assert response.json()["retry_after"] > 0


@pytest.mark.django_db
def test_the_public_volunteer_sign_up_is_limited(client, settings):
    settings.FIRSTLINE_RATE_LIMITS = {"volunteers:join": "1/h"}
    cache.clear()
    client.post(reverse("volunteers:join"), {})
    assert client.post(reverse("volunteers:join"), {}).status_code == 429
    cache.clear()


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7", REMOTE_ADDR="10.0.0.1"
    )
    settings.FIRSTLINE_PROXY_COUNT = 0
    assert ratelimit.client_address(request) == "10.0.0.1"
    settings.FIRSTLINE_PROXY_COUNT = 1
    assert ratelimit.client_address(request) == "10.0.0.7"  # a client's own claim is ignored
