"""`manage supplies_verify`: the ledger's self-check, for an auditor or by hand (the
worker's scheduler runs the same check daily, firstline/schedule.py).

For every association that has a ledger it walks the hash chain and compares each
cached balance with the sum of its entries (supplies.tasks.ledger_check_all), prints
every problem, and exits 1 if there was any."""

import sys

from django.core.management.base import BaseCommand

from firstline.supplies.tasks import ledger_check_all


class Command(BaseCommand):
    help = "Verify the supplies ledger's hash chain and reconcile cached balances."

    def handle(self, *args, **options):
        failed = False
        for association_id, problems in ledger_check_all().items():
            for line in problems:
                self.stdout.write(f"association {association_id}: {line}")
            if problems:
                failed = True
            else:
                self.stdout.write(f"association {association_id}: ok")
        if failed:
            sys.exit(1)
