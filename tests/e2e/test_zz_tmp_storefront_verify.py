import pytest
from tests.e2e.test_catalog_flow import shop, test_storefront_flow as _flow  # noqa

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def patched(settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": ["/tmp/sf_tpl", *settings.TEMPLATES[0]["DIRS"]]}]


def test_flow_with_menu(patched, live_server, page, block_external, screenshot_dir, shop):
    _flow(live_server, page, block_external, screenshot_dir, shop)
