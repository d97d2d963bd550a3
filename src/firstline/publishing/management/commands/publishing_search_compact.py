"""`manage publishing_search_compact`: the nightly compaction of the public site's
search index by hand (the worker's scheduler runs it at 01:30, firstline/schedule.py).
PostgreSQL: the RUM index rebuilt concurrently; SQLite: FTS5's segments merged."""

from django.core.management.base import BaseCommand

from firstline.publishing.services.search import search_compact


class Command(BaseCommand):
    help = "Rebuild the public site's search index compact."

    def handle(self, *args, **options):
        done = search_compact()
        self.stdout.write("search index compacted" if done else "nothing to compact here")
