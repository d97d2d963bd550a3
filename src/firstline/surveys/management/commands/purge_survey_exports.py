"""`manage purge_survey_exports [--hours N]`: delete the background exports' files
older than N hours (24 by default), as the worker's scheduler does every hour
(firstline/schedule.py)."""

from django.core.management.base import BaseCommand

from firstline.surveys.tasks import EXPORT_RETENTION_HOURS, purge_survey_exports


class Command(BaseCommand):
    help = "Delete survey export files older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=EXPORT_RETENTION_HOURS)

    def handle(self, *args, **options):
        deleted = purge_survey_exports.call(hours=options["hours"])
        self.stdout.write(f"deleted {deleted} export file(s)")
