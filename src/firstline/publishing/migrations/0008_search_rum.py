"""PostgreSQL: the search index becomes a RUM index (the `rum` extension, GIN's
successor that keeps each word's positions in the index). A search then ranks its
matches by cover density from the index alone (`ORDER BY search_vector <=> query`),
without reading every matching row's vector from the table: what made a search
for a common word cost about a microsecond a matching entry (services/search.py).
The GIN index goes: RUM matches `@@` as well, and one index is kept in step on
each write, not two. SQLite is untouched."""

from django.core.exceptions import ImproperlyConfigured
from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS rum",
    "CREATE INDEX publishing_searchentry_vector_rum ON publishing_searchentry"
    " USING rum (search_vector rum_tsvector_ops)",
    "DROP INDEX IF EXISTS publishing_searchentry_vector_gin",
]
BACKWARD = [
    "CREATE INDEX publishing_searchentry_vector_gin ON publishing_searchentry"
    " USING gin (search_vector) WITH (fastupdate = off)",
    "DROP INDEX IF EXISTS publishing_searchentry_vector_rum",
]


def _run(statements, *, need_rum: bool = False):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if need_rum:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
                if cursor.fetchone() is None:
                    cursor.execute("SHOW server_version_num")
                    major = int(cursor.fetchone()[0]) // 10000
                    raise ImproperlyConfigured(
                        "The public site's search needs PostgreSQL's RUM extension on the"
                        f" database server: install the Debian package postgresql-{major}-rum"
                        ", then migrate again."
                    )
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("publishing", "0007_association_editions")]

    operations = [
        migrations.RunPython(_run(FORWARD, need_rum=True), _run(BACKWARD), elidable=False),
    ]
