"""Receipts (到账登记): finance posts a bank transfer and allocates it to bills and orders,
through the same services as the partner's own repayments and payments."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import translation

from billing.models import (
    Bill,
    BillStatus,
    CreditEntry,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    PendingPosting,
    PendingPostingStatus,
    Receipt,
    ReceiptAllocation,
    ReceiptStatus,
    Repayment,
    RepaymentStatus,
)
from billing.selectors.receipts import receipt_problems
from billing.services import bills as bill_services
from billing.services import credit
from billing.services.approvals import posting_approve, posting_reject
from billing.services.errors import BillingError
from billing.services.orders import payment_submit_offline
from billing.services.receipts import Allocation, receipt_allocate
from tests.billing.helpers import charge_credit, submit_offline_repayment
from tests.billing.order_helpers import Shop
from tests.billing.receipt_helpers import World, ledgers_clean

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def test_receipt_covering_two_bills_leaves_a_remainder(world):
    assert [b.amount for b in world.bills] == [Decimal("120.00"), Decimal("30.00")]
    assert world.used == Decimal("200.00")
    receipt = world.post("500.00", [world.bills_allocation()])
    assert isinstance(receipt, Receipt)
    assert receipt.allocated == Decimal("150.00") and receipt.remainder == Decimal("350.00")
    assert receipt.status == ReceiptStatus.PARTLY_ALLOCATED
    for bill in world.bills:
        bill.refresh_from_db()
        assert bill.status == BillStatus.SETTLED
    # As a confirmed partner repayment: one repayment entry of -150, used down by 150.
    assert world.used == Decimal("50.00")
    repayment = Repayment.objects.get()
    assert repayment.status == RepaymentStatus.CONFIRMED and repayment.amount == Decimal("150")
    assert repayment.reviewed_by == world.maker
    entry = CreditEntry.objects.get(repayment=repayment)
    assert entry.amount == Decimal("-150.00")
    allocation = ReceiptAllocation.objects.get()
    assert allocation.repayment == repayment and allocation.amount == Decimal("150.00")
    ledgers_clean()


def test_posting_the_same_transfer_twice_is_refused(world):
    first = world.post("500.00", [world.bills_allocation()])
    counts = (Receipt.objects.count(), Repayment.objects.count(), CreditEntry.objects.count())
    with translation.override("en"), pytest.raises(BillingError, match=first.number) as refused:
        world.post("500.00")
    assert refused.value.code == "duplicate_receipt"
    assert "already been posted as receipt" in refused.value.messages[0]
    assert (Receipt.objects.count(), Repayment.objects.count(), CreditEntry.objects.count()) == (
        counts
    )
    # Another reference on the same account, or the same reference on another account: fine.
    world.post("10.00", reference="CMB20261203002")
    ledgers_clean()


def test_remainder_allocated_later_pays_an_offline_order(world):
    receipt = world.post("500.00")
    assert receipt.status == ReceiptStatus.UNALLOCATED and receipt.remainder == Decimal("500")
    order = world.offline_order()
    due = order.amount_due
    receipt = receipt_allocate(
        receipt_id=receipt.pk,
        allocations=[Allocation("order", (order.pk,), due)],
        actor=world.maker,
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID and order.status == OrderStatus.PROCESSING
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentRecordStatus.SUCCEEDED and payment.amount == due
    assert payment.transfer_reference == "CMB20261203001"
    assert receipt.allocated == due
    ledgers_clean()


def test_a_reported_transfer_and_a_submitted_repayment_are_confirmed(world):
    order = world.offline_order()
    reported = payment_submit_offline(
        order_id=order.pk,
        user=world.shop.user,
        payer_account="6222",
        paid_on=credit.local_today(),
    )
    repayment = submit_offline_repayment(world.company, world.bills[:1], world.shop.user)
    total = reported.amount + repayment.amount
    receipt = world.post(
        total,
        [
            Allocation("repayment", (repayment.pk,), repayment.amount),
            Allocation("payment", (reported.pk,), reported.amount),
        ],
    )
    assert receipt.status == ReceiptStatus.ALLOCATED and receipt.remainder == 0
    reported.refresh_from_db()
    repayment.refresh_from_db()
    assert reported.status == PaymentRecordStatus.SUCCEEDED
    assert repayment.status == RepaymentStatus.CONFIRMED
    ledgers_clean()


def test_allocation_over_the_remainder_is_refused(world):
    receipt = world.post("100.00")
    with pytest.raises(BillingError) as refused:
        receipt_allocate(
            receipt_id=receipt.pk, allocations=[world.bills_allocation()], actor=world.maker
        )
    assert refused.value.code == "over_allocated"
    with pytest.raises(BillingError) as refused:
        world.post("100.00", [world.bills_allocation()], reference="other")
    assert refused.value.code == "over_allocated"
    assert Repayment.objects.count() == 0 and Receipt.objects.count() == 1


def test_allocation_must_be_exactly_what_the_target_needs(world):
    wrong = Allocation("bills", (world.bills[0].pk,), Decimal("100.00"))
    with pytest.raises(BillingError) as refused:
        world.post("500.00", [wrong])
    assert refused.value.code == "amount_mismatch"
    assert Receipt.objects.count() == 0 and Repayment.objects.count() == 0


def test_another_companys_bill_or_order_is_refused(world):
    other = Shop(rebate="0")
    key = f"other-{other.company.pk}"
    charge_credit(other.company, "80", days_ago=2, order_number=key, key=key)
    bill_services.bills_generate(until=credit.local_today() - timedelta(days=2))
    foreign_bill = Bill.objects.get(account__company=other.company)
    foreign_order = other.place(payment_method="offline")
    for allocation in (
        Allocation("bills", (foreign_bill.pk,), foreign_bill.amount),
        Allocation("order", (foreign_order.pk,), foreign_order.amount_due),
    ):
        with pytest.raises(BillingError) as refused:
            world.post("500.00", [allocation])
        assert refused.value.code == "not_found"
    receipt = world.post("500.00")
    with pytest.raises(BillingError) as refused:
        receipt_allocate(
            receipt_id=receipt.pk,
            allocations=[Allocation("bills", (foreign_bill.pk,), foreign_bill.amount)],
            actor=world.maker,
        )
    assert refused.value.code == "not_found"
    foreign_bill.refresh_from_db()
    assert foreign_bill.status == BillStatus.PENDING and Repayment.objects.count() == 0


def test_above_the_threshold_a_second_finance_user_approves(world, settings):
    settings.FOUR_EYES_THRESHOLD = Decimal("400.00")
    pending = world.post("500.00", [world.bills_allocation()])
    assert isinstance(pending, PendingPosting) and pending.status == PendingPostingStatus.PENDING
    receipt = pending.receipt
    assert receipt.status == ReceiptStatus.AWAITING_APPROVAL and receipt.allocated == 0
    assert world.used == Decimal("200.00") and Repayment.objects.count() == 0
    # The transfer's key is claimed while it waits: its twin is refused.
    with pytest.raises(BillingError) as refused:
        world.post("500.00")
    assert refused.value.code == "duplicate_receipt"
    with pytest.raises(BillingError) as refused:
        posting_approve(pending_id=pending.pk, checker=world.maker)
    assert refused.value.code == "own_posting"
    posting_approve(pending_id=pending.pk, checker=world.checker)
    posting_approve(pending_id=pending.pk, checker=world.checker)  # a double click
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.PARTLY_ALLOCATED
    assert receipt.allocated == Decimal("150.00") and world.used == Decimal("50.00")
    assert (
        Repayment.objects.count() == 1
        and CreditEntry.objects.filter(repayment__isnull=False).count() == 1
    )
    ledgers_clean()


def test_a_rejected_receipt_frees_its_transfer(world, settings):
    settings.FOUR_EYES_THRESHOLD = Decimal("400.00")
    pending = world.post("500.00", [world.bills_allocation()])
    posting_reject(pending_id=pending.pk, checker=world.checker, reason="wrong company")
    assert Receipt.objects.get().status == ReceiptStatus.REJECTED
    again = world.post("500.00", [world.bills_allocation()])
    assert isinstance(again, PendingPosting)
    assert world.used == Decimal("200.00")


def test_only_finance_posts_receipts(world):
    with pytest.raises(BillingError) as refused:
        world.post("10.00", actor=world.shop.user)
    assert refused.value.code == "permission"
    assert Receipt.objects.count() == 0


def test_check_ledgers_finds_an_allocated_amount_out_of_step(world):
    receipt = world.post("500.00", [world.bills_allocation()])
    Receipt.objects.filter(pk=receipt.pk).update(allocated=Decimal("100.00"))
    assert receipt_problems() == [{"problem": "receipt_allocated_mismatch", "receipt": receipt.pk}]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_transfer_posted_from_two_threads_is_posted_once():
    world = World()
    allocations = [world.bills_allocation()]
    barrier = threading.Barrier(2)
    outcomes: list = []

    def post():
        try:
            barrier.wait(timeout=10)
            outcomes.append(world.post("500.00", allocations))
        except BillingError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("duplicate_receipt") == 1
    assert sum(isinstance(outcome, Receipt) for outcome in outcomes) == 1
    assert Receipt.objects.count() == 1 and Repayment.objects.count() == 1
    assert world.used == Decimal("50.00")
    assert CreditEntry.objects.filter(repayment__isnull=False).count() == 1
    ledgers_clean()
