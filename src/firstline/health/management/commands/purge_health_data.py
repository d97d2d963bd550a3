"""`manage purge_health_data [--days N] [--dry-run]`: delete health data older than
the retention period (settings.HEALTH_RETENTION_DAYS by default), keeping the daily
counts. See firstline.health.purge for what goes."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from firstline.health.purge import purge_health_data


class Command(BaseCommand):
    help = "Delete expired health data (declarations, isolation, support, check calls)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"retention in days (default {settings.HEALTH_RETENTION_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1", returncode=2)
        result = purge_health_data(days=days, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"rows older than {result.cutoff:%Y-%m-%d %H:%M} ({verb}):")
        for name, count in result.deleted.items():
            self.stdout.write(f"  {name:<20} {count:>8,}")
        if not dry_run:
            self.stdout.write(f"daily count rows added before deleting: {result.days_counted}")
        self.stdout.write(self.style.SUCCESS(f"{verb} {result.total:,} row(s)"))
