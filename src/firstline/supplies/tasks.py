"""Background tasks of the supplies app: the ledger's daily self-check (declared in
firstline/schedule.py; `manage supplies_verify` runs the same check and prints it)."""

from __future__ import annotations

from django.tasks import task

from firstline.supplies.models import LedgerHead, Location
from firstline.supplies.services import ledger


class LedgerCheckFailed(Exception):
    """The chain is broken or a cached balance differs from its entries."""


def ledger_check_all() -> dict[int, list[str]]:
    """For every association that has a ledger: walk its hash chain (`ledger.verify`)
    and compare each cached balance with the sum of its entries (`ledger.reconcile`).
    Returns each association's problems, one line each (an empty list: all is well)."""
    association_ids = sorted(
        set(LedgerHead.all_tenants.values_list("association_id", flat=True))
        | set(Location.all_tenants.values_list("association_id", flat=True))
    )
    report: dict[int, list[str]] = {}
    for association_id in association_ids:
        lines = []
        for problem in ledger.verify(association_id):
            where = f"seq {problem.seq}" if problem.seq is not None else "head"
            lines.append(f"chain {where}: {problem.message}")
        location_ids = Location.all_tenants.filter(association_id=association_id).values_list(
            "pk", flat=True
        )
        for (location_id, item_id, batch_id), cached, summed in ledger.reconcile(
            list(location_ids)
        ):
            lines.append(
                f"balance location {location_id} item {item_id} batch {batch_id}: "
                f"cached {cached}, entries {summed}"
            )
        report[association_id] = lines
    return report


@task()
def supplies_verify() -> dict:
    """Daily: the ledger check. A problem fails the run (LedgerCheckFailed names every
    one), so the jobs page shows it in red and the scheduler retries it."""
    report = ledger_check_all()
    problems = [
        f"association {association_id}: {line}"
        for association_id, lines in report.items()
        for line in lines
    ]
    if problems:
        raise LedgerCheckFailed("; ".join(problems))
    return {"associations_ok": len(report)}
