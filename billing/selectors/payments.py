"""Reads about provider payments: a company's online repayment, the 待退款 queue and the
ledger invariant that no money a provider confirmed was dropped."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import (
    MONEY_RECEIVED_STATUSES,
    OnlineRepayment,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
)


def online_repayment_for_company(*, company_id: int, reference: str) -> OnlineRepayment | None:
    """The company's online repayment ``reference`` (references are unique per account)."""
    return (
        OnlineRepayment.objects.select_related("account")
        .filter(account__company_id=company_id, reference=reference)
        .order_by("pk")
        .first()
    )


def refunds_due() -> QuerySet[Payment]:
    """待退款: order payments whose money goes back, oldest first."""
    return Payment.objects.filter(status=PaymentRecordStatus.REFUND_DUE).order_by(
        "confirmed_at", "pk"
    )


def unrecorded_provider_payments() -> list[dict]:
    """The ``check_ledgers`` invariant: every payment whose money arrived (provider- or
    finance-confirmed) is recorded as paid or as a refund due (or refunded).

    Offending rows: money confirmed on a payment left pending or failed; a successful
    payment whose order is not paid or was cancelled (its money must be owed back); a
    refund due whose cancelled order does not say so; the same for online repayments
    (confirmed but neither settling a repayment nor owed back).
    """
    received = list(MONEY_RECEIVED_STATUSES)
    rows: list[dict] = []
    for problem, queryset in (
        (
            "confirmed_not_recorded",
            Payment.objects.filter(confirmed_at__isnull=False).exclude(status__in=received),
        ),
        (
            "succeeded_on_unpaid_order",
            Payment.objects.filter(status=PaymentRecordStatus.SUCCEEDED).filter(
                Q(order__status=OrderStatus.CANCELLED)
                | ~Q(order__payment_status=PaymentStatus.PAID)
            ),
        ),
        (
            "refund_due_not_on_order",
            Payment.objects.filter(
                status=PaymentRecordStatus.REFUND_DUE, order__status=OrderStatus.CANCELLED
            ).exclude(order__payment_status=PaymentStatus.REFUND_DUE),
        ),
    ):
        rows += [
            {"problem": problem, "payment": reference}
            for reference in queryset.values_list("reference", flat=True)[:100]
        ]
    for problem, queryset in (
        (
            "online_repayment_confirmed_not_recorded",
            OnlineRepayment.objects.filter(confirmed_at__isnull=False).exclude(status__in=received),
        ),
        (
            "online_repayment_succeeded_without_repayment",
            OnlineRepayment.objects.filter(
                status=PaymentRecordStatus.SUCCEEDED, repayment__isnull=True
            ),
        ),
    ):
        rows += [
            {"problem": problem, "online_repayment": pk}
            for pk in queryset.values_list("pk", flat=True)[:100]
        ]
    return rows


def orders_without_payment_record() -> list[dict]:
    """The ``check_ledgers`` invariant: an order's payment status that waits on somebody has
    the record that puts it in a queue (nothing waits unseen).

    Offending rows: an order 待确认 (awaiting confirmation) without a pending offline
    transfer (the 待确认线下付款 queue lists transfers, not orders); a pending offline
    transfer whose order does not wait for its confirmation; an order 待退款 (refund due)
    without a payment owed back (the 待退款 queue lists payments).
    """
    pending_transfer = Payment.objects.filter(
        order=OuterRef("pk"), kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING
    )
    owed_back = Payment.objects.filter(order=OuterRef("pk"), status=PaymentRecordStatus.REFUND_DUE)
    rows: list[dict] = []
    for problem, queryset in (
        (
            "awaiting_confirmation_without_transfer",
            Order.objects.filter(payment_status=PaymentStatus.AWAITING_CONFIRMATION).exclude(
                Exists(pending_transfer)
            ),
        ),
        (
            "refund_due_without_payment",
            Order.objects.filter(payment_status=PaymentStatus.REFUND_DUE).exclude(
                Exists(owed_back)
            ),
        ),
        (
            "pending_transfer_not_awaited",
            Order.objects.filter(Exists(pending_transfer)).exclude(
                payment_status=PaymentStatus.AWAITING_CONFIRMATION
            ),
        ),
    ):
        rows += [
            {"problem": problem, "order": number}
            for number in queryset.order_by("pk").values_list("number", flat=True)[:100]
        ]
    return rows
