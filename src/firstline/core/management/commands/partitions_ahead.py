"""`manage partitions_ahead [--months N]`: make this month's and the next N months'
partitions of every partitioned table, as the daily job does (core/partitions.py).
On SQLite there are none, and it says so."""

from django.core.management.base import BaseCommand, CommandError

from firstline.core import partitions


class Command(BaseCommand):
    help = "Make the coming months' partitions of the partitioned tables (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months",
            type=int,
            default=partitions.MONTHS_AHEAD,
            help=f"months ahead of this one (default {partitions.MONTHS_AHEAD})",
        )

    def handle(self, *args, months, **options):
        if not 0 <= months <= 120:
            raise CommandError("--months must be between 0 and 120", returncode=2)
        if not partitions.active():
            self.stdout.write("this database has no partitions (PostgreSQL only)")
            return
        made = partitions.ensure_ahead(ahead=months)
        for name in made:
            self.stdout.write(f"  made {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(made)} partition(s) made"))
