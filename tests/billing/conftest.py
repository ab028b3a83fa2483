"""Fixtures shared by the billing tests: a ``Shop`` (company, user, money, two SKUs), its
user signed in to the portal, and a paid order of it."""

import pytest

from tests.billing.order_helpers import Shop, paid_order


@pytest.fixture
def shop():
    return Shop()


@pytest.fixture
def signed_in(client, shop):
    client.force_login(shop.user)
    return client


@pytest.fixture
def order(shop):
    return paid_order(shop)
