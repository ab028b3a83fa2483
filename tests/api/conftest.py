import pytest

from tests.api.helpers import Api, make_key


@pytest.fixture
def api(client, shop):
    _key, raw = make_key(shop)
    return Api(client, raw)
