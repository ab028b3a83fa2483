"""Receipts (到账登记): finance posts a bank transfer that arrived and allocates it.

A receipt is one incoming transfer for a company. Its allocations settle, through the
very services a partner's own submissions go through, so bills, ledgers and orders move
exactly as when finance confirms what a partner reported:

- ``"bills"``: open bills of the company's credit account: an offline repayment is
  created for finance (``bills.offline_repayment_create``) and confirmed
  (``bills.repayment_confirm``);
- ``"order"``: an unpaid offline order: an offline payment is created
  (``orders.offline_payment_create``) and confirmed (``orders.payment_confirm_offline``);
- ``"payment"``: an offline payment the partner reported, still pending: confirmed;
- ``"repayment"``: an offline repayment the partner submitted, under review: confirmed.

Each allocation must be exactly what its target needs; what is not allocated stays on
the receipt (unallocated, shown on the company) and is allocated later
(``receipt_allocate``).

**Idempotency.** (bank account, bank reference) is unique among receipts that are not
rejected (``billing_receipt_one_per_transfer``). ``receipt_post`` inserts the receipt as
its first statement, so a concurrent twin waits on the index and is then refused.

**Four-eyes.** Above ``FOUR_EYES_THRESHOLD`` the receipt row is inserted at once with
status "awaiting approval" (so it claims its transfer key: a second request of the same
transfer is refused even while the first waits) together with a ``PendingPosting`` of kind
``receipt`` whose ``payload`` holds the allocations. ``approvals.posting_approve`` by a
second finance user runs ``receipt_approve_pending`` (the receipt becomes posted and its
allocations are applied); ``approvals.posting_reject`` runs ``receipt_reject_pending``
(the receipt is rejected, which frees the transfer key). Allocating a remainder later
needs no second user: the money was checked when it was posted.

Lock order (``billing.locks``): the receipt, then the orders of the allocations in
primary-key order, their payments, the repayments in primary-key order, then the credit
account and its bills. The payment or repayment an allocation creates is then confirmed
by the usual service, which locks it again: a row of this transaction that nobody else
can see yet, so taking it after the account waits on no one.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backoffice.core.money import format_amounts, format_money, to_money
from billing import locks
from billing.models import (
    BankAccount,
    Bill,
    Order,
    OrderPaymentMethod,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
    PendingPosting,
    PendingPostingKind,
    Receipt,
    ReceiptAllocation,
    ReceiptAllocationKind,
    ReceiptStatus,
    Repayment,
    RepaymentBill,
    RepaymentMethod,
    RepaymentStatus,
)
from billing.rules import OPEN_BILL_STATUSES
from partners.models import Company
from partners.uploads import CheckedFile, check_form_upload

from .bills import offline_repayment_create, repayment_confirm
from .credit import not_in_future
from .errors import BillingError
from .ledger import needs_second_approval, positive, required_text
from .orders import offline_payment_create, payment_confirm_offline

# Who may post, allocate and (as the second user) approve a receipt.
RECEIPT_PERMISSION = "billing.add_receipt"

# The bank slip attached to a receipt (after partners.uploads.check_upload).
ATTACHMENT_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")

BILLS, ORDER, PAYMENT, REPAYMENT = "bills", "order", "payment", "repayment"
ALLOCATION_KINDS = (BILLS, ORDER, PAYMENT, REPAYMENT)
# The order allocations are applied in, which is the lock order (orders, their payments,
# repayments, then the credit account and its bills).
_APPLY_ORDER = {ORDER: 0, PAYMENT: 1, REPAYMENT: 2, BILLS: 3}


@dataclass(frozen=True)
class Allocation:
    """A part of a receipt for one target; ``amount`` must be what the target needs."""

    kind: str  # "bills" | "order" | "payment" | "repayment"
    target_ids: tuple[int, ...]
    amount: Decimal

    def as_payload(self) -> dict:
        return {"kind": self.kind, "target_ids": list(self.target_ids), "amount": str(self.amount)}

    @classmethod
    def from_payload(cls, data: dict) -> "Allocation":
        return cls(
            kind=data["kind"],
            target_ids=tuple(int(pk) for pk in data["target_ids"]),
            amount=to_money(data["amount"]),
        )


def _require_finance(actor) -> None:
    if actor is None or not actor.has_perm(RECEIPT_PERMISSION):
        raise BillingError(
            _("You do not have the finance permission for this posting."), code="permission"
        )


def _clean_allocations(
    allocations: Sequence[Allocation], available: Decimal, currency: str
) -> list[Allocation]:
    """Normalised allocations (kinds known, amounts positive, one target per order, payment
    or repayment, no target twice), refused when they total more than ``available``."""
    cleaned: list[Allocation] = []
    seen: set[tuple[str, int]] = set()
    for allocation in allocations:
        if allocation.kind not in ALLOCATION_KINDS:
            raise BillingError(_("Unknown allocation."), code="allocation_kind")
        ids = tuple(int(pk) for pk in allocation.target_ids)
        if not ids or (allocation.kind != BILLS and len(ids) != 1):
            raise BillingError(_("Choose what this part of the receipt pays."), code="no_target")
        keys = {(allocation.kind, pk) for pk in ids}
        if keys & seen or len(keys) != len(ids):
            raise BillingError(_("The same item is chosen twice."), code="duplicate_target")
        seen |= keys
        cleaned.append(Allocation(allocation.kind, ids, positive(allocation.amount)))
    total = sum((a.amount for a in cleaned), Decimal("0"))
    if total > available:
        raise BillingError(
            _("The allocations total %(total)s, more than the %(available)s left on the receipt.")
            % format_amounts(currency, total=total, available=available),
            code="over_allocated",
        )
    return sorted(cleaned, key=lambda a: (_APPLY_ORDER[a.kind], a.target_ids))


def _needs(what: str, needed: Decimal, allocation: Allocation, currency: str) -> None:
    if needed != allocation.amount:
        raise BillingError(
            _("%(what)s needs exactly %(needed)s, not %(amount)s.")
            % {
                "what": what,
                "needed": format_money(needed, currency),
                "amount": format_money(allocation.amount, currency),
            },
            code="amount_mismatch",
        )


def _not_found() -> BillingError:
    return BillingError(
        _(
            "Choose open bills, unpaid orders, reported transfers or repayments of this "
            "company, in the currency of the receipt."
        ),
        code="not_found",
    )


def _check_target(*, company_id: int, currency: str, allocation: Allocation) -> None:
    """Refused unless the allocation's target belongs to the company, in the receipt's
    currency, still waits for money, and needs exactly the allocation's amount. Called
    before a four-eyes request is stored and again under the locks before applying."""
    kind, ids = allocation.kind, allocation.target_ids
    if kind == BILLS:
        bills = list(
            Bill.objects.filter(
                pk__in=ids, account__company_id=company_id, account__currency=currency
            )
        )
        if len(bills) != len(ids):
            raise _not_found()
        numbers = "、".join(b.number for b in bills)
        if any(b.status not in OPEN_BILL_STATUSES for b in bills):
            raise BillingError(
                _("Bill %(numbers)s is already settled.") % {"numbers": numbers},
                code="bill_settled",
            )
        if RepaymentBill.objects.filter(bill__in=bills, active=True).exists():
            raise BillingError(
                _(
                    "A bill among %(numbers)s has a repayment under review: allocate to that "
                    "repayment instead."
                )
                % {"numbers": numbers},
                code="claimed",
            )
        what = _("Bill %(numbers)s") % {"numbers": numbers}
        _needs(what, sum((b.amount for b in bills), Decimal("0")), allocation, currency)
    elif kind == ORDER:
        order = Order.objects.filter(pk=ids[0], company_id=company_id).first()
        if order is None or order.currency != currency:
            raise _not_found()
        if (
            order.status != OrderStatus.PENDING_PAYMENT
            or order.payment_method != OrderPaymentMethod.OFFLINE
            or order.payment_status != PaymentStatus.UNPAID
        ):
            raise BillingError(
                _("Order %(number)s does not wait for an offline payment.")
                % {"number": order.number},
                code="not_payable",
            )
        _needs(
            _("Order %(number)s") % {"number": order.number}, order.amount_due, allocation, currency
        )
    elif kind == PAYMENT:
        payment = Payment.objects.filter(
            pk=ids[0], kind=PaymentKind.OFFLINE, order__company_id=company_id, currency=currency
        ).first()
        if payment is None:
            raise _not_found()
        if payment.status != PaymentRecordStatus.PENDING:
            raise BillingError(
                _("Transfer %(reference)s no longer waits for confirmation.")
                % {"reference": payment.reference},
                code="not_pending",
            )
        what = _("Transfer %(reference)s") % {"reference": payment.reference}
        _needs(what, payment.amount, allocation, currency)
    else:
        repayment = Repayment.objects.filter(
            pk=ids[0],
            method=RepaymentMethod.OFFLINE,
            account__company_id=company_id,
            account__currency=currency,
        ).first()
        if repayment is None:
            raise _not_found()
        if repayment.status != RepaymentStatus.SUBMITTED:
            raise BillingError(_("This repayment is no longer under review."), code="not_submitted")
        _needs(_("The repayment"), repayment.amount, allocation, currency)


def _payer(receipt: Receipt) -> str:
    return receipt.payer_account or receipt.payer_name or receipt.bank_reference


def _apply_one(receipt: Receipt, allocation: Allocation, actor) -> ReceiptAllocation:
    """Settle one target through the partner-submission services (locks held above)."""
    _check_target(company_id=receipt.company_id, currency=receipt.currency, allocation=allocation)
    kind, pk = allocation.kind, allocation.target_ids[0]
    if kind in (BILLS, REPAYMENT):
        if kind == BILLS:
            pk = offline_repayment_create(
                company_id=receipt.company_id,
                currency=receipt.currency,
                bill_ids=list(allocation.target_ids),
                payer_account=_payer(receipt),
                paid_on=receipt.value_date,
                actor=actor,
            ).pk
        repayment = repayment_confirm(repayment_id=pk, actor=actor)
        # A bill may have changed between the check and its lock: the repayment, created
        # under the lock, is what was settled.
        _needs(_("The repayment"), repayment.amount, allocation, receipt.currency)
        target = {"kind": ReceiptAllocationKind.REPAYMENT, "repayment": repayment}
    else:
        if kind == ORDER:
            pk = offline_payment_create(
                locks.lock_order(pk),
                actor=actor,
                payer_account=_payer(receipt),
                paid_on=receipt.value_date,
                transfer_reference=receipt.bank_reference,
            ).pk
        payment = payment_confirm_offline(payment_id=pk, actor=actor)
        target = {"kind": ReceiptAllocationKind.PAYMENT, "payment": payment}
    return ReceiptAllocation.objects.create(
        receipt=receipt, amount=allocation.amount, created_by=actor, **target
    )


def _lock_targets(allocations: list[Allocation]) -> None:
    """Levels 1-2 of the lock order: every order paid, then every repayment confirmed,
    each group in primary-key order (the credit account and bills follow in the services)."""
    order_ids = {a.target_ids[0] for a in allocations if a.kind == ORDER}
    payment_ids = [a.target_ids[0] for a in allocations if a.kind == PAYMENT]
    order_ids |= set(Payment.objects.filter(pk__in=payment_ids).values_list("order_id", flat=True))
    if order_ids:
        locks.lock_orders(order_ids)
    if repayment_ids := [a.target_ids[0] for a in allocations if a.kind == REPAYMENT]:
        locks.lock_repayments(repayment_ids)


def _apply(receipt: Receipt, allocations: Sequence[Allocation], actor) -> Receipt:
    """Apply ``allocations`` to the locked, posted ``receipt`` and update what is allocated."""
    allocations = _clean_allocations(allocations, receipt.remainder, receipt.currency)
    if not allocations:
        return receipt
    _lock_targets(allocations)
    for allocation in allocations:
        _apply_one(receipt, allocation, actor)
    receipt.allocated += sum((a.amount for a in allocations), Decimal("0"))
    receipt.status = (
        ReceiptStatus.ALLOCATED
        if receipt.allocated == receipt.amount
        else ReceiptStatus.PARTLY_ALLOCATED
    )
    receipt.save(update_fields=["allocated", "status"])
    return receipt


def _checked_attachment(upload) -> CheckedFile | None:
    """The receipt's bank slip: PDF, JPG or PNG of at most 10 MB, checked by content."""
    if not upload:
        return None
    return check_form_upload(
        upload,
        field="attachment",
        error=BillingError,
        content_types=ATTACHMENT_CONTENT_TYPES,
        wrong_type=_("The attachment must be a PDF, JPG or PNG file."),
    )


def _posted_twin(bank_account_id: int, bank_reference: str) -> Receipt | None:
    return (
        Receipt.objects.filter(bank_account_id=bank_account_id, bank_reference=bank_reference)
        .exclude(status=ReceiptStatus.REJECTED)
        .first()
    )


def duplicate_receipt_error(receipt: Receipt) -> BillingError:
    """The refusal of a transfer (bank account, bank reference) posted already."""
    return BillingError(
        _(
            "This transfer (bank account, bank reference) has already been posted as receipt "
            "%(number)s."
        )
        % {"number": receipt.number},
        code="duplicate_receipt",
    )


def receipt_post(
    *,
    actor,
    company_id: int,
    bank_account_id: int,
    amount,
    currency: str,
    value_date: date,
    bank_reference: str,
    payer_name: str = "",
    payer_account: str = "",
    memo: str = "",
    attachment=None,
    allocations: Sequence[Allocation] = (),
) -> Receipt | PendingPosting:
    """Record a bank transfer for a company and apply ``allocations`` (the rest stays
    unallocated). Above the four-eyes threshold: a ``PendingPosting`` (nothing settled yet).
    Refused when the same (bank account, bank reference) is already posted or waiting."""
    _require_finance(actor)
    amount = positive(amount)
    missing = _("Enter the bank reference of the transfer.")
    bank_reference = required_text(bank_reference, field="bank_reference", message=missing)
    not_in_future(
        value_date, field="value_date", message=_("The value date cannot be in the future.")
    )
    bank_account = BankAccount.objects.filter(pk=bank_account_id, active=True).first()
    if bank_account is None:
        raise BillingError(
            {"bank_account": [_("Choose an active bank account.")]}, code="bank_account"
        )
    if bank_account.currency != currency:
        raise BillingError(
            {
                "currency": [
                    _("The bank account receives %(currency)s only.")
                    % {"currency": bank_account.currency}
                ]
            },
            code="currency",
        )
    if not Company.objects.filter(pk=company_id).exists():
        raise BillingError({"company": [_("Choose a company.")]}, code="company")
    cleaned = _clean_allocations(allocations, amount, currency)
    checked = _checked_attachment(attachment)
    pending = needs_second_approval(kind=PendingPostingKind.RECEIPT, amount=amount)
    with transaction.atomic():
        try:
            with transaction.atomic():
                receipt = Receipt.objects.create(
                    company_id=company_id,
                    bank_account=bank_account,
                    amount=amount,
                    currency=currency,
                    value_date=value_date,
                    bank_reference=bank_reference[:64],
                    payer_name=(payer_name or "").strip()[:100],
                    payer_account=(payer_account or "").strip()[:50],
                    memo=(memo or "").strip()[:200],
                    status=ReceiptStatus.AWAITING_APPROVAL
                    if pending
                    else ReceiptStatus.UNALLOCATED,
                    created_by=actor,
                )
        except IntegrityError:
            twin = _posted_twin(bank_account.pk, bank_reference[:64])
            if twin is None:
                raise
            raise duplicate_receipt_error(twin) from None
        if pending:
            for allocation in cleaned:
                _check_target(company_id=company_id, currency=currency, allocation=allocation)
            receipt.pending = PendingPosting.objects.create(
                kind=PendingPostingKind.RECEIPT,
                company_id=company_id,
                currency=currency,
                amount=amount,
                reason=(_("Receipt %(number)s") % {"number": receipt.number})[:200],
                maker=actor,
                payload={"allocations": [a.as_payload() for a in cleaned]},
            )
            result = receipt.pending
        else:
            result = _apply(receipt, cleaned, actor)
        if checked is not None:
            receipt.attachment_name = checked.name[:120]
            checked.store(receipt.attachment)
        receipt.save(update_fields=["pending", "attachment", "attachment_name"])
        return result


@transaction.atomic
def receipt_allocate(*, receipt_id: int, allocations: Sequence[Allocation], actor) -> Receipt:
    """Allocate (part of) a posted receipt's remainder, under the receipt's lock."""
    _require_finance(actor)
    try:
        receipt = locks.lock_receipt(receipt_id)
    except Receipt.DoesNotExist as exc:
        raise BillingError(_("This receipt does not exist."), code="missing") from exc
    if receipt.status not in (ReceiptStatus.UNALLOCATED, ReceiptStatus.PARTLY_ALLOCATED):
        raise BillingError(
            _("Receipt %(number)s has nothing left to allocate.") % {"number": receipt.number}
            if receipt.status == ReceiptStatus.ALLOCATED
            else _("Receipt %(number)s is not posted.") % {"number": receipt.number},
            code="not_allocatable",
        )
    if not allocations:
        raise BillingError(_("Choose what the receipt pays."), code="no_allocation")
    return _apply(receipt, allocations, actor)


def _pending_receipt(pending: PendingPosting) -> Receipt:
    receipt = locks.lock_receipt(pending.receipt.pk)
    if receipt.status != ReceiptStatus.AWAITING_APPROVAL:
        raise BillingError(_("This posting was already decided."), code="decided")
    return receipt


def receipt_approve_pending(*, pending: PendingPosting, actor) -> Receipt:
    """Run by ``approvals.posting_approve`` under the pending row's lock: the receipt is
    posted and its allocations applied (refused, nothing changed, when one no longer fits)."""
    receipt = _pending_receipt(pending)
    receipt.status = ReceiptStatus.UNALLOCATED
    receipt.save(update_fields=["status"])
    allocations = [Allocation.from_payload(a) for a in pending.payload.get("allocations", [])]
    return _apply(receipt, allocations, actor)


def receipt_reject_pending(*, pending: PendingPosting) -> Receipt:
    """Run by ``approvals.posting_reject``: the receipt is rejected, its transfer key freed."""
    receipt = _pending_receipt(pending)
    receipt.status = ReceiptStatus.REJECTED
    receipt.save(update_fields=["status"])
    return receipt
