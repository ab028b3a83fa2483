"""Statement files (vouchers, exports) go to the test's own directory."""

import pytest

# Register the console module even if the registry was imported before it existed.
import backoffice.admin.statements  # noqa: F401
from billing.models import Statement, StatementExport


@pytest.fixture(autouse=True)
def statement_storage(tmp_path, monkeypatch):
    target = tmp_path / "private"
    target.mkdir()
    for model, field in ((Statement, "voucher"), (StatementExport, "file")):
        storage = model._meta.get_field(field).storage
        monkeypatch.setattr(storage, "base_location", str(target))
        monkeypatch.setattr(storage, "location", str(target))
    return target
