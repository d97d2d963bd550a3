"""Several app hosts: two servers (gunicorn, as `./firstline serve` starts it) on two
ports against one PostgreSQL and one Redis share everything a user or a device
relies on. A session made on host A is signed in on host B; sign-in attempts are
counted across both (the rate limit lives in Redis); a device token rotated through
host A stops working on host B (within the token cache's few seconds,
access/services/devices.py) and the new one works there at once.

PostgreSQL and Redis only (DATABASE_URL, REDIS_URL): skipped on SQLite. The servers
read the test database this test commits to, and are killed on every exit path."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connections

from firstline.access.services import administration, devices
from firstline.cli import REPO, gunicorn_cmd
from firstline.orgs.services.accounts import api_token_create
from firstline.testing.world import PASSWORD, build_world

pytestmark = [
    pytest.mark.skipif(
        not (
            os.environ.get("DATABASE_URL", "").startswith("postgres")
            and os.environ.get("REDIS_URL")
        ),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

SIGN_IN_LIMIT = 4  # per hour per address, across both hosts


@pytest.fixture
def world(transactional_db):
    """The test world, committed: the servers read it over their own connections."""
    return build_world()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server on {port} exited: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise AssertionError(f"server on {port} did not answer in {timeout} s")


@pytest.fixture
def hosts():
    """Two app servers on two free ports, one database (this test's), one Redis."""
    db = connections["default"].settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "firstline.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "FIRSTLINE_CACHE_PREFIX": f"hosts-{uuid.uuid4().hex[:8]}",
        "FIRSTLINE_RATE_LIMITS": f"login={SIGN_IN_LIMIT}/h",
        "FIRSTLINE_REQUIRE_2FA": "0",
        "FIRSTLINE_DB_CONN_MAX_AGE": "0",
        "PYTHONPATH": str(REPO / "src"),
    }
    env.pop("DATABASE_REPLICA_URLS", None)
    procs, ports = [], []
    try:
        for _ in range(2):
            port = free_port()
            cmd = gunicorn_cmd("127.0.0.1", port, workers=1, threads=2)
            cmd[0] = sys.executable
            procs.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and server
                    cmd,
                    env=env,
                    cwd=REPO,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
            )
            ports.append(port)
        for port, proc in zip(ports, procs, strict=True):
            wait_listening(port, proc)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Browser:
    """One browser's cookies, sent to whichever host it asks."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310 - http to our servers
        try:
            with self.opener.open(req, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, host, username, password):
        status, page = self.request(f"{host}/accounts/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(
            f"{host}/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
            {"Referer": f"{host}/accounts/login/"},
        )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def api(host, path, token, method="POST"):
    req = urllib.request.Request(  # noqa: S310 - http to our servers
        f"{host}/api/v1{path}",
        data=b"" if method == "POST" else None,
        method=method,
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as response:  # noqa: S310 - ditto
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def test_two_hosts_share_sessions_rate_limits_and_key_rotations(world, hosts):
    a, b = hosts
    assert settings.CACHES  # the servers' cache is Redis (REDIS_URL), not this process's
    # An hour's window: wait out the last seconds of one, so all attempts share it.
    if 3600 - time.time() % 3600 < 30:
        time.sleep(3600 - time.time() % 3600 + 1)

    # 1. A session made on host A is a signed-in session on host B.
    admin = world.a.users["company_admin"]
    browser = Browser()
    status, _ = browser.sign_in(a, admin.username, PASSWORD)
    assert status == 302  # attempt 1
    status, page = browser.request(f"{b}/")
    assert status == 200, "host B knows the session host A made"
    assert admin.username in page or admin.display_name in page

    # 2. Sign-in attempts are counted across both hosts.
    other = Browser()
    assert other.sign_in(a, "nobody", "wrong-password")[0] == 200  # attempt 2
    assert other.sign_in(b, "nobody", "wrong-password")[0] == 200  # attempt 3
    assert other.sign_in(a, "nobody", "wrong-password")[0] == 200  # attempt 4
    status, page = other.sign_in(b, "nobody", "wrong-password")  # attempt 5: over
    assert status == 429, "host B counts the attempts host A saw"
    assert "429" in page

    # 3. A device token rotated through host A stops working on host B.
    checkpoint = administration.checkpoint_create(
        actor=None, site=world.a.site, data={"name": "东门"}
    )
    device, old = devices.device_register(actor=None, checkpoint=checkpoint, name="读头", kind="qr")
    _, user_token = api_token_create(user=admin, name="hosts test")
    assert api(b, "/access/devices/heartbeat", old)[0] == 200  # host B caches the old token
    status, body = api(a, f"/access/devices/{device.pk}/rotate-token", user_token)
    assert status == 200
    new = body["token"]
    assert api(a, "/access/devices/heartbeat", old)[0] == 401  # at once where it was rotated
    assert api(b, "/access/devices/heartbeat", new)[0] == 200  # the new token at once elsewhere
    # Host B refuses the old token once its per-process cache entry (CACHE_SECONDS) ends;
    # the deadline is a timeout with room for a busy machine, not a speed figure.
    deadline = time.monotonic() + devices.CACHE_SECONDS + 60
    while api(b, "/access/devices/heartbeat", old)[0] != 401:
        if time.monotonic() > deadline:
            pytest.fail("host B kept the old token past its cache's lifetime")
        time.sleep(0.25)
