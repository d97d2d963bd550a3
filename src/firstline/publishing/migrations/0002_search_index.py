"""Search of the public site: the full-text index beside `SearchEntry`
(publishing/services/search.py). One migration for both databases, so the SQL is
chosen by the connection's vendor:

- SQLite: an FTS5 table whose rowid is the entry's id, with the title's words and
  the body's in two columns (bm25 weighs them, in the service's query). The
  service writes it beside the entries (no triggers, DESIGN.md). detail=full, the
  default: bm25 over detail=column or none re-reads the text and was ten times
  slower at 100,000 entries.
- PostgreSQL: a stored generated tsvector over `words` ('simple' configuration: the
  words are segmented already), the title's words (the first line) at weight A,
  and a GIN index on it.

Django's model state does not know either: the service reaches them by raw SQL."""

from django.db import migrations

SQLITE_FORWARD = ["CREATE VIRTUAL TABLE publishing_search_fts USING fts5(title, words)"]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS publishing_search_fts"]

POSTGRESQL_FORWARD = [
    "ALTER TABLE publishing_searchentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    " setweight(to_tsvector('simple'::regconfig, split_part(words, E'\\n', 1)), 'A')"
    " || to_tsvector('simple'::regconfig, split_part(words, E'\\n', 2))"
    ") STORED",
    # Kept in the row (compressed if need be) rather than moved out to the TOAST
    # table: ranking reads every match's vector, and fetching each from TOAST made
    # a word in 40% of 100,000 entries take 260 ms instead of 85.
    "ALTER TABLE publishing_searchentry ALTER COLUMN search_vector SET STORAGE MAIN",
    "CREATE INDEX publishing_searchentry_vector_gin ON publishing_searchentry"
    " USING gin (search_vector)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS publishing_searchentry_vector_gin",
    "ALTER TABLE publishing_searchentry DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
            elidable=False,
        ),
    ]
