"""A person's status at the gate, as the health app records it: the screening status
of the resident's current declaration (green without one) and whether an isolation
case holds them today (not released, started on or before today). One query for any
number of residents, on the indexed resident columns; the gate decision
(decision.py) turns isolated and red into DENY reasons."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from firstline.estates.models import Resident
from firstline.health.models import Declaration, IsolationCase

from .decision import Health, Person


def person_status(resident_ids: list[int]) -> dict[int, Person]:
    ids = sorted(set(resident_ids))
    if not ids:
        return {}
    current = Declaration.all_tenants.filter(resident_id=OuterRef("pk"), current=True)
    isolation = IsolationCase.all_tenants.filter(
        resident_id=OuterRef("pk"), start_date__lte=timezone.localdate()
    ).exclude(state=IsolationCase.State.RELEASED)
    # The gate resolved these residents within its own site: a system read, not a user's.
    rows = (
        Resident.all_tenants.filter(pk__in=ids)
        .order_by()
        .annotate(health=Subquery(current.values("status")[:1]), isolated=Exists(isolation))
        .values_list("pk", "health", "isolated")
    )
    found = {
        pk: Person(health=Health(health or Health.GREEN), isolated=iso) for pk, health, iso in rows
    }
    return {rid: found.get(rid, Person()) for rid in resident_ids}
