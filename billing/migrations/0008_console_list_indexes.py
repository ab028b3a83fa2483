"""Indexes for the console lists of orders, ledgers and statements.

- The rebate and credit ledgers get an index in their list order (newest first), and
  their ``order_number`` index uses ``varchar_pattern_ops`` so the console's prefix
  search (``LIKE 'x%'``) is index-served whatever the database collation.
- Statements get an index in the console list's order.
- PostgreSQL only: trigram GIN indexes on ``UPPER(col::text)`` (the expression Django's
  ``icontains`` compiles to) for the name-like columns the console searches by
  substring on big tables. On SQLite nothing is done (see catalog 0002 for the pattern).
"""

from django.db import migrations, models

TRIGRAM_INDEXES = {
    "billing_order_customer_company_trgm": ("billing_order", "customer_company"),
    "billing_stmt_company_name_trgm": ("billing_statement", "company_name"),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_pending_postings"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="creditentry",
            name="billing_credit_order_idx",
        ),
        migrations.RemoveIndex(
            model_name="rebateentry",
            name="billing_rebate_order_idx",
        ),
        migrations.AddIndex(
            model_name="creditentry",
            index=models.Index(
                fields=["order_number"],
                name="billing_credit_order_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="creditentry",
            index=models.Index(fields=["-created_at", "-id"], name="billing_credit_created_idx"),
        ),
        migrations.AddIndex(
            model_name="rebateentry",
            index=models.Index(
                fields=["order_number"],
                name="billing_rebate_order_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="rebateentry",
            index=models.Index(fields=["-created_at", "-id"], name="billing_rebate_created_idx"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(
                fields=["-period_start", "company_name", "currency", "-id"],
                name="billing_stmt_list_idx",
            ),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
