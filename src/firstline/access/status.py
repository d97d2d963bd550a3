"""A person's status at the gate, as the health app records it: the screening status
of the resident's current declaration (green without one) and whether an isolation
case holds them today (not released, started on or before today). The gate decision
(decision.py) turns isolated and red into DENY reasons.

This runs for every check-in, so it is one hand-written statement on the indexed
resident columns (the ORM's Subquery/Exists version cost ~2 ms of CPU per call to
build); tests/test_gate_status.py and the access tests pin its behaviour."""

from __future__ import annotations

from functools import cache

from django.utils import timezone

from firstline.health.models import Declaration, IsolationCase

from .decision import Health, Person
from .fastpath import cursor, in_clause


def _sql(declared: str, isolated: str) -> str:
    return (
        f"SELECT resident_id, status, 0 FROM {Declaration._meta.db_table}"  # noqa: S608
        f" WHERE current = %s AND {declared}"
        f" UNION ALL SELECT resident_id, NULL, 1 FROM {IsolationCase._meta.db_table}"
        f" WHERE {isolated} AND state <> %s AND start_date <= %s"
    )


def person_status(resident_ids: list[int]) -> dict[int, Person]:
    ids = sorted(set(resident_ids))
    if not ids:
        return {}
    health: dict[int, str] = {}
    isolated: set[int] = set()
    # One parameter for the ids on PostgreSQL (a prepared statement whatever their
    # number); placeholders elsewhere.
    declared, declared_ids = in_clause("resident_id", ids, "bigint")
    cased, cased_ids = in_clause("resident_id", ids, "bigint")
    params = [
        True,
        *declared_ids,
        *cased_ids,
        IsolationCase.State.RELEASED,
        timezone.localdate(),
    ]
    # The gate resolved these residents within its own site: a system read, not a user's.
    with cursor(prepared=len(ids) == 1) as cur:
        cur.execute(_sql(declared, cased), params)
        for resident_id, status, is_case in cur.fetchall():
            if is_case:
                isolated.add(resident_id)
            else:
                health[resident_id] = status
    return {rid: _person(health.get(rid) or Health.GREEN, rid in isolated) for rid in resident_ids}


@cache
def _person(health: str, isolated: bool) -> Person:
    """A handful of distinct statuses: made once each, not once a resident."""
    return Person(health=Health(health), isolated=isolated)
