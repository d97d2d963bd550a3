"""`manage purge_health_data [--days N] [--dry-run]`: delete health data older than
the retention period (settings.HEALTH_RETENTION_DAYS by default), keeping the daily
counts. See firstline.health.services.purge for what goes."""

from django.conf import settings

from firstline.core.management.purge import PurgeCommand
from firstline.health.services.purge import purge_health_data


class Command(PurgeCommand):
    help = "Delete expired health data (declarations, isolation, support, check calls)."
    default_days = settings.HEALTH_RETENTION_DAYS

    def purge(self, *, days, dry_run):
        return purge_health_data(days=days, dry_run=dry_run)

    def report(self, result) -> None:
        self.stdout.write(f"daily count rows added before deleting: {result.days_counted}")
        for month in result.months:
            self.stdout.write(
                f"  dropped partition {month.name} (about {month.rows:,} rows;"
                f" {month.kept:,} kept for cases still open)"
            )
