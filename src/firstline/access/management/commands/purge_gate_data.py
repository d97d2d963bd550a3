"""`manage purge_gate_data [--days N] [--dry-run]`: delete gate events, visitors and
deliveries older than the retention period (settings.GATE_RETENTION_DAYS by default).
See firstline.access.services.retention for what goes and what stays."""

from django.conf import settings

from firstline.access.services.retention import purge_gate_data
from firstline.core.management.purge import PurgeCommand


class Command(PurgeCommand):
    help = (
        "Delete expired gate data (events with their alerts and follow-ups, visitors, deliveries)."
    )
    default_days = settings.GATE_RETENTION_DAYS

    def purge(self, *, days, dry_run):
        return purge_gate_data(days=days, dry_run=dry_run)

    def report(self, result):
        for month in result.months:
            self.stdout.write(
                f"  dropped partition {month.name} (about {month.rows:,} rows;"
                f" {month.kept:,} kept for open alerts and follow-ups)"
            )
