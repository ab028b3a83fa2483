# The document counters moved to the kernel (backoffice.core.models.DocumentSequence).
# State only: the table keeps its name, contracts_documentsequence, and its rows.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_contract_pdf_after_commit"),
        # Billing 0012 reads the counters under this app's label: it runs first.
        ("billing", "0012_ledger_number_sequences"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DocumentSequence")],
            database_operations=[],
        )
    ]
