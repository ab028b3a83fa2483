"""Fixtures shared by the billing tests: the ``shop``'s (tests/conftest.py) user signed in
to the portal, and a paid order of it."""

import pytest

from tests.billing.order_helpers import paid_order


@pytest.fixture
def signed_in(client, shop):
    client.force_login(shop.user)
    return client


@pytest.fixture
def order(shop):
    return paid_order(shop)
