"""The shape every retention purge's command shares: `--days N` (at least 1; the
setting's value by default), `--dry-run`, and the rows that went, table by table."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class PurgeCommand(BaseCommand):
    default_days: int  # the retention setting's value

    def purge(self, *, days: int | None, dry_run: bool):
        """Run the purge; returns a result with cutoff, deleted (dict) and total."""
        raise NotImplementedError

    def report(self, result) -> None:
        """Anything the purge has to say beyond its counts."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"retention in days (default {self.default_days})",
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1", returncode=2)
        result = self.purge(days=days, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        cutoff = timezone.localtime(result.cutoff)
        self.stdout.write(f"rows older than {cutoff:%Y-%m-%d %H:%M %Z} ({verb}):")
        for name, count in result.deleted.items():
            self.stdout.write(f"  {name:<20} {count:>10,}")
        if not dry_run:
            self.report(result)
        self.stdout.write(self.style.SUCCESS(f"{verb} {result.total:,} row(s)"))
