"""Two-tier distribution: a distributor allocates part of its credit line to a
sub-reseller (分配额度), reclaims what is unused (回收额度), and the sub-reseller's checkout
on delegated credit charges the delegated line and the distributor's line together.

Locks (``billing.locks`` level 4): the distributor's credit account, then the delegated
line. The distributor's account carries the totals of its lines under the CHECK
``used + delegated_limit - delegated_used <= credit_limit`` (README "Two-tier
distribution"), so an over-allocation is refused by the database too.
"""

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.core.money import format_amounts, to_money
from billing import locks
from billing.models import (
    CreditAccount,
    CreditEntryType,
    DelegatedCreditEntry,
    DelegatedCreditEntryType,
    DelegatedCreditLine,
)
from billing.notices import company_notify

from . import credit as credit_services
from .delegated_ledger import delegated_post, usage_alerts
from .errors import BillingError
from .ledger import positive, required_reason

ASSETS_CREDIT_PAGE = "portal:assets_credit"


def may_allocate(user) -> bool:
    """A distributor's 管理员, or a 协同管理员 its 管理员 granted ``can_allocate``
    (one rule for credit and coupon quota: ``partners.selectors.can_allocate``)."""
    from partners.selectors import can_allocate

    return can_allocate(user)


def _sub_reseller(*, actor, reseller_id: int):
    """The actor's distributor's sub-reseller ``reseller_id`` (refusals as BillingError)."""
    from partners.models import Company

    if not may_allocate(actor):
        raise BillingError(
            _("Only the distributor's administrator may allocate or reclaim credit."),
            code="forbidden",
        )
    reseller = Company.objects.filter(pk=reseller_id, parent_id=actor.company_id).first()
    if reseller is None:
        raise BillingError(_("Choose one of your resellers."), code="reseller")
    return reseller


def _lock_pair(*, distributor_id: int, reseller_id: int, currency: str):
    """The distributor's credit account, then the sub-reseller's delegated line (created
    at zero on first use, under the account's lock), both locked."""
    account = credit_services.credit_account_lock(company_id=distributor_id, currency=currency)
    DelegatedCreditLine.objects.get_or_create(
        reseller_id=reseller_id, currency=currency, defaults={"distributor_id": distributor_id}
    )
    line = locks.lock_delegated_line(
        reseller_id=reseller_id, currency=currency, distributor_id=distributor_id
    )
    return account, line


def _check_expected(line: DelegatedCreditLine, expected_limit) -> None:
    if expected_limit is not None and to_money(expected_limit) != line.credit_limit:
        raise BillingError(
            _(
                "The allocation changed since you opened this page: it is now %(limit)s."
                " Review it and submit again."
            )
            % format_amounts(line.currency, limit=line.credit_limit),
            code="stale",
        )


def _account_totals(account: CreditAccount, *, limit=0, used=0) -> None:
    """Move the distributor's delegated totals (its CHECK refuses an over-allocation)."""
    account.delegated_limit += limit
    account.delegated_used += used
    account.save(update_fields=["delegated_limit", "delegated_used", "updated_at"])


def _mail_reseller(line: DelegatedCreditLine, kind: str, amount, reason: str) -> None:
    company_notify(
        company_id=line.reseller_id,
        kind=kind,
        context={
            "distributor": line.distributor.name,
            **format_amounts(
                line.currency, amount=amount, limit=line.credit_limit, available=line.available
            ),
            "reason": reason,
        },
        link_name=ASSETS_CREDIT_PAGE,
    )


@transaction.atomic
def credit_allocate(
    *,
    actor,
    reseller_id: int,
    currency: str,
    amount,
    reason: str,
    expected_limit=None,
    idempotency_key: str | None = None,
) -> DelegatedCreditEntry:
    """分配额度: move ``amount`` of the distributor's available credit to the sub-reseller's
    delegated line. Refused beyond the distributor's available credit, while it has an
    overdue bill, or when the line changed since the form (``expected_limit``)."""
    amount = positive(amount)
    reason = required_reason(reason)
    reseller = _sub_reseller(actor=actor, reseller_id=reseller_id)
    account, line = _lock_pair(
        distributor_id=actor.company_id, reseller_id=reseller.pk, currency=currency
    )
    _check_expected(line, expected_limit)
    if credit_services.is_blocked_by_overdue(account):
        raise BillingError(
            _("Credit cannot be allocated while a bill is overdue. Repay the overdue bill first."),
            code="overdue",
        )
    if amount > account.available:
        raise BillingError(
            _("Your available credit is %(available)s; %(amount)s cannot be allocated.")
            % format_amounts(currency, available=account.available, amount=amount),
            code="insufficient",
        )
    entry, created = delegated_post(
        line=line,
        entry_type=DelegatedCreditEntryType.ALLOCATE,
        amount=amount,
        idempotency_key=idempotency_key or f"allocate:{uuid.uuid4()}",
        actor=actor,
        reason=reason,
    )
    if created:
        _account_totals(account, limit=amount)
        _mail_reseller(line, "delegated_credit_allocated", amount, reason)
    return entry


@transaction.atomic
def credit_reclaim(
    *,
    actor,
    reseller_id: int,
    currency: str,
    amount,
    reason: str,
    expected_limit=None,
    idempotency_key: str | None = None,
) -> DelegatedCreditEntry:
    """回收额度: take back unused delegated credit; never below what the sub-reseller used."""
    amount = positive(amount)
    reason = required_reason(reason)
    reseller = _sub_reseller(actor=actor, reseller_id=reseller_id)
    account, line = _lock_pair(
        distributor_id=actor.company_id, reseller_id=reseller.pk, currency=currency
    )
    _check_expected(line, expected_limit)
    if amount > line.available:
        raise BillingError(
            _(
                "Only the unused credit can be reclaimed: %(available)s"
                " (the sub-reseller has used %(used)s)."
            )
            % format_amounts(currency, available=line.available, used=line.used),
            code="below_used",
        )
    entry, created = delegated_post(
        line=line,
        entry_type=DelegatedCreditEntryType.RECLAIM,
        amount=-amount,
        idempotency_key=idempotency_key or f"reclaim:{uuid.uuid4()}",
        actor=actor,
        reason=reason,
    )
    if created:
        _account_totals(account, limit=-amount)
        _mail_reseller(line, "delegated_credit_reclaimed", amount, reason)
    return entry


def delegated_line_of(*, company_id: int, currency: str) -> DelegatedCreditLine | None:
    """The delegated line a checkout of ``company_id`` in ``currency`` pays 账期 from
    (one with a limit above zero), else None (its own credit line)."""
    return (
        DelegatedCreditLine.objects.filter(
            reseller_id=company_id, currency=currency, credit_limit__gt=0
        )
        .select_related("distributor")
        .first()
    )


def delegated_lock(*, company_id: int, currency: str):
    """Checkout's lock phase for a sub-reseller on delegated credit: the distributor's
    credit account, then the sub-reseller's line (``billing.locks`` level 4)."""
    line = delegated_line_of(company_id=company_id, currency=currency)
    if line is None:  # reclaimed to zero since the caller looked
        raise BillingError(
            _("Your company has no credit line in this currency."), code="no_credit_line"
        )
    return _lock_pair(distributor_id=line.distributor_id, reseller_id=company_id, currency=currency)


@transaction.atomic
def delegated_charge(
    *,
    account: CreditAccount,
    line: DelegatedCreditLine,
    amount,
    order_number: str,
    actor,
    idempotency_key: str,
):
    """Checkout on delegated credit: charge the sub-reseller's line and the distributor's
    credit account (Blue Cloud bills the distributor), on the rows ``delegated_lock`` holds."""
    amount = positive(amount)
    if credit_services.is_blocked_by_overdue(account):
        raise BillingError(
            _("Credit pay is unavailable: your distributor has an overdue bill."),
            code="overdue",
        )
    if amount > line.available:
        raise credit_services.insufficient_credit(line.available, amount, line.currency)
    reseller_name = actor.company.name
    credit_entry, created = credit_services._post(
        account=account,
        amount=amount,
        entry_type=CreditEntryType.CHARGE,
        idempotency_key=idempotency_key,
        actor=actor,
        order_number=order_number,
        reason=_("Sub-reseller %(name)s") % {"name": reseller_name},
        delegated=True,
    )
    if not created:
        return credit_entry
    used_before = line.used
    delegated_post(
        line=line,
        entry_type=DelegatedCreditEntryType.CHARGE,
        amount=amount,
        idempotency_key=f"{idempotency_key}:delegated",
        actor=actor,
        order_number=order_number,
        credit_entry=credit_entry,
    )
    usage_alerts(line, used_before, reseller_name)
    return credit_entry
