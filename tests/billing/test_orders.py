"""Checkout, lifecycle and payments at the service level."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import (
    Coupon,
    CouponStatus,
    CreditAccount,
    Order,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    RebateWallet,
)
from billing.services import credit
from billing.services.checkout import LineInput
from billing.services.errors import BillingError
from billing.services.orders import (
    IllegalTransition,
    order_cancel,
    order_set_status,
    orders_cancel_unpaid,
    payment_confirm_offline,
    payment_start_online,
    payment_submit_offline,
    sandbox_callback_payload,
)
from billing.services.payments import payment_callback
from tests.billing.order_helpers import Shop

pytestmark = pytest.mark.django_db


def wallet_balance(shop) -> Decimal:
    return RebateWallet.objects.get(company=shop.company, currency="CNY").balance


def credit_used(shop) -> Decimal:
    return CreditAccount.objects.get(company=shop.company, currency="CNY").used


def test_checkout_with_coupon_and_rebate_prices_on_the_server_and_stores_snapshots():
    shop = Shop()
    order = shop.place(coupon_id=shop.coupon.pk, rebate_amount="30.00")
    assert (order.goods_total, order.coupon_discount, order.rebate_amount, order.payable_total) == (
        Decimal("207.00"),
        Decimal("10.00"),
        Decimal("30.00"),
        Decimal("167.00"),
    )
    assert (
        order.status == OrderStatus.PENDING_PAYMENT and order.payment_status == PaymentStatus.UNPAID
    )
    assert re.fullmatch(r"\d{17,}", order.number)
    assert [line.sku_code for line in order.lines.all()] == [shop.sku.code, shop.sku2.code]
    assert order.customer_company == "BlueCloud_O"
    assert order.contract is not None and order.contract.order_number == order.number
    assert wallet_balance(shop) == Decimal("70.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.USED
    assert order.events.count() == 1


def test_same_submission_twice_creates_one_order():
    shop = Shop()
    first = shop.place(key="submit-1", rebate_amount="5")
    again = shop.place(key="submit-1", rebate_amount="5")
    assert first.pk == again.pk
    assert Order.objects.count() == 1
    assert wallet_balance(shop) == Decimal("95.00")


def test_changed_price_refuses_and_changes_nothing():
    shop = Shop()
    with pytest.raises(BillingError, match="changed|变化"):  # zh message once translated
        shop.place(coupon_id=shop.coupon.pk, rebate_amount="10", expected_payable=Decimal("1.00"))
    assert Order.objects.count() == 0
    assert wallet_balance(shop) == Decimal("100.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.UNUSED


def test_rebate_beyond_balance_or_payable_is_refused():
    shop = Shop(rebate="20.00")
    with pytest.raises(BillingError):
        shop.place(rebate_amount="20.01")
    with pytest.raises(BillingError):
        shop.place(lines=[LineInput(shop.sku2.pk, 1)], rebate_amount="50.01")
    assert Order.objects.count() == 0


def test_currencies_cannot_be_mixed():
    shop = Shop()
    shop.sku2.currency = "HKD"
    shop.sku2.save()
    with pytest.raises(BillingError, match="currenc|币种"):  # zh message once translated
        shop.place()


def test_credit_checkout_needs_the_mailed_code_and_pays_at_once(
    django_capture_on_commit_callbacks, mailoutbox
):
    shop = Shop()
    key = str(uuid.uuid4())
    with pytest.raises(BillingError):
        shop.place(key=key, use_credit=True, credit_code="123456")
    assert Order.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        credit.credit_code_send(user=shop.user, purpose=f"checkout:{key}")
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    order = shop.place(key=key, use_credit=True, credit_code=code)
    assert order.status == OrderStatus.PROCESSING and order.payment_status == PaymentStatus.PAID
    assert order.credit_amount == Decimal("207.00") and credit_used(shop) == Decimal("207.00")


def test_cancelling_a_paid_order_restores_coupon_wallet_and_credit(
    django_capture_on_commit_callbacks, mailoutbox
):
    shop = Shop()
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        credit.credit_code_send(user=shop.user, purpose=f"checkout:{key}")
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    order = shop.place(
        key=key, coupon_id=shop.coupon.pk, rebate_amount="40", use_credit=True, credit_code=code
    )
    assert order.payment_status == PaymentStatus.PAID
    with pytest.raises(BillingError):  # the reseller cannot cancel a paid order
        order_cancel(order_id=order.pk, actor=shop.user)
    with pytest.raises(BillingError):  # staff must give a reason
        order_cancel(order_id=order.pk, actor=shop.staff, by_staff=True)
    order_cancel(order_id=order.pk, actor=shop.staff, reason="客户取消", by_staff=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.payment_status == PaymentStatus.REFUNDED
    assert wallet_balance(shop) == Decimal("100.00")
    assert credit_used(shop) == Decimal("0.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.UNUSED
    order_cancel(order_id=order.pk, actor=shop.staff, reason="again", by_staff=True)  # idempotent
    assert wallet_balance(shop) == Decimal("100.00")
    call_command("check_ledgers")


def test_paid_order_counts_once_per_solution_and_its_cancellation_takes_it_back(
    django_capture_on_commit_callbacks, mailoutbox
):
    """The hot ranking's paid-order counter: +1 when an order is paid, -1 when a paid order
    is cancelled (it used to stay up)."""
    from catalog.models import Solution

    shop = Shop()
    solution_ids = {shop.sku.solution_id, shop.sku2.solution_id}

    def counts():
        return dict(
            Solution.objects.filter(pk__in=solution_ids).values_list("pk", "paid_order_count")
        )

    before = counts()
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        credit.credit_code_send(user=shop.user, purpose=f"checkout:{key}")
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    order = shop.place(key=key, use_credit=True, credit_code=code)
    assert order.payment_status == PaymentStatus.PAID
    assert counts() == {pk: count + 1 for pk, count in before.items()}
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=shop.staff, reason="客户取消", by_staff=True)
    assert counts() == before
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=shop.staff, reason="again", by_staff=True)
    assert counts() == before  # a second cancel changes nothing


def test_transition_table_refuses_illegal_moves():
    shop = Shop()
    order = shop.place()
    with pytest.raises(IllegalTransition):
        order_set_status(order_id=order.pk, to_status=OrderStatus.COMPLETED)
    with pytest.raises(IllegalTransition):
        order_set_status(order_id=order.pk, to_status=OrderStatus.PROCESSING)  # unpaid


class TestCallbacks:
    def test_replayed_50_times_is_one_payment(self):
        shop = Shop()
        order = shop.place()
        payment = payment_start_online(order_id=order.pk, user=shop.user)
        payload, signature = sandbox_callback_payload(payment)
        for _ in range(50):
            payment_callback(payload=payload, signature=signature)
        order.refresh_from_db()
        assert order.payment_status == PaymentStatus.PAID and order.status == OrderStatus.PROCESSING
        assert Payment.objects.filter(status=PaymentRecordStatus.SUCCEEDED).count() == 1
        assert order.events.count() == 2

    @pytest.mark.parametrize("tamper", ["signature", "stale", "amount", "currency"])
    def test_bad_notifications_change_nothing(self, tamper):
        shop = Shop()
        order = shop.place()
        payment = payment_start_online(order_id=order.pk, user=shop.user)
        ts = int(timezone.now().timestamp()) - (600 if tamper == "stale" else 0)
        payload, signature = sandbox_callback_payload(
            payment, amount=Decimal("1.00") if tamper == "amount" else None, ts=ts
        )
        if tamper == "signature":
            signature = "0" * 64
        if tamper == "currency":
            payload["currency"] = "USD"
            from billing.payments.sandbox import sign as _sign

            signature = _sign(payload)
        with pytest.raises(BillingError):
            payment_callback(payload=payload, signature=signature)
        payment.refresh_from_db()
        order.refresh_from_db()
        assert (
            payment.status == PaymentRecordStatus.PENDING
            and order.payment_status == PaymentStatus.UNPAID
        )


def test_offline_payment_confirmed_by_finance():
    shop = Shop()
    order = shop.place(payment_method="offline")
    payment = payment_submit_offline(
        order_id=order.pk, user=shop.user, payer_account="6222 0000 1111", paid_on=date.today()
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AWAITING_CONFIRMATION
    with pytest.raises(BillingError):
        payment_submit_offline(
            order_id=order.pk, user=shop.user, payer_account="x", paid_on=date.today()
        )
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID and order.status == OrderStatus.PROCESSING


def test_a_payment_reference_drawn_twice_in_one_second_is_drawn_again(monkeypatch):
    """References are random within their second: online and offline payments alike
    retry a collision instead of failing with an IntegrityError."""
    from billing.services import orders as order_services

    shop = Shop()
    first = shop.place(payment_method="offline")
    second = shop.place(payment_method="offline")
    draws = iter(["DD2611271200000001", "DD2611271200000001", "DD2611271200000002"])
    monkeypatch.setattr(order_services, "_payment_reference", lambda: next(draws))
    kwargs = {"user": shop.user, "payer_account": "6222 0000 1111", "paid_on": date.today()}

    one = payment_submit_offline(order_id=first.pk, **kwargs)
    two = payment_submit_offline(order_id=second.pk, **kwargs)

    assert (one.reference, two.reference) == ("DD2611271200000001", "DD2611271200000002")
    second.refresh_from_db()
    assert second.payment_status == PaymentStatus.AWAITING_CONFIRMATION


def test_unpaid_online_orders_are_cancelled_after_15_minutes_releasing_postings():
    shop = Shop()
    order = shop.place(coupon_id=shop.coupon.pk, rebate_amount="10")
    assert orders_cancel_unpaid(now=timezone.now() + timedelta(minutes=14)) == 0
    assert orders_cancel_unpaid(now=timezone.now() + timedelta(minutes=16)) == 1
    assert orders_cancel_unpaid(now=timezone.now() + timedelta(minutes=16)) == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert wallet_balance(shop) == Decimal("100.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.UNUSED


def test_rebate_run_uses_paid_orders():
    from billing.services.wallet import rebate_run

    shop = Shop(rebate="0")
    shop.company.tier = type(shop.company.tier).objects.get(code="gold")
    shop.company.save()
    order = shop.place()
    payment = payment_start_online(order_id=order.pk, user=shop.user)
    payment_callback(
        *[], **dict(zip(("payload", "signature"), sandbox_callback_payload(payment), strict=True))
    )
    local = timezone.localtime()
    period = f"{local.year}H1" if local.month <= 6 else f"{local.year}H2"
    assert rebate_run(period=period)["credited"] == 1
    assert wallet_balance(shop) == Decimal("4.14")  # 2 % of 207.00
