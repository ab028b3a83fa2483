"""A payment the provider confirms is always recorded: after a cancellation it is a refund
due (待退款), finance records the refund, and ``check_ledgers`` watches the rule."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    OrderEvent,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    RefundMethod,
)
from billing.selectors.payments import unrecorded_provider_payments
from billing.services.errors import BillingError
from billing.services.orders import (
    order_cancel,
    orders_cancel_unpaid,
    payment_start_online,
    sandbox_callback_payload,
)
from billing.services.payments import payment_refund_record
from tests.billing.order_helpers import Shop

pytestmark = pytest.mark.django_db
CALLBACK = reverse("portal:payment_callback_sandbox")


def notify(payment, status="succeeded"):
    """The provider's notification over HTTP, as the sandbox posts it."""
    payload, signature = sandbox_callback_payload(payment, status=status)
    return Client(enforce_csrf_checks=True).post(
        CALLBACK,
        json.dumps({"payload": payload, "signature": signature}),
        content_type="application/json",
    )


@pytest.fixture
def started():
    shop = Shop()
    order = shop.place()
    return shop, order, payment_start_online(order_id=order.pk, user=shop.user)


def assert_refund_due(order, payment):
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentRecordStatus.REFUND_DUE
    assert payment.confirmed_at is not None and payment.refund_reason
    assert payment.provider_payload["reference"] == payment.reference
    assert order.status == OrderStatus.CANCELLED
    assert order.payment_status == PaymentStatus.REFUND_DUE
    assert unrecorded_provider_payments() == []
    call_command("check_ledgers")


def test_success_after_the_partner_cancelled_is_a_refund_due(started):
    shop, order, payment = started
    order_cancel(order_id=order.pk, actor=shop.user)
    response = notify(payment)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert_refund_due(order, payment)
    assert OrderEvent.objects.filter(order=order, note__contains=payment.reference).exists()
    assert notify(payment).status_code == 200  # replay: still one refund due
    assert Payment.objects.filter(status=PaymentRecordStatus.REFUND_DUE).count() == 1


def test_success_after_the_automatic_cancellation_is_a_refund_due(started):
    _, order, payment = started
    assert orders_cancel_unpaid(now=timezone.now() + timedelta(minutes=16)) == 1
    response = notify(payment)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert_refund_due(order, payment)


def test_failure_after_cancellation_records_nothing(started):
    shop, order, payment = started
    order_cancel(order_id=order.pk, actor=shop.user)
    assert notify(payment, status="failed").status_code == 200
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentRecordStatus.FAILED and payment.confirmed_at is None
    assert payment.provider_payload == {}
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.UNPAID)
    assert not Payment.objects.filter(status=PaymentRecordStatus.REFUND_DUE).exists()


def test_failure_never_undoes_a_payment(started):
    _, order, payment = started
    notify(payment)
    notify(payment, status="failed")
    payment.refresh_from_db()
    assert payment.status == PaymentRecordStatus.SUCCEEDED


def test_a_paid_order_cancelled_by_staff_owes_the_money_back_until_finance_records_it(started):
    shop, order, payment = started
    notify(payment)
    order_cancel(order_id=order.pk, actor=shop.staff, reason="客户撤单", by_staff=True)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentRecordStatus.REFUND_DUE
    assert order.payment_status == PaymentStatus.REFUND_DUE
    with pytest.raises(BillingError):  # a reference is required
        payment_refund_record(
            payment_id=payment.pk, actor=shop.staff, method=RefundMethod.MANUAL, reference=" "
        )
    for _ in range(2):  # recorded once
        payment_refund_record(
            payment_id=payment.pk,
            actor=shop.staff,
            method=RefundMethod.MANUAL,
            reference="BANK-REF-1",
        )
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentRecordStatus.REFUNDED and payment.refunded_by == shop.staff
    assert payment.refund_reference == "BANK-REF-1" and payment.refunded_at
    assert order.payment_status == PaymentStatus.REFUNDED
    call_command("check_ledgers")


def test_a_payment_without_a_refund_due_cannot_be_refunded(started):
    shop, _, payment = started
    notify(payment)
    with pytest.raises(BillingError):
        payment_refund_record(
            payment_id=payment.pk, actor=shop.staff, method=RefundMethod.MANUAL, reference="X"
        )


def test_check_ledgers_reports_confirmed_money_that_is_not_recorded(started):
    _, order, payment = started
    notify(payment)
    # What the old callback did: the money confirmed, the payment left failed.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentRecordStatus.FAILED)
    problems = unrecorded_provider_payments()
    assert {row["problem"] for row in problems} == {"confirmed_not_recorded"}
    with pytest.raises(CommandError):
        call_command("check_ledgers")


def test_console_refund_queue_records_a_refund(started, client):
    from fixtures.demo import load_staff
    from partners.models import User

    shop, order, payment = started
    order_cancel(order_id=order.pk, actor=shop.user)
    notify(payment)
    load_staff()
    client.force_login(User.objects.get(email="finance@example.com"))
    queue = client.get(reverse("admin:billing_refunddue_changelist"))
    assert queue.status_code == 200 and payment.reference in queue.content.decode()
    url = reverse("admin:billing_refunddue_record_refund_detail", args=[payment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reference": "BANK-0001", "note": "原路退回"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentRecordStatus.REFUNDED
    assert payment.refund_method == RefundMethod.MANUAL and payment.refund_reference == "BANK-0001"
    assert client.get(url).status_code == 403  # nothing due any more: no such action
