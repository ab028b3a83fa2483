"""The same POST /orders 20× at once on PostgreSQL makes one order; another body with the
same key answers 409."""

import pytest
from django.test import Client

from billing.models import Order
from tests.api.helpers import Api, make_key, order_body
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_posts_make_one_order(shop):
    _key, raw = make_key(shop)
    statuses: list[int] = []
    numbers: set[str] = set()

    def post():
        response = Api(Client(), raw).post(
            "/orders", order_body(shop), **{"Idempotency-Key": "pg-same"}
        )
        statuses.append(response.status_code)
        if response.status_code == 201:
            numbers.add(response.json()["number"])

    assert run_together(*[post] * 20) == []
    assert statuses == [201] * 20
    assert len(numbers) == 1
    assert Order.objects.filter(company=shop.company).count() == 1
    other = Api(Client(), raw).post(
        "/orders", order_body(shop, payment_method="online"), **{"Idempotency-Key": "pg-same"}
    )
    assert other.status_code == 409
