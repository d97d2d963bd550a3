"""SQLite: an fts5vocab table over the search's FTS5 table, one row per word with the
number of entries that hold it. A search whose words no entry holds all of ranks
entries holding any of them, and ranks only those holding its rarer words when the
commoner ones cannot lift another entry among the results (services/search.py,
`_fts_ranked_any`): it reads each word's entry count here. A view of the FTS5 index,
nothing stored. PostgreSQL is untouched."""

from django.db import migrations

FORWARD = [
    "CREATE VIRTUAL TABLE publishing_search_vocab"
    " USING fts5vocab(publishing_search_fts, 'row')"
]
BACKWARD = ["DROP TABLE IF EXISTS publishing_search_vocab"]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("publishing", "0008_search_rum")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
