import pytest

import backoffice.admin.catalog  # noqa: F401
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_shots(live_server, page, block_external, settings, tmp_path):
    from fixtures.catalog_demo import load_catalog
    from catalog.models import Solution

    settings.MEDIA_ROOT = tmp_path
    load_catalog()
    UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "ops@example.com")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/admin/catalog/solution/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    print(page.eval_on_selector_all("#result_list img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])"))
    pk = Solution.objects.get(slug="saasame-transport").pk
    page.goto(f"{live_server.url}/admin/catalog/solution/{pk}/change/")
    page.locator("#main a, main a, [x-data] a").filter(has_text="SKU").last.click()
    page.wait_for_timeout(500)
    page.screenshot(path="/tmp/shot_skus.png", full_page=False)
