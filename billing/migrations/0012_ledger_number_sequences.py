"""Ledger-entry numbers from PostgreSQL sequences (billing.numbering), no shared counter row.

Each sequence (and, on other databases, its fallback counter row) starts after every number
already given: the rebate one after the largest old per-day counter (``rebate:<day>``), so a
new number never repeats one of the same day; the credit one after the ``credit-entry``
counter.
"""

from django.db import migrations

SEQUENCES = {
    # sequence name: (fallback counter key, old counter keys it continues)
    "billing_rebate_entry_number_seq": ("rebate-entry", "rebate:"),
    "billing_credit_entry_number_seq": ("credit-entry", "credit-entry"),
}


def create_sequences(apps, schema_editor):
    DocumentSequence = apps.get_model("contracts", "DocumentSequence")
    for name, (fallback_key, old_prefix) in SEQUENCES.items():
        last = max(
            DocumentSequence.objects.filter(key__startswith=old_prefix).values_list(
                "last_value", flat=True
            ),
            default=0,
        )
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {last + 1}")
        else:
            counter, _created = DocumentSequence.objects.get_or_create(key=fallback_key)
            counter.last_value = max(counter.last_value, last)
            counter.save(update_fields=["last_value"])


def drop_sequences(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in SEQUENCES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_checkout_keys_per_company"),
        ("contracts", "0003_contract_pdf_after_commit"),
    ]

    operations = [migrations.RunPython(create_sequences, drop_sequences)]
