"""Fixtures shared by the billing tests: a ``Shop`` (company, user, money, two SKUs) and its
user signed in to the portal."""

import pytest

from tests.billing.order_helpers import Shop


@pytest.fixture
def shop():
    return Shop()


@pytest.fixture
def signed_in(client, shop):
    client.force_login(shop.user)
    return client
