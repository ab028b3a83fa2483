"""The 同意 POST (place the order from the 生成电子订单 page) stays within a query bound:
the quote computed at the e-order step is cached under the submission's idempotency key,
and 同意 re-validates only what can change (prices, balances, coupon state) under the
locks it takes anyway (issue 19)."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache

import billing.services.checkout as checkout_services
from billing.models import Order
from billing.services.checkout_cache import prices_unchanged
from tests.billing.portal_order_helpers import (
    CHECKOUT,
    carried,
    checkout_data,
    html_of,
    start_checkout,
)

pytestmark = pytest.mark.django_db

# Steady state on SQLite inside the test's transaction (savepoints counted): session and
# user, the form's three reads, the replay check, two counters, the key's claim, the price
# check, coupon and wallet locks, the postings, contract, order, lines, event, cart,
# session. It was 61 before the quote cache and the leaner contract and counters.
AGREE_MAX_QUERIES = 38

FIELDS = {
    "payment_method": "offline",
    "use_coupon": "yes",
    "use_rebate": "yes",
    "rebate_amount": "30",
}


def _confirm_page(client, shop, **fields) -> str:
    html = start_checkout(client, shop)
    html = html_of(client.post(CHECKOUT, checkout_data(html, action="recalculate", **fields)))
    return html_of(client.post(CHECKOUT, checkout_data(html, action="submit", **fields)))


def test_agree_uses_the_e_order_quote_within_the_query_bound(
    signed_in, shop, django_assert_max_num_queries
):
    shop.place()  # the document counters exist, as in any running system
    fields = {**FIELDS, "end_customer": shop.customer.pk, "coupon": shop.coupon.pk}
    confirm = _confirm_page(signed_in, shop, **fields)
    agree = {**carried(confirm), "action": "agree"}
    with (
        mock.patch.object(
            checkout_services, "checkout_quote", wraps=checkout_services.checkout_quote
        ) as quote,
        django_assert_max_num_queries(AGREE_MAX_QUERIES),
    ):
        response = signed_in.post(CHECKOUT, agree)
    assert response.status_code == 302, response.status_code
    quote.assert_not_called()  # the e-order step's quote, re-validated, not re-priced
    order = Order.objects.latest("pk")
    assert (order.goods_total, order.coupon_discount, order.rebate_amount) == (
        Decimal("207.00"),
        Decimal("10.00"),
        Decimal("30.00"),
    )
    assert order.contract.snapshot["grand_total"] == "207.00"
    assert order.contract.snapshot["end_customer"]["email"] == shop.customer.email


def test_without_the_cached_quote_agree_prices_everything_again(signed_in, shop):
    fields = {**FIELDS, "end_customer": shop.customer.pk, "coupon": shop.coupon.pk}
    confirm = _confirm_page(signed_in, shop, **fields)
    cache.clear()  # another web process, or the cache was evicted
    with mock.patch.object(
        checkout_services, "checkout_quote", wraps=checkout_services.checkout_quote
    ) as quote:
        response = signed_in.post(CHECKOUT, {**carried(confirm), "action": "agree"})
    assert response.status_code == 302
    quote.assert_called_once()
    assert Order.objects.get().coupon_discount == Decimal("10.00")


def test_a_changed_plan_is_not_taken_from_the_cache(shop):
    from billing.services.checkout import LineInput, checkout_quote

    quote = checkout_quote(company_id=shop.company.pk, lines=[LineInput(shop.sku.pk, 1)])
    assert prices_unchanged(quote)
    shop.sku.tax_rate = Decimal("9")
    shop.sku.save()
    assert not prices_unchanged(quote)
