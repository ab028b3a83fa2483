"""Reads about provider payments: a company's online repayment, the 待退款 queue and the
ledger invariant that no money a provider confirmed was dropped."""

from django.db.models import Q, QuerySet

from ..models import (
    MONEY_RECEIVED_STATUSES,
    OnlineRepayment,
    OrderStatus,
    Payment,
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
