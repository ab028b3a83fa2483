"""The money services take their row locks through ``billing/locks.py`` (its one lock order),
not with a ``select_for_update`` of their own."""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "billing" / "services"
ROUTED = ["cart", "checkout", "coupons", "credit", "fulfilment", "payments", "wallet"]
# Locks that are not in the money order: a cart line of the user's own cart, and the user
# row credit_code_send takes to send at most one code a minute.
OWN_LOCKS = {("cart", "CartLine"), ("credit", "User")}


def own_locks(module: str) -> list[tuple[str, int]]:
    """(model, line) of each ``Model.objects.select_for_update()`` in ``module``."""
    found = []
    for node in ast.walk(ast.parse((SERVICES / f"{module}.py").read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
            manager = node.value
            model = manager.value if isinstance(manager, ast.Attribute) else manager
            found.append((getattr(model, "id", ast.unparse(model)), node.lineno))
    return found


@pytest.mark.parametrize("module", ROUTED)
def test_service_locks_through_billing_locks(module):
    stray = [(model, line) for model, line in own_locks(module) if (module, model) not in OWN_LOCKS]
    assert stray == [], f"billing/services/{module}.py locks outside billing/locks.py: {stray}"
