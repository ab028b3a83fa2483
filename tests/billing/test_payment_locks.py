"""One lock order (billing/locks.py) on PostgreSQL: cancellation raced against the
provider's success callback never deadlocks, and the money is recorded every time."""

import contextlib

import pytest

from billing.models import OrderStatus, PaymentRecordStatus, PaymentStatus
from billing.services.errors import BillingError
from billing.services.orders import (
    order_cancel,
    payment_start_online,
    sandbox_callback_payload,
)
from billing.services.payments import payment_callback
from tests.billing.order_helpers import Shop
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20


def race(*steps) -> list[BaseException]:
    """Run ``steps`` on their own threads (and connections), started together; a domain
    refusal (a paid order cannot be cancelled by the partner) is not an error."""

    def refusal_allowed(step):
        def run():
            with contextlib.suppress(BillingError):
                step()

        return run

    return run_together(*(refusal_allowed(step) for step in steps))


def test_cancel_raced_against_the_success_callback_20_times():
    shop = Shop(rebate="0", credit_limit="0")
    outcomes = {"paid": 0, "refund_due": 0}
    for _ in range(ROUNDS):
        order = shop.place()
        payment = payment_start_online(order_id=order.pk, user=shop.user)
        payload, signature = sandbox_callback_payload(payment)
        errors = race(
            lambda order=order: order_cancel(order_id=order.pk, actor=shop.user),
            lambda p=payload, s=signature: payment_callback(payload=p, signature=s),
        )
        assert errors == []
        order.refresh_from_db()
        payment.refresh_from_db()
        assert payment.confirmed_at is not None  # the money is on record, either way
        if order.status == OrderStatus.CANCELLED:
            assert payment.status == PaymentRecordStatus.REFUND_DUE
            assert order.payment_status == PaymentStatus.REFUND_DUE
            outcomes["refund_due"] += 1
        else:
            assert order.status == OrderStatus.PROCESSING
            assert (order.payment_status, payment.status) == (
                PaymentStatus.PAID,
                PaymentRecordStatus.SUCCEEDED,
            )
            outcomes["paid"] += 1
    assert sum(outcomes.values()) == ROUNDS
