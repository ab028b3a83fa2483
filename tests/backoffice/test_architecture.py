"""The house's shape, checked: module and ModelAdmin sizes, the kernel's place.

The import contracts themselves (layers, independence, no cycles) are checked by
``lint-imports`` in ``make test`` (pyproject.toml); these tests cover what it cannot.
"""

import ast
from pathlib import Path

import pytest
from django.contrib import admin

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 600
MAX_MODELADMIN_LINES = 250


PACKAGES = ("backoffice", "partners", "catalog", "billing", "contracts", "fixtures", "scripts")


def _project_modules() -> list[Path]:
    """The project's Python modules, migrations excepted (tests and bench/ live outside)."""
    return [
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_no_module_is_over_600_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in _project_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


@pytest.mark.parametrize(
    "model_admin",
    [
        ma
        for _model, ma in sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)
        if type(ma).__module__.startswith("backoffice.admin.")
        and type(ma).__qualname__ == type(ma).__name__  # the project's own classes
    ],
    ids=lambda ma: type(ma).__name__,
)
def test_no_modeladmin_class_is_over_250_lines(model_admin):
    """Each registered ModelAdmin's own class body (its mixins are measured as classes
    of their own modules, which the module limit bounds)."""
    cls = type(model_admin)
    module = Path(__import__(cls.__module__, fromlist=["_"]).__file__)
    tree = ast.parse(module.read_text(encoding="utf-8"))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
    assert node.end_lineno - node.lineno + 1 <= MAX_MODELADMIN_LINES, cls.__qualname__


def test_the_kernel_is_the_backoffice_app_and_holds_the_shared_models():
    from django.apps import apps

    from backoffice.core.models import DocumentSequence, OutboundEmail

    assert apps.get_app_config("backoffice").name == "backoffice.core"
    assert OutboundEmail._meta.app_label == DocumentSequence._meta.app_label == "backoffice"
    # Moved from the contracts app without a data migration: the table kept its name.
    assert DocumentSequence._meta.db_table == "contracts_documentsequence"


def test_billing_registers_its_company_created_hook():
    from billing.services.balances import balance_rows_create
    from partners.hooks import company_created_hooks

    assert balance_rows_create in company_created_hooks


def test_every_registered_model_has_its_place_in_the_sidebar_table():
    """``navigation.SIDEBAR`` places every console model (a forgotten row would drop it
    under 系统 with a generic icon); no row names a model the console does not register."""
    from backoffice.admin.navigation import SIDEBAR

    registered = {model._meta.label for model in admin.site._registry}
    assert sorted(registered - set(SIDEBAR)) == []
    assert sorted(set(SIDEBAR) - registered) == []
