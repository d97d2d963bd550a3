"""Security headers and sessions, checked on real responses: a Content-Security-Policy
without 'unsafe-inline' (inline code runs only with the request's nonce), no framing,
nosniff, a referrer policy, secure cookies behind HTTPS, a new session key at sign-in,
and a lockout that answers an unknown name exactly as it answers a known one."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from firstline.orgs.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Kq7-rain-over-the-river"

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style[^>]*>", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.fixture(autouse=True)
def plain_sign_in(settings):
    settings.FIRSTLINE_REQUIRE_2FA = False
    settings.FIRSTLINE_LOCKOUT_ATTEMPTS = 5
    settings.FIRSTLINE_LOCKOUT_MINUTES = 15


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="zhaomin", password=PASSWORD)


def pages(client, world):
    """The sign-in page, and pages with inline scripts and styles as a signed-in user."""
    yield client.get(reverse("login"))
    client.force_login(world.a.users["site_manager"])
    for name in ("dashboard", "access:log", "estates:resident_list"):
        yield client.get(reverse(name))
    client.force_login(world.a.users["resident"])
    yield client.get(reverse("access:my_passes"))


def test_csp_has_no_unsafe_inline_and_inline_code_carries_the_nonce(client, world):
    inline = 0
    for response in pages(client, world):
        assert response.status_code == 200, response.request["PATH_INFO"]
        csp = policy(response)
        values = [v for vs in csp.values() for v in vs]
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values
        assert csp["default-src"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"]
        html = response.content.decode()
        assert ' style="' not in html, response.request["PATH_INFO"]
        nonces = {v for v in csp["script-src"] + csp["style-src"] if v.startswith("'nonce-")}
        for tag in INLINE_SCRIPT.findall(html) + INLINE_STYLE.findall(html):
            nonce = re.search(r'nonce="([^"]+)"', tag)
            assert nonce and f"'nonce-{nonce[1]}'" in nonces, (response.request["PATH_INFO"], tag)
            inline += 1
    assert inline  # the pages chosen do have inline code to check


def test_no_framing_no_sniffing_and_a_referrer_policy(client, world):
    for response in pages(client, world):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_api_answers_carry_the_headers_too(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


# --- cookies --------------------------------------------------------------------------


def settings_with(**env) -> dict:
    """The settings module as it reads the environment, in a fresh interpreter."""
    code = (
        "import json; from firstline import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY')}))"
    )
    environment = {**os.environ, "FIRSTLINE_SECRET_KEY": "x" * 50}
    environment.pop("FIRSTLINE_SECURE_COOKIES", None)
    environment.update(env)
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_firstline_secure_cookies_turns_both_cookies_secure():
    assert settings_with(FIRSTLINE_SECURE_COOKIES="1") == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
    }
    off = settings_with()
    assert (off["SESSION_COOKIE_SECURE"], off["CSRF_COOKIE_SECURE"]) == (False, False)


def test_with_secure_cookies_the_session_and_csrf_cookies_are_secure(client, user, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    page = client.get(reverse("login"), secure=True)
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True or csrf["secure"] == "True"
    signed_in = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        secure=True,
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"


# --- sessions -------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, user):
    """Session fixation: a key planted before sign-in (by someone who knows it) must not
    become the signed-in session."""
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client.cookies["sessionid"] = planted.session_key

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    new_key = response.cookies["sessionid"].value
    assert new_key and new_key != planted.session_key
    assert not SessionStore().exists(planted.session_key)  # the old key is gone
    assert SessionStore(new_key).get("_auth_user_id") == str(user.pk)


# --- lockout --------------------------------------------------------------------------


def sign_in(client, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})
    errors = response.context["form"].non_field_errors() if response.context else None
    return response.status_code, errors


def test_lockout_answers_an_unknown_name_as_it_answers_a_known_one(client, user):
    known = user
    known_answers = [sign_in(client, known.username, "wrong-password") for _ in range(6)]
    unknown_answers = [sign_in(client, "nobody-at-all", "wrong-password") for _ in range(6)]

    known.refresh_from_db()
    assert known.locked_until is not None  # the lockout happened
    assert known_answers == unknown_answers  # and nobody can tell
    assert len(set(map(str, known_answers))) == 1
    # The right password during the lock: the same answer again, and no session.
    assert sign_in(client, known.username, PASSWORD) == known_answers[0]
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="nobody-at-all").exists()


def test_api_token_lockout_answers_the_same_too(client, user):
    def obtain(username, password):
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": password},
            content_type="application/json",
        )
        return response.status_code, response.json()

    known = user.username
    known_answers = [obtain(known, "wrong-password") for _ in range(6)]
    unknown_answers = [obtain("nobody-at-all", "wrong-password") for _ in range(6)]
    assert known_answers == unknown_answers
    assert obtain(known, PASSWORD) == unknown_answers[0]  # locked: the same answer
