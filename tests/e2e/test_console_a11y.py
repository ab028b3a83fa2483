"""Browser check of two accessibility points of the staff console (issue 17, item 9): an
icon's ligature name is not read as part of a link ("apartment 公司" → "公司"), and the
keyboard focus is visible on every control it reaches."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

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


def test_keyboard_focus_is_visible_on_every_control(console, block_external):
    seen = 0
    for _ in range(40):
        console.keyboard.press("Tab")
        outline = console.evaluate(
            """() => { const element = document.activeElement;
                       if (!element || element === document.body) return null;
                       const style = getComputedStyle(element);
                       return [element.outerHTML.slice(0, 80), style.outlineStyle,
                               parseFloat(style.outlineWidth), style.outlineColor]; }"""
        )
        if outline is None:
            continue
        html, style, width, color = outline
        assert (
            style != "none" and width >= 2 and color not in ("transparent", "rgba(0, 0, 0, 0)")
        ), outline
        seen += 1
    assert seen >= 20
