"""Browser acceptance of the portal on a phone (issue 17 item 5): at 390 × 844 every cell of the
分账管理, 客户订单 and 账期明细 tables can be scrolled into view (each list scrolls inside its
panel, with a hint and a sticky first column), the 查看 link can be clicked, and no fixed or
sticky element lies over a link, button or field. At 1400 px the English header is one line."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.billing.helpers import numbered_charge
from tests.billing.order_helpers import Shop, paid_order
from tests.billing.statements.helpers import make_statement
from tests.e2e.test_checkout_flow import shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

# For every cell of ``table`` (a CSS selector): scroll its list back to the left edge, scroll the
# cell into view as a user swiping would, and report it unless its box lies inside the viewport
# and the point at its centre belongs to it (a sticky column or a fixed element is not on top).
# A cell wider than the list (an order's colspan heading) is checked through its children.
UNREACHABLE = """
(selector) => {
  const table = document.querySelector(selector);
  if (!table) return ["no table " + selector];
  const problems = [];
  const targets = [];
  for (const cell of table.querySelectorAll("th, td")) {
    const scroller = cell.closest(".table-scroll");
    if (scroller && cell.getBoundingClientRect().width > scroller.clientWidth) {
      targets.push(...cell.children);
    } else {
      targets.push(cell);
    }
  }
  for (const target of targets) {
    const scroller = target.closest(".table-scroll");
    if (scroller) scroller.scrollLeft = 0;
    target.scrollIntoView({block: "center", inline: "nearest"});
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // an empty cell has nothing to reach
    const inside = box.left >= -1 && box.top >= -1
      && box.right <= window.innerWidth + 1 && box.bottom <= window.innerHeight + 1;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const onTop = hit !== null && (target === hit || target.contains(hit));
    if (!inside || !onTop) {
      problems.push(
        `${target.tagName} "${target.textContent.trim().slice(0, 30)}" ` +
        `[${Math.round(box.left)}..${Math.round(box.right)}] ` +
        `${inside ? "covered by " + (hit ? hit.outerHTML.slice(0, 60) : "nothing") : "outside"}`
      );
    }
  }
  return problems;
}
"""

# Boxes of fixed or sticky elements (``kinds``) that overlap a visible link, button or field outside them,
# at every page height from the top to the bottom (the lists at their left edge).
OVERLAPS = """
(kinds) => {
  const interactive = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const overlaps = new Set();
  const step = Math.max(200, window.innerHeight - 100);
  for (let y = 0; ; y += step) {
    window.scrollTo(0, y);
    const pinned = [...document.querySelectorAll("body *")].filter((element) => {
      const position = getComputedStyle(element).position;
      return kinds.includes(position) && element.getClientRects().length > 0;
    });
    for (const fixed of pinned) {
      const a = fixed.getBoundingClientRect();
      if (!a.width || !a.height) continue;
      for (const control of document.querySelectorAll(interactive)) {
        if (fixed.contains(control) || control.contains(fixed)) continue;
        if (!control.checkVisibility({visibilityProperty: true})) continue;  // in a closed <details>
        const b = control.getBoundingClientRect();
        if (!b.width || !b.height) continue;
        const cut = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
        if (cut) {
          overlaps.add(`${fixed.className || fixed.tagName} over ${control.tagName} ` +
                       `"${control.textContent.trim().slice(0, 30)}"`);
        }
      }
    }
    if (y + window.innerHeight >= document.documentElement.scrollHeight) break;
  }
  window.scrollTo(0, 0);
  return [...overlaps];
}
"""


def assert_reachable(page, selector):
    assert page.locator(selector).count() == 1
    assert page.evaluate(UNREACHABLE, selector) == []


def assert_no_overlap(page, kinds=("fixed", "sticky")):
    assert page.evaluate(OVERLAPS, list(kinds)) == []


@pytest.fixture
def shop():
    shop = Shop(credit_limit="100000.00")
    for _ in range(3):
        numbered_charge(shop.company, shop.user, Decimal("2680.00"))
    return shop


def test_phone_statement_list(page, live_server, block_external, screenshot_dir, shop):
    for month in (8, 9, 10):
        make_statement(shop.company, month=month, sales_amount=Decimal("1234567.80"))
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, shop.user)
    page.goto(f"{live_server.url}{reverse('portal:account_statements')}")
    table = '[data-table="statements"]'
    expect(page.locator(f"{table} tbody tr")).to_have_count(3)
    # The list is wider than the phone: it says so and scrolls inside its panel.
    expect(page.locator(".table-scroll-hint.is-visible")).to_have_text("左右滑动查看所有列")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, screenshot_dir / "mobile-statements-390.png")
    assert_no_overlap(page)
    assert_reachable(page, table)
    view = page.locator(f"{table} tbody tr").first.locator("[data-view]")
    view.scroll_into_view_if_needed()
    view.click()  # Playwright refuses to click an element that another one covers
    expect(page).to_have_url(re.compile(r"/account/statements/\d+/$"))


def test_phone_orders(page, live_server, block_external, shop):
    order = paid_order(shop)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, shop.user)
    page.goto(f"{live_server.url}{reverse('portal:account_orders')}")
    table = '[data-table="orders"]'
    expect(page.locator(f"{table} [data-order]")).to_have_count(1)
    assert_no_overlap(page)
    assert_reachable(page, table)
    # The price is whole ("¥107.00", not cut to "¥10"), and 查看详情 opens the order.
    expect(page.locator(f"{table} .order-line td.num").first).to_have_text("¥107.00")
    details = page.locator(f"{table} .order-total a")
    details.scroll_into_view_if_needed()
    details.click()
    expect(page).to_have_url(re.compile(rf"/account/orders/{order.number}/$"))


def test_phone_credit_ledger(page, live_server, block_external, shop):
    """账期明细: the credit line's ledger entries (我的资产 › 账期余额)."""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, shop.user)
    page.goto(f"{live_server.url}{reverse('portal:assets_credit')}?tab=entries")
    table = '[data-table="entries"]'
    expect(page.locator(f"{table} tbody tr[data-row]")).not_to_have_count(0)
    expect(page.locator(f"{table} td.amount").first).to_contain_text("2,680.00")
    assert_no_overlap(page)
    assert_reachable(page, table)


def test_english_header_is_one_line_at_1400(page, live_server, block_external, shop):
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, live_server, shop.user)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto(f"{live_server.url}{reverse('portal:account_orders')}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll(
                ".header-row > *:not(.nav-toggle), .primary-nav > ul > li, .header-actions > *")]
             .map((element) => { const box = element.getBoundingClientRect();
                                 return [element.className || element.tagName, box.top, box.bottom]; })"""
    )
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 66, boxes  # min-height 64 px and its border: one line
    middle = header["y"] + header["height"] / 2
    for name, top, bottom in boxes:
        assert top < middle < bottom, (name, top, bottom)  # every item on the one line


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_floating_contact_tab_covers_nothing(page, live_server, block_external, shop, language):
    """From 1280 px the 联系我们 tab floats in the margin beside the content; it covers nothing
    (the header, sticky on a desktop, is left out: it is meant to cover what scrolls under it)."""
    paid_order(shop)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, shop.user)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}{reverse('portal:account_orders')}")
    tab = page.locator(".contact-float")
    expect(tab).to_have_css("position", "fixed")
    # It sits in the margin, right of the content column, whatever the page holds.
    content = page.locator(".account-main").bounding_box()
    assert tab.bounding_box()["x"] >= content["x"] + content["width"]
    assert_no_overlap(page, kinds=("fixed",))
