"""A person's status at the gate, as the health app records it: the screening status
of the resident's current declaration (green without one) and whether an isolation
case holds them today (not released, started on or before today). The gate decision
(decision.py) turns isolated and red into DENY reasons.

This runs for every check-in, so it is hand-written SQL on the indexed resident
columns, carried by the gate's own lookup of the pass or resident (the ORM's
Subquery/Exists version cost ~2 ms of CPU per call to build);
access/tests/test_gate_status.py and the other access tests pin its behaviour."""

from __future__ import annotations

from functools import cache

from django.utils import timezone

from firstline.access.services.decision import Health, Person
from firstline.health.models import Declaration, IsolationCase


def status_columns(resident: str) -> tuple[str, list]:
    """Two select-list expressions for the resident id in column `resident`: the
    screening status of their current declaration (NULL without one) and whether an
    isolation case holds them today. Each is one probe of an index on the resident
    (one current declaration each, health_decl_one_current), so the gate's pass and
    resident lookups carry the status in the same statement (fastpath.passes)."""
    sql = (
        f"(SELECT d.status FROM {Declaration._meta.db_table} d"  # noqa: S608
        f" WHERE d.resident_id = {resident} AND d.current = %s LIMIT 1),"
        f" EXISTS (SELECT 1 FROM {IsolationCase._meta.db_table} c"
        f" WHERE c.resident_id = {resident} AND c.state <> %s AND c.start_date <= %s)"
    )
    return sql, [True, IsolationCase.State.RELEASED, timezone.localdate()]


def person(health: str | None, isolated) -> Person:
    """The Person of status_columns' two values (green without a declaration)."""
    return _person(health or Health.GREEN, bool(isolated))


@cache
def _person(health: str, isolated: bool) -> Person:
    """A handful of distinct statuses: made once each, not once a resident."""
    return Person(health=Health(health), isolated=isolated)
