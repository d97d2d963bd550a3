"""The publish generation (services/cache.py) and, on PostgreSQL, the search index
tuned for reading: the GIN index without its pending list (fastupdate off: a search
never has to scan unmerged entries; writes are rare and come in batches), and a
larger statistics target on the vector, so the planner knows how common a word is."""

from django.db import migrations, models

POSTGRESQL_FORWARD = [
    "ALTER INDEX publishing_searchentry_vector_gin SET (fastupdate = off)",
    "ALTER TABLE publishing_searchentry ALTER COLUMN search_vector SET STATISTICS 1000",
]
POSTGRESQL_BACKWARD = [
    "ALTER INDEX publishing_searchentry_vector_gin RESET (fastupdate)",
    "ALTER TABLE publishing_searchentry ALTER COLUMN search_vector SET STATISTICS -1",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


def _first_row(apps, schema_editor):
    apps.get_model("publishing", "PublishGeneration").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("publishing", "0004_guides")]

    operations = [
        migrations.CreateModel(
            name="PublishGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "发布代次"},
        ),
        migrations.RunPython(_first_row, migrations.RunPython.noop),
        migrations.RunPython(_run(POSTGRESQL_FORWARD), _run(POSTGRESQL_BACKWARD), elidable=False),
    ]
