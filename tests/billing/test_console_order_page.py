"""The console's order page: one row of tabs, human labels, amounts with their currency."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.models import Order, OrderLine

pytestmark = pytest.mark.django_db

TABS_ZH = ["基本信息", "客户信息", "商品", "交付", "付款", "附件", "记录"]


def _page(client, order) -> str:
    response = client.get(reverse("admin:billing_order_change", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _tab_labels(html: str) -> list[str]:
    buttons = re.findall(r'<button type="button" role="tab"[^>]*>\s*(.*?)\s*<', html, re.S)
    return [label.strip() for label in buttons]


@pytest.fixture
def big_order(order):
    """The paid order with amounts in the thousands, so separators show."""
    deductions = order.goods_total - order.payable_total
    Order.objects.filter(pk=order.pk).update(
        goods_total=Decimal("12680.00"), payable_total=Decimal("12680.00") - deductions, region="cn"
    )
    order.refresh_from_db()
    OrderLine.objects.filter(order=order).update(unit_price=Decimal("2680.00"), kind="product")
    return order


def test_the_order_page_has_one_row_of_seven_tabs(client, big_order, shop):
    client.force_login(shop.staff)
    with translation.override("zh-hans"):
        html = _page(client, big_order)
    assert _tab_labels(html) == TABS_ZH
    # unfold's own tab rows are not shown as well.
    assert 'x-data="{ activeFieldsetTab' not in html
    assert "tabs-items" not in html
    # Every inline is on the page (hidden in its tab): a save posts each management form.
    for prefix in ("lines", "delivery_milestones", "payment_milestones", "events", "attachments"):
        assert f'name="{prefix}-TOTAL_FORMS"' in html, prefix


def test_tabs_hold_their_fieldsets_and_inlines(client, big_order, shop):
    client.force_login(shop.staff)
    with translation.override("zh-hans"):
        html = _page(client, big_order)
    panels = dict(
        re.findall(r'data-order-tab="([a-z]+)"(.*?)(?=data-order-tab="|</form>)', html, re.S)
    )
    assert list(panels) == [
        "basic",
        "customer",
        "items",
        "delivery",
        "payments",
        "attachments",
        "records",
    ]
    assert big_order.customer_email in panels["customer"]
    assert 'id="lines-group"' in panels["items"] and "lines-group" not in panels["basic"]
    assert 'id="delivery_milestones-group"' in panels["delivery"]
    assert 'id="payment_milestones-group"' in panels["payments"]
    assert 'id="payments-group"' in panels["payments"]
    assert 'id="attachments-group"' in panels["attachments"]
    assert f"¥{big_order.payable_total:,.2f}" in panels["payments"]
    assert 'id="events-group"' in panels["records"]


def test_codes_show_as_their_labels(client, big_order, shop):
    client.force_login(shop.staff)
    with translation.override("zh-hans"):
        html = _page(client, big_order)
    assert "中国大陆" in html
    assert not re.search(r">\s*cn\s*<", html)
    assert "产品" in html
    assert not re.search(r">\s*product\s*<", html)


def test_amounts_show_their_currency_sign_and_separators(client, big_order, shop):
    client.force_login(shop.staff)
    with translation.override("zh-hans"):
        html = _page(client, big_order)
    assert "¥12,680.00" in html  # goods total (a field of the order)
    assert f"¥{big_order.payable_total:,.2f}" in html  # total payable
    assert big_order.payable_total > 1000
    assert "¥2,680.00" in html  # a line's unit price (a field of an inline row)
    assert not re.search(r">\s*12680\.00\s*<", html)
    assert not re.search(r">\s*2680\.00\s*<", html)


def test_another_currency_shows_its_own_sign(client, big_order, shop):
    Order.objects.filter(pk=big_order.pk).update(currency="USD")
    client.force_login(shop.staff)
    html = _page(client, big_order)
    assert "$12,680.00" in html
    assert "¥12,680.00" not in html
