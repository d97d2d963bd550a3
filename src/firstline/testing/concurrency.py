"""Races for the concurrency tests (PostgreSQL, real connections): every job starts at
the same moment on its own thread and connection; the outcome of each is "ok" or
"refused" (a ValidationError), sorted so a test compares the multiset."""

from __future__ import annotations

import threading

from django.core.exceptions import ValidationError
from django.db import connections


def race(*jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    results: list[str] = []

    def run(job):
        try:
            barrier.wait()
            job()
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)
