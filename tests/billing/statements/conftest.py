"""Statement files (vouchers, exports) go to the test's own directory."""

import pytest

# Register the console module even if the registry was imported before it existed.
import backoffice.admin.statements  # noqa: F401
from billing.models import Statement, StatementExport
from tests.files import storage_in


@pytest.fixture(autouse=True)
def statement_storage(tmp_path, monkeypatch):
    return storage_in(tmp_path, monkeypatch, (Statement, "voucher"), (StatementExport, "file"))
