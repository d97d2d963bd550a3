"""`manage install_items`: write the supplies catalogue (idempotent)."""

from django.core.management.base import BaseCommand

from firstline.supplies.services.catalogue import catalogue_install


class Command(BaseCommand):
    help = "Install or update the protective-supplies item catalogue."

    def handle(self, *args, **options):
        items = catalogue_install()
        self.stdout.write(f"{len(items)} items installed.")
