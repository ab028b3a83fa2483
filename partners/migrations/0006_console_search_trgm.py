"""Trigram indexes for the console's substring search on companies and users.

PostgreSQL only: GIN ``gin_trgm_ops`` on ``UPPER(col::text)``, the expression Django's
``icontains`` compiles to, so ``company__name`` / ``placed_by__email`` / ``users__email``
searches from the big lists find their ids without scanning. Nothing on SQLite.

Built and dropped CONCURRENTLY so a deploy does not block writes on these tables; that
cannot run in a transaction, hence ``atomic = False`` (see
``backoffice.core.migration_operations``).
"""

from django.db import migrations

from backoffice.core.migration_operations import create_index_concurrently, is_postgresql

TRIGRAM_INDEXES = {
    "partners_company_name_trgm": ("partners_company", "name"),
    "partners_company_address_trgm": ("partners_company", "address"),
    "partners_user_email_trgm": ("partners_user", "email"),
}


def create_trigram_indexes(apps, schema_editor):
    if not is_postgresql(schema_editor):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        create_index_concurrently(
            schema_editor, name, f'ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if not is_postgresql(schema_editor):
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("partners", "0005_staff_role_groups"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
