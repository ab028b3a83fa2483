import pytest

from tests.api.helpers import Api, make_key
from tests.billing.order_helpers import Shop


@pytest.fixture
def shop(db):
    return Shop()


@pytest.fixture
def api(client, shop):
    _key, raw = make_key(shop)
    return Api(client, raw)
