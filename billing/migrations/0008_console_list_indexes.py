"""Indexes for the console lists of orders, ledgers and statements.

- The rebate and credit ledgers get an index in their list order (newest first), and
  their ``order_number`` index uses ``varchar_pattern_ops`` so the console's prefix
  search (``LIKE 'x%'``) is index-served whatever the database collation.
- Statements get an index in the console list's order.
- PostgreSQL only: trigram GIN indexes on ``UPPER(col::text)`` (the expression Django's
  ``icontains`` compiles to) for the name-like columns the console searches by
  substring on big tables. On SQLite nothing is done (see catalog 0002 for the pattern).

The ledgers and orders are big tables: on PostgreSQL every index here is built and
dropped CONCURRENTLY, so a deploy does not block writes while they build. That cannot
run in a transaction, hence ``atomic = False``; on SQLite the operations are plain
``AddIndex`` / ``RemoveIndex`` (see ``backoffice.core.migration_operations``).
"""

from django.db import migrations, models

from backoffice.core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
    create_index_concurrently,
    is_postgresql,
)

TRIGRAM_INDEXES = {
    "billing_order_customer_company_trgm": ("billing_order", "customer_company"),
    "billing_stmt_company_name_trgm": ("billing_statement", "company_name"),
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
        ("billing", "0007_pending_postings"),
    ]

    operations = [
        RemoveIndexConcurrentlyOnPostgres(
            model_name="creditentry",
            name="billing_credit_order_idx",
        ),
        RemoveIndexConcurrentlyOnPostgres(
            model_name="rebateentry",
            name="billing_rebate_order_idx",
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="creditentry",
            index=models.Index(
                fields=["order_number"],
                name="billing_credit_order_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="creditentry",
            index=models.Index(fields=["-created_at", "-id"], name="billing_credit_created_idx"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="rebateentry",
            index=models.Index(
                fields=["order_number"],
                name="billing_rebate_order_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="rebateentry",
            index=models.Index(fields=["-created_at", "-id"], name="billing_rebate_created_idx"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="statement",
            index=models.Index(
                fields=["-period_start", "company_name", "currency", "-id"],
                name="billing_stmt_list_idx",
            ),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
