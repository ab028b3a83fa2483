"""Checkout idempotency keys are per company and bound to the payload (issue 22 finding 6):
another company's key is no conflict, the same key with the same payload is the same order,
the same key with another payload is a clear conflict, in the service and in the portal."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import translation

from billing.models import CheckoutSubmission, Order, RebateWallet
from billing.services.checkout import LineInput
from billing.services.errors import BillingError
from tests.billing.order_helpers import Shop
from tests.billing.portal_order_helpers import (
    CHECKOUT,
    carried,
    checkout_data,
    hidden,
    html_of,
    start_checkout,
    text,
)
from tests.billing.test_concurrency import assert_ledgers_clean, run_parallel


def wallet_balance(shop: Shop) -> Decimal:
    return RebateWallet.objects.get(company=shop.company, currency="CNY").balance


@pytest.mark.django_db
def test_two_companies_may_use_the_same_key():
    first, second = Shop(), Shop()
    one = first.place(key="same-key", rebate_amount="5.00")
    two = second.place(key="same-key", rebate_amount="7.00")
    assert one.pk != two.pk
    assert (one.company_id, two.company_id) == (first.company.pk, second.company.pk)
    assert (wallet_balance(first), wallet_balance(second)) == (Decimal("95.00"), Decimal("93.00"))
    assert CheckoutSubmission.objects.filter(key="same-key").count() == 2
    assert_ledgers_clean()


@pytest.mark.django_db
def test_the_same_key_and_payload_is_the_same_order():
    shop = Shop()
    first = shop.place(key="k1", coupon_id=shop.coupon.pk, rebate_amount="5.00")
    again = shop.place(key="k1", coupon_id=shop.coupon.pk, rebate_amount="5")
    assert again.pk == first.pk
    assert Order.objects.count() == 1 and wallet_balance(shop) == Decimal("95.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"lines": [LineInput(0, 2)]},  # another quantity (sku filled in below)
        {"rebate_amount": "6.00"},
        {"payment_method": "offline"},
        {"coupon_id": None},
        {"use_credit": True},
        {"end_customer_id": "other"},
    ],
)
def test_the_same_key_with_another_payload_is_a_conflict(change):
    shop = Shop()
    first = shop.place(key="k1", coupon_id=shop.coupon.pk, rebate_amount="5.00")
    if "lines" in change:
        change = {"lines": [LineInput(shop.sku.pk, 2), LineInput(shop.sku2.pk, 2)]}
    if change.get("end_customer_id") == "other":
        other = shop.customer.__class__.objects.create(
            company=shop.company, name="x", email="x@example.com", company_name="X"
        )
        change = {"end_customer_id": other.pk}
    arguments = {"coupon_id": shop.coupon.pk, "rebate_amount": "5.00", **change}
    with pytest.raises(BillingError) as refused:
        shop.place(key="k1", **arguments)
    assert refused.value.code == "idempotency_conflict"
    assert list(Order.objects.values_list("pk", flat=True)) == [first.pk]
    assert wallet_balance(shop) == Decimal("95.00")


def _agree_page(client, shop, **fields) -> tuple[str, dict]:
    """A checkout's 生成电子订单 page: its HTML and what 同意 posts back."""
    html = start_checkout(client, shop)
    page = html_of(
        client.post(
            CHECKOUT,
            checkout_data(html, action="submit", end_customer=shop.customer.pk, **fields),
        )
    )
    return page, {**carried(page), "action": "agree"}


@pytest.mark.django_db
def test_the_portal_shows_a_key_conflict_on_the_form_with_a_fresh_key(client):
    shop = Shop()
    client.force_login(shop.user)
    _page, first = _agree_page(client, shop)
    assert client.post(CHECKOUT, first).status_code == 302
    order = Order.objects.get()
    # Another open checkout (another tab) posts the spent key with another payment method.
    _page, second = _agree_page(client, shop, payment_method="offline")
    second["idempotency_key"] = first["idempotency_key"]
    response = client.post(CHECKOUT, second)
    page = html_of(response)
    with translation.override("zh-hans"):
        conflict = translation.gettext(
            "This checkout was already submitted with other items or choices. "
            "Review the order and submit it again."
        )
    assert conflict in text(page) and conflict.startswith("此结算")
    assert hidden(page, "idempotency_key") not in ("", first["idempotency_key"][0])
    assert list(Order.objects.all()) == [order]
    # The same 同意 again after the order was placed is still that order.
    again = client.post(CHECKOUT, first)
    assert again.status_code == 302 and Order.objects.count() == 1


@pytest.mark.django_db
def test_the_portal_accepts_another_companys_key(client):
    first, second = Shop(), Shop()
    first.place(key="a1b2c3d4-0000-4000-8000-000000000001")
    client.force_login(second.user)
    _page, agree = _agree_page(client, second)
    agree["idempotency_key"] = "a1b2c3d4-0000-4000-8000-000000000001"
    response = client.post(CHECKOUT, agree)
    assert response.status_code == 302
    assert Order.objects.filter(company=second.company).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_give_one_order_and_conflicts_for_other_payloads():
    """20 submissions of one key at once: 10 with one payload, 10 with another. One
    order; its twins get it back; every other payload gets a conflict."""
    shop = Shop()
    orders = []

    def submit(i):
        try:
            orders.append(shop.place(key="twin", rebate_amount="5.00" if i % 2 else "6.00").pk)
        except BillingError as exc:
            assert exc.code == "idempotency_conflict", exc.code
            raise
        finally:
            connections.close_all()

    outcomes = run_parallel(20, submit)
    assert outcomes == Counter({"ok": 10, "refused": 10})
    assert Order.objects.count() == 1 and set(orders) == {Order.objects.get().pk}
    assert wallet_balance(shop) == Decimal("100.00") - Order.objects.get().rebate_amount
    assert_ledgers_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_of_two_companies_with_one_key_both_succeed():
    shops = [Shop(), Shop()]

    def submit(i):
        try:
            shops[i % 2].place(key="shared", rebate_amount="5.00")
        finally:
            connections.close_all()

    outcomes = run_parallel(10, submit)
    assert outcomes == Counter({"ok": 10})
    assert sorted(Order.objects.values_list("company_id", flat=True)) == sorted(
        shop.company.pk for shop in shops
    )
    assert [wallet_balance(shop) for shop in shops] == [Decimal("95.00")] * 2
    assert_ledgers_clean()
