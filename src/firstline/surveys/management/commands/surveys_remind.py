"""`manage surveys_remind`: remind the member companies that have not submitted an
open company survey with an automatic interval (the `surveys_remind` job runs the
same code daily; services/distribution.remind_due)."""

from django.core.management.base import BaseCommand

from firstline.surveys.services.distribution import remind_due


class Command(BaseCommand):
    help = "Remind member companies that have not submitted a company survey (by its interval)."

    def handle(self, *args, **options):
        self.stdout.write(f"companies reminded: {remind_due()}")
