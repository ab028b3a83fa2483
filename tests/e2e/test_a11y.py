"""Browser check of accessibility points of issue 17, item 9: in the staff console an icon's
ligature name is not read as part of a link ("apartment 公司" → "公司"); in the console and
the portal the keyboard focus is visible on every control it reaches."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.billing.order_helpers import Shop
from tests.e2e.test_checkout_flow import sign_in
from tests.factories import UserFactory
from tests.otp import staff_login

pytestmark = pytest.mark.django_db(transaction=True)

ICONS = ".material-symbols-outlined"


@pytest.fixture
def console(page, live_server):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    staff_login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/admin/partners/company/")
    return page


def test_icons_are_not_read_as_link_text(console, block_external):
    assert console.locator(ICONS).count() > 10
    expect(console.locator(f"{ICONS}:not([aria-hidden=true])")).to_have_count(0)
    # The sidebar link's accessible name is its label alone.
    expect(console.get_by_role("link", name="公司", exact=True).first).to_be_attached()
    assert console.get_by_role("link", name="apartment 公司").count() == 0


# Tab through the page; every element that takes the focus shows a solid outline of 2 px or
# more in a colour (not the transparent outline Tailwind's outline-none leaves).
FOCUS = """() => { const element = document.activeElement;
                   if (!element || element === document.body) return null;
                   const style = getComputedStyle(element);
                   return [element.outerHTML.slice(0, 80), style.outlineStyle,
                           parseFloat(style.outlineWidth), style.outlineColor]; }"""


def assert_focus_visible(page, tabs=40, at_least=20):
    seen = 0
    for _ in range(tabs):
        page.keyboard.press("Tab")
        outline = page.evaluate(FOCUS)
        if outline is None:
            continue
        _html, style, width, color = outline
        visible = style != "none" and width >= 2
        assert visible and color not in ("transparent", "rgba(0, 0, 0, 0)"), outline
        seen += 1
    assert seen >= at_least


def test_console_keyboard_focus_is_visible_on_every_control(console, block_external):
    assert_focus_visible(console)


def test_portal_keyboard_focus_is_visible_on_every_control(page, live_server, block_external):
    shop = Shop()
    sign_in(page, live_server, shop.user)
    page.goto(f"{live_server.url}/account/orders/")
    assert_focus_visible(page)
