"""The import contracts can fail: a forbidden import in a copy of the tree breaks them.

``make test`` runs ``lint-imports`` on the real tree (it must keep every contract).
Here a copy of the project's packages gets one import each contract forbids, and
``lint-imports`` has to name that contract as broken, so a contract that silently
stopped checking anything (a typo in a module name, a layer dropped) is caught.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backoffice", "partners", "catalog", "billing", "contracts")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=shutil.ignore_patterns("migrations", "static", "templates", "__pycache__"),
        )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_untouched_copy_keeps_every_contract(tree):
    result = lint(tree)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("partners/selectors.py", "import billing.models", "Partners imports no other domain"),
        ("contracts/services.py", "import billing.models", "Contracts never imports Billing"),
        ("backoffice/core/money.py", "import catalog.models", "The kernel imports no domain"),
        (
            "billing/selectors/orders.py",
            "import backoffice.portal",
            "Front doors above the domains",
        ),
        ("backoffice/portal/urls.py", "import backoffice.admin", "never import each other"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tree, module, statement, contract):
    path = tree / module
    original = path.read_text()
    path.write_text(original + f"\n{statement}  # planted by the test\n")
    try:
        result = lint(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout[-2000:]
