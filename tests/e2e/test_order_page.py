"""The console's order page at 1440 px in Chinese: one row of seven tabs, each showing its
part of the order; the order list shows 创建时间 whole, on one line.

A screenshot of the page is kept in var/screenshots/order_change_1440.png.
"""

import re

import pytest

from billing.models import Order

from .test_console_queues import console_login

pytestmark = pytest.mark.django_db(transaction=True)

TABS = ["基本信息", "客户信息", "商品", "交付", "付款", "附件", "记录"]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def test_order_page_tabs_and_list_at_1440(page, live_server, demo, screenshot_dir):
    page.set_viewport_size({"width": 1440, "height": 900})
    console_login(page, live_server, "admin@example.com")

    page.goto(f"{live_server.url}/admin/billing/order/")
    header = page.locator("#result_list thead th.column-created_at")
    box = header.bounding_box()
    assert box and box["x"] + box["width"] <= 1440, box
    cell = page.locator("#result_list tbody td.field-created_at").first
    assert DATE.match(cell.inner_text().strip())
    line_height = cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
    assert cell.evaluate("e => e.getBoundingClientRect().height") < 2.5 * line_height
    cell_box = cell.bounding_box()
    assert cell_box["x"] + cell_box["width"] <= 1440, cell_box

    order = Order.objects.filter(lines__isnull=False).order_by("-goods_total").first()
    page.goto(f"{live_server.url}/admin/billing/order/{order.pk}/change/")
    tabs = page.get_by_role("tab")
    assert [label.strip() for label in tabs.all_inner_texts()] == TABS
    assert page.locator("#order-panel-basic").is_visible()
    assert not page.locator("#order-panel-items").is_visible()
    page.screenshot(path=str(screenshot_dir / "order_change_1440.png"), full_page=True)

    page.get_by_role("tab", name="客户信息").click()
    panel = page.locator("#order-panel-customer")
    panel.wait_for(state="visible", timeout=5000)  # Alpine switches on its next tick
    assert not page.locator("#order-panel-basic").is_visible()
    assert order.customer_company in panel.inner_text()
    # Exactly one tab looks selected: the one clicked (not also the first one).
    active = page.locator(".order-tabs > .active")
    assert active.count() == 1 and active.inner_text().strip() == "客户信息"
    assert page.get_by_role("tab", selected=True).inner_text().strip() == "客户信息"
    assert "中国大陆" in panel.inner_text() or "中国香港" in panel.inner_text()

    page.get_by_role("tab", name="商品").click()
    page.locator("#lines-group").wait_for(state="visible", timeout=5000)

    page.get_by_role("tab", name="付款").click()
    payments = page.locator("#order-panel-payments").inner_text()
    assert re.search(r"(¥|\$|HK\$)[\d,]+\.\d{2}", payments)
    page.screenshot(path=str(screenshot_dir / "order_change_1440_payments.png"), full_page=True)

    page.get_by_role("tab", name="记录").click()
    page.locator("#events-group").wait_for(state="visible", timeout=5000)
