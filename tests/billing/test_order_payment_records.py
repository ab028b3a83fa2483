"""Nothing waits unseen: an order's payment status that waits on a decision has the record
that shows it in a queue (``check_ledgers``' ``order_payment_records`` invariant)."""

import io

import pytest
from django.core.management import CommandError, call_command

from billing.models import Order, Payment, PaymentKind, PaymentRecordStatus, PaymentStatus
from billing.selectors.payments import orders_without_payment_record
from fixtures.bank_demo import OPEN_ORDERS
from tests.demo_data import demo  # noqa: F401 - the fixture: `loaddemo`

# Every test starts from the demo data (`loaddemo`).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def check_ledgers() -> str:
    out = io.StringIO()
    call_command("check_ledgers", stdout=out)
    return out.getvalue()


def test_the_demo_order_awaiting_confirmation_has_its_transfer_in_the_queue():
    awaiting = Order.objects.filter(payment_status=PaymentStatus.AWAITING_CONFIRMATION)
    assert awaiting.exists()
    for order in awaiting:
        assert order.payments.filter(
            kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING
        ).exists()
    assert orders_without_payment_record() == []
    assert "mismatches: 0" in check_ledgers()


def test_the_invariant_fires_on_an_order_waiting_on_no_record():
    transfer = Payment.objects.filter(
        kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING
    ).first()
    number = transfer.order.number
    transfer.delete()  # the broken row the old demo loader wrote
    assert orders_without_payment_record() == [
        {"problem": "awaiting_confirmation_without_transfer", "order": number}
    ]
    with pytest.raises(CommandError):
        check_ledgers()


def test_the_loader_repairs_an_order_an_older_loader_left_waiting():
    # The order history's awaiting order (not one of the bank demo's open orders).
    bank_demo_orders = [number for _company, number, _amount, _reported in OPEN_ORDERS]
    transfer = (
        Payment.objects.filter(kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING)
        .exclude(order__number__in=bank_demo_orders)
        .get()
    )
    order = transfer.order
    Payment.history.all().delete()
    transfer.delete()
    Order.objects.filter(pk=order.pk).update(payment_status=PaymentStatus.AWAITING_CONFIRMATION)
    call_command("loaddemo", stdout=io.StringIO())
    assert orders_without_payment_record() == []
    assert order.payments.filter(status=PaymentRecordStatus.PENDING).count() == 1
