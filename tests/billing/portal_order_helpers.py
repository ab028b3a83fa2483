"""Helpers of the portal ordering tests (cart, checkout, orders): page parsing and the
checkout's form posts, on top of ``order_helpers.Shop``."""

import html as html_lib
import re
from decimal import Decimal

from django.urls import reverse

from billing.models import CartLine
from billing.services.cart import cart_add
from tests.pages import html_of, messages_of  # noqa: F401 (the ordering tests import them here)

CART = reverse("portal:cart")
CART_ADD = reverse("portal:cart_add")
CART_UPDATE = reverse("portal:cart_update")
CART_REMOVE = reverse("portal:cart_remove")
CART_SELECT = reverse("portal:cart_select")
CHECKOUT = reverse("portal:checkout")
BUY_NOW = reverse("portal:buy_now")
CREDIT_CODE = reverse("portal:checkout_credit_code")
ORDERS = reverse("portal:account_orders")
CALLBACK = reverse("portal:payment_callback_sandbox")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden input {name}"
    return html_lib.unescape(match.group(1))


def text(html: str) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def start_checkout(client, shop, *, lines=None) -> str:
    """Put ``lines`` [(sku, quantity)] in the cart, select them all and press 结算.

    Returns the checkout page's HTML (the response was followed).
    """
    lines = lines if lines is not None else [(shop.sku, 1), (shop.sku2, 2)]
    for sku, quantity in lines:
        cart_add(user=shop.user, sku_id=sku.pk, quantity=quantity)
    ids = list(CartLine.objects.filter(user=shop.user).values_list("pk", flat=True))
    response = client.post(CART_SELECT, {"lines": ids, "checkout": "1"})
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(CHECKOUT + "?t="), response["Location"]
    return html_of(client.get(response["Location"]))


def checkout_data(html: str, **fields) -> dict:
    """The checkout form's hidden state plus ``fields`` (customer, payment, discounts...)."""
    data = {
        "t": hidden(html, "t"),
        "idempotency_key": hidden(html, "idempotency_key"),
        "expected_payable": hidden(html, "expected_payable"),
        "payment_method": "online",
        "use_coupon": "no",
        "use_credit": "no",
        "use_rebate": "no",
    }
    data.update({key: value for key, value in fields.items() if value is not None})
    return data


def expected_payable(html: str) -> Decimal:
    return Decimal(hidden(html, "expected_payable"))


def carried(html: str) -> dict:
    """The e-order page's hidden fields (what 同意 posts back)."""
    data: dict = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        if name == "csrfmiddlewaretoken":
            continue
        data.setdefault(name, []).append(html_lib.unescape(value))
    return data


def place_through_pages(client, html: str, **fields):
    """提交订单 → 生成电子订单 → 同意, as the browser does. Returns the 同意 response."""
    response = client.post(CHECKOUT, checkout_data(html, action="submit", **fields))
    page = html_of(response)
    assert "data-eorder-agree" in page, text(page)[:2000]
    return client.post(CHECKOUT, {**carried(page), "action": "agree"})
