"""Fixtures shared by the partners tests."""

import pytest

from tests.factories import sales_staff


@pytest.fixture
def owner():
    """The 销售 staff member a registration names as its business owner."""
    return sales_staff(name="王业务")
