"""Reads about receipts (到账登记): what finance may allocate a company's receipt to, and
the ``check_ledgers`` invariant of allocations."""

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from backoffice.core.money import to_money

from ..models import (
    Bill,
    Order,
    OrderPaymentMethod,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
    Receipt,
    ReceiptAllocation,
    ReceiptStatus,
    Repayment,
    RepaymentMethod,
    RepaymentStatus,
)
from ..rules import OPEN_BILL_STATUSES
from . import ZERO

LIMIT = 100  # offending rows listed per problem

ALLOCATABLE_RECEIPT_STATUSES = (ReceiptStatus.UNALLOCATED, ReceiptStatus.PARTLY_ALLOCATED)


def receipts_awaiting_approval() -> QuerySet[Receipt]:
    """Receipts above the four-eyes threshold waiting for a second finance user."""
    return Receipt.objects.filter(status=ReceiptStatus.AWAITING_APPROVAL)


def _in(currency: str | None, field: str) -> dict:
    """A filter on ``field`` when a currency is given (the console's first form lists
    every currency's items; the remainder of a receipt, only its own)."""
    return {field: currency} if currency else {}


def scope_filters(
    company_id: int | None, currency: str | None, *, company: str, money: str
) -> dict:
    """Filters on the company (the field ``company``) and the currency (``money``), each
    when given: the receipt form asks for one company's items, the bank reconciliation
    for every company's."""
    filters = _in(currency, money)
    if company_id is not None:
        filters[company] = company_id
    return filters


def receipt_open_bills(*, company_id: int, currency: str | None = None) -> QuerySet[Bill]:
    """Bills a receipt may repay: open, in its currency, claimed by no repayment."""
    return (
        Bill.objects.filter(
            account__company_id=company_id,
            status__in=OPEN_BILL_STATUSES,
            **_in(currency, "account__currency"),
        )
        .exclude(claims__active=True)
        .order_by("due_date", "pk")
    )


# What partners owe money for and may pay by bank transfer: the items a receipt (到账登记)
# may settle and a bank statement line (billing.selectors.bankstatements) may match.


def awaited_orders(
    *, company_id: int | None = None, currency: str | None = None
) -> QuerySet[Order]:
    """Offline orders waiting for a transfer nobody reported yet."""
    return Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT,
        payment_method=OrderPaymentMethod.OFFLINE,
        payment_status=PaymentStatus.UNPAID,
        **scope_filters(company_id, currency, company="company_id", money="currency"),
    )


def awaited_payments(
    *, company_id: int | None = None, currency: str | None = None
) -> QuerySet[Payment]:
    """Offline transfers partners reported, waiting for finance."""
    return Payment.objects.filter(
        kind=PaymentKind.OFFLINE,
        status=PaymentRecordStatus.PENDING,
        **scope_filters(company_id, currency, company="order__company_id", money="currency"),
    )


def awaited_repayments(
    *, company_id: int | None = None, currency: str | None = None
) -> QuerySet[Repayment]:
    """Offline repayments partners submitted, under review."""
    return Repayment.objects.filter(
        status=RepaymentStatus.SUBMITTED,
        method=RepaymentMethod.OFFLINE,
        **scope_filters(
            company_id, currency, company="account__company_id", money="account__currency"
        ),
    )


def receipt_unpaid_orders(*, company_id: int, currency: str | None = None) -> QuerySet[Order]:
    """Offline orders of the company waiting for a transfer nobody reported yet."""
    return awaited_orders(company_id=company_id, currency=currency).order_by("created_at", "pk")


def receipt_pending_payments(*, company_id: int, currency: str | None = None) -> QuerySet[Payment]:
    """Offline transfers the partner reported, waiting for finance."""
    return (
        awaited_payments(company_id=company_id, currency=currency)
        .select_related("order")
        .order_by("created_at", "pk")
    )


def receipt_pending_repayments(
    *, company_id: int, currency: str | None = None
) -> QuerySet[Repayment]:
    """Offline repayments the partner submitted, under review."""
    return (
        awaited_repayments(company_id=company_id, currency=currency)
        .select_related("account")
        .order_by("created_at", "pk")
    )


def receipt_problems() -> list[dict]:
    """Offending receipts; [] when the receipts invariant holds.

    * ``receipt_allocated_mismatch``: ``allocated`` differs from the sum of its
      allocations;
    * ``receipt_over_allocated``: the allocations exceed the receipt's amount (the CHECK
      constraint keeps ``allocated`` within it; this catches rows written around it);
    * ``receipt_allocated_not_posted``: a receipt awaiting approval or rejected with
      allocations.
    """
    totals = Coalesce(
        Subquery(
            ReceiptAllocation.objects.filter(receipt=OuterRef("pk"))
            .values("receipt_id")
            .annotate(total=Sum("amount"))
            .values("total")
        ),
        ZERO,
    )
    rows: list[dict] = []
    receipts = Receipt.objects.annotate(total=totals).values_list(
        "pk", "amount", "allocated", "status", "total"
    )
    # Compared as quantised Decimals here (SQLite sums decimals in floating point).
    for pk, amount, allocated, status, total in receipts.iterator(chunk_size=5000):
        total = to_money(total)
        if to_money(allocated) != total:
            rows.append({"problem": "receipt_allocated_mismatch", "receipt": pk})
        if total > to_money(amount):
            rows.append({"problem": "receipt_over_allocated", "receipt": pk})
        if total and status in (ReceiptStatus.AWAITING_APPROVAL, ReceiptStatus.REJECTED):
            rows.append({"problem": "receipt_allocated_not_posted", "receipt": pk})
        if len(rows) >= LIMIT:
            break
    return rows
