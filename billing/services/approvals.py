"""Four-eyes on finance postings (manual rebate grant, credit limit, offline consumption,
receipts: ``receipts.receipt_post`` stores its own pending posting, approved here).

``posting_request`` is what the console calls. A posting whose amount is above
``settings.FOUR_EYES_THRESHOLD`` is stored as a ``PendingPosting`` and changes no
ledger; at or below it, the real service runs at once. ``posting_approve`` by a
*second* finance user runs the real service under the pending row's lock, with the
idempotency key ``pending:<id>``, so approving twice posts once.

Which amount is compared with the threshold:

- wallet grant and offline consumption: the posted amount;
- credit limit: the **new limit** (not the increase). A limit is the exposure Blue
  Cloud takes, and comparing the new limit cannot be split into small increases;
  the price is that a term-days change on a large line also needs a second user.

The maker can neither approve nor reject their own posting (the database refuses a
decided posting whose checker is its maker).
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import to_money
from billing.models import (
    CreditAccount,
    PendingPosting,
    PendingPostingKind,
    PendingPostingStatus,
    RebateWallet,
)
from partners.services import company_terms_set

from .bankstatements import bank_lines_follow_receipt
from .credit import credit_limit_set, credit_offline_charge
from .errors import BillingError
from .ledger import needs_second_approval, required_reason
from .receipts import RECEIPT_PERMISSION, receipt_approve_pending, receipt_reject_pending
from .wallet import wallet_grant

# The permission a user needs to enter or decide each kind of posting.
KIND_PERMISSIONS = {
    PendingPostingKind.WALLET_GRANT: "billing.change_rebatewallet",
    PendingPostingKind.CREDIT_LIMIT: "billing.change_creditaccount",
    PendingPostingKind.OFFLINE_CHARGE: "billing.change_creditaccount",
    PendingPostingKind.COMPANY_TERMS: "billing.change_creditaccount",
    PendingPostingKind.RECEIPT: RECEIPT_PERMISSION,
}
# Finance's right: who decides company terms, and whose own terms changes need no checker.
FINANCE_PERMISSION = "billing.change_creditaccount"


def _require_permission(user, kind: str) -> None:
    if not user.has_perm(KIND_PERMISSIONS[kind]):
        raise BillingError(
            _("You do not have the finance permission for this posting."), code="permission"
        )


def _clean_request(*, kind: str, company_id: int, currency: str, amount, term_days, reason):
    """The checks the real service would make before writing, so a bad request never waits."""
    reason = required_reason(reason)
    amount = to_money(amount)
    if kind == PendingPostingKind.CREDIT_LIMIT:
        if amount < 0:
            raise BillingError(_("The limit cannot be negative."), code="negative")
        if term_days is None or not 1 <= int(term_days) <= 365:
            raise BillingError(_("Term days must be between 1 and 365."), code="term_range")
        if not CreditAccount.objects.filter(company_id=company_id, currency=currency).exists():
            raise BillingError(
                _("This company has no %(currency)s credit line.") % {"currency": currency}
            )
    else:
        if amount <= 0:
            raise BillingError(_("The amount must be greater than zero."), code="not_positive")
        model = RebateWallet if kind == PendingPostingKind.WALLET_GRANT else CreditAccount
        if not model.objects.filter(company_id=company_id, currency=currency).exists():
            message = (
                _("This company has no %(currency)s rebate wallet.")
                if model is RebateWallet
                else _("This company has no %(currency)s credit line.")
            )
            raise BillingError(message % {"currency": currency})
    return amount, reason


def _execute(
    *,
    kind: str,
    company_id,
    currency,
    amount,
    term_days,
    reason,
    actor,
    idempotency_key,
    pending: PendingPosting | None = None,
):
    """Run the real service. Returns (result object, reference for the pending row)."""
    if kind == PendingPostingKind.RECEIPT:
        receipt = receipt_approve_pending(pending=pending, actor=actor)
        bank_lines_follow_receipt(receipt=receipt, approved=True)
        return receipt, receipt.number
    if kind == PendingPostingKind.COMPANY_TERMS:
        company = company_terms_set(
            company_id=company_id,
            tier=pending.tier,
            revenue_share_rate=pending.revenue_share_rate,
            actor=actor,
            reason=reason,
        )
        return company, f"company:{company.pk}"
    if kind in (PendingPostingKind.WALLET_GRANT, PendingPostingKind.OFFLINE_CHARGE):
        post = wallet_grant if kind == PendingPostingKind.WALLET_GRANT else credit_offline_charge
        entry = post(
            company_id=company_id,
            currency=currency,
            amount=amount,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return entry, entry.number
    change = credit_limit_set(
        company_id=company_id,
        currency=currency,
        credit_limit=amount,
        term_days=term_days,
        actor=actor,
        reason=reason,
    )
    return change, f"limit-change:{change.pk}"


def posting_request(
    *,
    kind: str,
    company_id: int,
    currency: str,
    amount,
    maker,
    reason: str,
    term_days: int | None = None,
    idempotency_key: str | None = None,
):
    """Enter a posting. Above the threshold: a ``PendingPosting`` (no ledger effect).

    At or below it: the real service runs now and its result is returned
    (``RebateEntry``, ``CreditEntry`` or ``CreditLimitChange``). The idempotency key
    (the console form's one-time token) makes a double submit post or queue once.
    """
    if kind not in KIND_PERMISSIONS or kind == PendingPostingKind.RECEIPT:
        raise ValueError(
            f"not a posting kind of posting_request: {kind!r} (receipts: receipt_post)"
        )
    _require_permission(maker, kind)
    amount, reason = _clean_request(
        kind=kind,
        company_id=company_id,
        currency=currency,
        amount=amount,
        term_days=term_days,
        reason=reason,
    )
    if not needs_second_approval(kind=kind, amount=amount):
        result, _reference = _execute(
            kind=kind,
            company_id=company_id,
            currency=currency,
            amount=amount,
            term_days=term_days,
            reason=reason,
            actor=maker,
            idempotency_key=idempotency_key,
        )
        return result
    if idempotency_key:
        existing = PendingPosting.objects.filter(request_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return PendingPosting.objects.create(
                kind=kind,
                company_id=company_id,
                currency=currency,
                amount=amount,
                term_days=term_days if kind == PendingPostingKind.CREDIT_LIMIT else None,
                reason=reason[:200],
                maker=maker,
                request_key=idempotency_key or None,
            )
    except IntegrityError:
        existing = PendingPosting.objects.filter(request_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


def _lock_pending(pending_id: int) -> PendingPosting:
    try:
        return PendingPosting.objects.select_for_update().get(pk=pending_id)
    except PendingPosting.DoesNotExist as exc:
        raise BillingError(_("This posting does not exist."), code="missing") from exc


def _check_decider(pending: PendingPosting, checker) -> None:
    if pending.maker_id == checker.pk:
        raise BillingError(_("You cannot approve your own posting."), code="own_posting")
    _require_permission(checker, pending.kind)


@transaction.atomic
def posting_approve(*, pending_id: int, checker) -> PendingPosting:
    """A second finance user approves: the real posting is written, once."""
    pending = _lock_pending(pending_id)
    _check_decider(pending, checker)
    if pending.status == PendingPostingStatus.APPROVED:
        return pending  # approved already (double click): nothing is posted again
    if pending.status == PendingPostingStatus.REJECTED:
        raise BillingError(_("This posting was rejected; it cannot be approved."), code="rejected")
    _result, reference = _execute(
        kind=pending.kind,
        company_id=pending.company_id,
        currency=pending.currency,
        amount=pending.amount,
        term_days=pending.term_days,
        reason=pending.reason,
        actor=checker,
        idempotency_key=f"pending:{pending.pk}",
        pending=pending,
    )
    pending.status = PendingPostingStatus.APPROVED
    pending.checker = checker
    pending.decided_at = timezone.now()
    pending.result_reference = reference
    pending.save(update_fields=["status", "checker", "decided_at", "result_reference"])
    return pending


@transaction.atomic
def posting_reject(*, pending_id: int, checker, reason: str) -> PendingPosting:
    """A second finance user refuses the posting, with a reason; no ledger changes."""
    reason = required_reason(reason)
    pending = _lock_pending(pending_id)
    if pending.maker_id == checker.pk:
        raise BillingError(_("You cannot reject your own posting."), code="own_posting")
    _require_permission(checker, pending.kind)
    if pending.status != PendingPostingStatus.PENDING:
        raise BillingError(_("This posting was already decided."), code="decided")
    if pending.kind == PendingPostingKind.RECEIPT:
        bank_lines_follow_receipt(receipt=receipt_reject_pending(pending=pending), approved=False)
    pending.status = PendingPostingStatus.REJECTED
    pending.checker = checker
    pending.decided_at = timezone.now()
    pending.rejection_reason = reason[:200]
    pending.save(update_fields=["status", "checker", "decided_at", "rejection_reason"])
    return pending


def company_terms_request(*, company_id: int, tier, revenue_share_rate, maker, reason: str):
    """A company's new tier and revenue-share rate (empty: the tier's).

    Finance changes them at once. Anyone else (销售, an operator) enters a pending change
    that a finance user approves in the same queue as the postings, so the share paid
    out every month never moves on one person's word. Returns the company (changed) or
    the ``PendingPosting`` (waiting). Nothing happens when the terms are unchanged.
    """
    from partners.models import Company

    reason = required_reason(reason)
    if revenue_share_rate is not None:
        revenue_share_rate = Decimal(revenue_share_rate)
        if not Decimal("0") <= revenue_share_rate <= Decimal("1"):
            raise BillingError(
                {"revenue_share_rate": [_("The rate must be between 0 and 1.")]}, code="rate"
            )
    company = Company.objects.get(pk=company_id)
    if company.tier_id == tier.pk and company.revenue_share_rate == revenue_share_rate:
        return company
    if maker.has_perm(FINANCE_PERMISSION):
        return company_terms_set(
            company_id=company_id,
            tier=tier,
            revenue_share_rate=revenue_share_rate,
            actor=maker,
            reason=reason,
        )
    with transaction.atomic():
        return PendingPosting.objects.create(
            kind=PendingPostingKind.COMPANY_TERMS,
            company_id=company_id,
            currency="",
            amount=Decimal("0"),
            tier=tier,
            revenue_share_rate=revenue_share_rate,
            reason=reason[:200],
            maker=maker,
        )
