"""A person's status at the gate, as the health app records it: the screening status
of the resident's current declaration (green without one) and whether an isolation
case holds them today (not released, started on or before today): their own, or a
whole-household case of their household (a housemate's home isolation). The gate
decision (decision.py) turns isolated and red into DENY reasons.

This runs for every check-in, so it is hand-written SQL on the indexed resident
columns, carried by the gate's own lookup of the pass or resident (the ORM's
Subquery/Exists version cost ~2 ms of CPU per call to build);
access/tests/test_gate_status.py and the other access tests pin its behaviour."""

from __future__ import annotations

from functools import cache

from django.utils import timezone

from firstline.access.services.decision import Health, Person
from firstline.health.models import Declaration, IsolationCase


def status_columns(resident: str, household: str) -> tuple[str, list]:
    """Two select-list expressions for the resident id in column `resident` and their
    household id in column `household`: the screening status of their current
    declaration (NULL without one) and whether an isolation case holds them today —
    1 their own, 2 a whole-household case of their household, 0 none. Each is a probe
    of an index (one current declaration each, health_decl_one_current; the case's
    resident; the open whole-household cases' household, health_iso_household_idx),
    so the gate's pass and resident lookups carry the status in the same statement
    (fastpath.passes)."""
    cases = IsolationCase._meta.db_table
    sql = (
        f"(SELECT d.status FROM {Declaration._meta.db_table} d"  # noqa: S608
        f" WHERE d.resident_id = {resident} AND d.current = %s LIMIT 1),"
        f" CASE WHEN EXISTS (SELECT 1 FROM {cases} c"
        f" WHERE c.resident_id = {resident} AND c.state <> %s AND c.start_date <= %s) THEN 1"
        f" WHEN EXISTS (SELECT 1 FROM {cases} c WHERE c.household_id = {household}"
        f" AND c.whole_household = %s AND c.state <> %s AND c.start_date <= %s) THEN 2"
        " ELSE 0 END"
    )
    today = timezone.localdate()
    released = IsolationCase.State.RELEASED
    return sql, [True, released, today, True, released, today]


OWN_CASE = 1
HOUSEHOLD_CASE = 2


def person(health: str | None, isolated) -> Person:
    """The Person of status_columns' two values (green without a declaration)."""
    isolated = int(isolated or 0)
    return _person(health or Health.GREEN, isolated == OWN_CASE, isolated == HOUSEHOLD_CASE)


@cache
def _person(health: str, isolated: bool, household_isolated: bool) -> Person:
    """A handful of distinct statuses: made once each, not once a resident."""
    return Person(health=Health(health), isolated=isolated, household_isolated=household_isolated)
