"""Trigram search over ``Solution.search_document`` (PostgreSQL only).

``pg_trgm`` gives the GIN index that serves ``LIKE '%term%'`` and the word
similarity used by ``catalog.selectors.search_solutions``. On SQLite nothing is
done: the selector falls back to plain LIKE matching.
"""

from django.db import migrations

INDEX = "catalog_solution_search_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_solution "
        "USING gin (search_document gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other indexes may use it.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
