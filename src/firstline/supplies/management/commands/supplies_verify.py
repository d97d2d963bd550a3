"""`manage supplies_verify`: the ledger's self-check, for a scheduler or an auditor.

For every association that has a ledger it walks the hash chain (`ledger.verify`)
and compares each cached balance with the sum of its entries (`ledger.reconcile`),
prints every problem, and exits 1 if there was any, so a cron job can alert."""

import sys

from django.core.management.base import BaseCommand

from firstline.supplies.models import LedgerHead, Location
from firstline.supplies.services import ledger


class Command(BaseCommand):
    help = "Verify the supplies ledger's hash chain and reconcile cached balances."

    def handle(self, *args, **options):
        failed = False
        association_ids = sorted(
            set(LedgerHead.objects.values_list("association_id", flat=True))
            | set(Location.objects.values_list("association_id", flat=True))
        )
        for association_id in association_ids:
            problems = ledger.verify(association_id)
            location_ids = Location.objects.filter(association_id=association_id).values_list(
                "pk", flat=True
            )
            mismatches = ledger.reconcile(list(location_ids))
            for problem in problems:
                where = f"seq {problem.seq}" if problem.seq is not None else "head"
                self.stdout.write(f"association {association_id}: chain {where}: {problem.message}")
            for (location_id, item_id, batch_id), cached, summed in mismatches:
                self.stdout.write(
                    f"association {association_id}: balance location {location_id} "
                    f"item {item_id} batch {batch_id}: cached {cached}, entries {summed}"
                )
            if problems or mismatches:
                failed = True
            else:
                self.stdout.write(f"association {association_id}: ok")
        if failed:
            sys.exit(1)
