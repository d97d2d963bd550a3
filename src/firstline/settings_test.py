"""Test settings: the real settings with throwaway keys and strict fetching.

Keys are fresh random values per run unless the environment gives them, so no
test depends on a particular key."""

import base64
import os
import tempfile
from pathlib import Path

os.environ.setdefault("FIRSTLINE_SECRET_KEY", "test-" + base64.b64encode(os.urandom(24)).decode())
os.environ.setdefault("FIRSTLINE_DATA_KEYS", "t1:" + base64.b64encode(os.urandom(32)).decode())
os.environ.setdefault("FIRSTLINE_HMAC_KEY", base64.b64encode(os.urandom(32)).decode())

from firstline.settings import *

# A lazy load of a relation a selector did not join raises in tests (Django 6.1 fetch modes).
FIRSTLINE_STRICT_FETCH = True
PASSWORD_HASHERS = ["firstline.testing.hashers.FastArgon2PasswordHasher", *PASSWORD_HASHERS]
# Unit tests run tasks at once; test_task_backends.py switches to PRODUCTION_TASKS
# (the database backend, or RQ when REDIS_URL is set) and runs a real worker.
PRODUCTION_TASKS = TASKS
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# Reading figures are written as each view is recorded, not by the flusher thread
# (publishing/services/reading.py), so a test sees them at once.
FIRSTLINE_READING_FLUSH_SECONDS = 0

# The console SMS backend shows its codes on the page, as in the demo.
FIRSTLINE_SMS_SHOW_CODES = True

# SQLite tests use a file, as the demo and a small deployment do, not SQLite's shared
# in-memory database. Django's live server hands an in-memory database's single
# connection to every request thread at once, and two requests from the browser
# (a page and its favicon, say) then read each other's rows: a user lookup by
# primary key once "returned 2". With a file each thread has its own connection,
# in WAL mode with immediate write transactions, as in production. The name is new
# for every test process, so a -wal file left by a crashed run can never be replayed
# into a fresh test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"firstline-test-{os.getpid()}.sqlite3")
    }

# Each test process keeps its own cache (a shared Redis would carry one test database's
# cached pages and counters into another's); rate limits are off unless a test sets
# them (core/tests/test_ratelimit.py), as many tests sign in from one address.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
FIRSTLINE_RATE_LIMITS = {}
