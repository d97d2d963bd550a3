"""`manage publishing_reading_fold`: the nightly fold of the reading figures by hand
(the worker's scheduler runs it at 00:30, firstline/schedule.py): the reader marks of
past days are recounted into their days' figures and deleted."""

from django.core.management.base import BaseCommand

from firstline.publishing.services.reading import reading_fold


class Command(BaseCommand):
    help = "Fold past days' reader marks into the reading figures and delete them."

    def handle(self, *args, **options):
        result = reading_fold()
        self.stdout.write(
            f"days {result['days']}, figures corrected {result['figures_corrected']}, "
            f"marks deleted {result['marks_deleted']}"
        )
