"""The demo bank file (fixtures/bank_statement_demo.csv) that ``make run`` imports."""

import pytest
from django.core.management import call_command

from billing.models import BankStatementImport, BankStatementLine

pytestmark = pytest.mark.django_db


def test_demo_bank_file_has_every_kind_of_line_and_imports_once():
    call_command("loaddemo", verbosity=0)
    statement = BankStatementImport.objects.get()
    assert (statement.status, statement.credit_lines, statement.new_lines) == ("done", 6, 6)
    lines = {x.dedupe_key: x for x in BankStatementLine.objects.all()}
    got = {k: (x.rule, x.target_kind) for k, x in lines.items()}
    assert got == {
        "CMB2612010001": ("reference", "payment"),
        "CMB2612010002": ("reference", "order"),
        "CMB2612010003": ("reference", "order"),
        "CMB2612020004": ("payer_account", "repayment"),
        "CMB2612020005": ("", ""),
        "CMB2612020006": ("", ""),
    }
    assert "20261201100000953" in lines["CMB2612020005"].note  # ambiguous: both orders named
    assert lines["CMB2612020006"].note == ""  # unknown
    call_command("loaddemo", verbosity=0)
    assert BankStatementLine.objects.count() == 6
