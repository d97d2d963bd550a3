"""`manage publishing_reindex`: rebuild the public site's search index from every
live page (publishing/services/search.py), after an import or a restore, or when
the segmentation changes. Publishing keeps it in step otherwise."""

from django.core.management.base import BaseCommand

from firstline.publishing.services.search import search_rebuild


class Command(BaseCommand):
    help = "Rebuild the public site's Chinese search index from the live pages."

    def handle(self, *args, **options):
        written = search_rebuild()
        self.stdout.write(f"search index: {written} entries")
