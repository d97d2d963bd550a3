"""Background tasks of the publishing app, declared in firstline/schedule.py:
Wagtail's scheduled publishing and expiry, and the daily fold of the reading figures."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.tasks import task

from firstline.publishing.services.reading import reading_fold
from firstline.publishing.services.search import search_compact


@task()
def publishing_scheduled() -> dict:
    """Every minute: publish the pages whose go-live time has come and take down the
    expired ones (Wagtail's `publish_scheduled`, which keeps its own state)."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return {"output": out.getvalue().strip()[-500:]}


@task()
def publishing_reading_fold() -> dict:
    """Every night: the reader marks of past days are recounted into the day's
    figures once more and deleted, so only counts remain (services/reading.py).
    Idempotent: a second run finds no marks."""
    return reading_fold()


@task()
def publishing_search_compact() -> dict:
    """Every night: the search index rebuilt compact (PostgreSQL: the RUM index,
    concurrently; SQLite: FTS5's segments merged). Grown entry by entry, either index
    is left in pieces and searches of common words ran two to seven times slower on it
    (docs/publishing.md)."""
    return {"compacted": search_compact()}
