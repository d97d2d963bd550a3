"""A person's status at the gate, as other apps record it.

Until the health app (issue #4) supplies declarations and isolation cases, every
resident is green and not isolated; the gate decision already reads this."""

from .decision import Health, Person


def person_status(resident_ids: list[int]) -> dict[int, Person]:
    return {rid: Person(health=Health.GREEN, isolated=False) for rid in resident_ids}
