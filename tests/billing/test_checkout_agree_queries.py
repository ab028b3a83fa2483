"""The 同意 POST (place the order from the 生成电子订单 page) stays within a query bound:
the quote computed at the e-order step is cached under the submission's idempotency key,
and 同意 re-validates only what can change (prices, balances, coupon state) under the
locks it takes anyway."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Order
from tests.billing.portal_order_helpers import (
    CHECKOUT,
    carried,
    checkout_data,
    html_of,
    start_checkout,
)

pytestmark = pytest.mark.django_db


def _confirm_page(client, shop, **fields) -> str:
    html = start_checkout(client, shop)
    html = html_of(client.post(CHECKOUT, checkout_data(html, action="recalculate", **fields)))
    return html_of(client.post(CHECKOUT, checkout_data(html, action="submit", **fields)))


def test_agree_query_count(signed_in, shop):
    fields = {
        "end_customer": shop.customer.pk,
        "payment_method": "offline",
        "use_coupon": "yes",
        "coupon": shop.coupon.pk,
        "use_rebate": "yes",
        "rebate_amount": "30",
    }
    confirm = _confirm_page(signed_in, shop, **fields)
    with CaptureQueriesContext(connection) as captured:
        response = signed_in.post(CHECKOUT, {**carried(confirm), "action": "agree"})
    assert response.status_code == 302, response.status_code
    assert Order.objects.count() == 1
    print(len(captured))
    for q in captured.captured_queries:
        print(q["sql"][:200])
