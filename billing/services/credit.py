"""Credit line (账期) postings: the limit, charges and their reversal, credit-pay codes.

``CreditAccount.used`` changes only through ``_post`` here (the repayments of
``billing.services.bills`` use it too), under a row lock, together with one
append-only ``CreditEntry`` (charges positive, repayments and reversals
negative). The database refuses ``used > credit_limit`` and ``used < 0``.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue
from backoffice.core.money import format_amounts, format_money, to_money
from billing import locks
from billing.models import (
    Bill,
    BillItem,
    BillStatus,
    CreditAccount,
    CreditEntry,
    CreditEntryType,
    CreditLimitChange,
    CreditPayCode,
    DelegatedCreditEntry,
    DelegatedCreditEntryType,
    Repayment,
)
from billing.numbering import credit_entry_number
from partners.selectors import company_mail_recipients

from .delegated_ledger import delegated_post
from .errors import BillingError
from .ledger import entry_write, positive, required_reason

ALERT_THRESHOLDS = (Decimal("0.70"), Decimal("0.85"))
CODE_TTL = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODE_MAX_ATTEMPTS = 5


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(_tz()).date()


def not_in_future(day: date, *, field: str, message: str) -> None:
    """Refuse a form's ``field`` with ``message`` when ``day`` is after today (local)."""
    if day > local_today():
        raise BillingError({field: [message]}, code="future")


def _lock_account(*, company_id: int, currency: str) -> CreditAccount:
    """The company's credit account in ``currency`` under a row lock (``billing.locks``)."""
    try:
        return locks.lock_credit_account(company_id=company_id, currency=currency)
    except CreditAccount.DoesNotExist as exc:
        raise BillingError(
            _("This company has no %(currency)s credit line.") % {"currency": currency}
        ) from exc


def _mail_company(company_id: int, template: str, context: dict) -> None:
    """One mail of ``template`` to each of the company's credit recipients (below)."""
    for email in company_mail_recipients(company_id=company_id):
        mail_enqueue(to=email, template=template, context=context)


# Who gets which credit mail (partners.selectors.company_mail_recipients): the limit,
# offline consumption and usage alerts go to the 管理员, who answers for the credit
# line; bill reminders and overdue notices also to the co-admins, who may repay.


def is_blocked_by_overdue(account: CreditAccount, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if account.overdue_block_lifted_until and account.overdue_block_lifted_until > now:
        return False
    return account.bills.filter(status=BillStatus.OVERDUE).exists()


def insufficient_credit(available: Decimal, amount: Decimal, currency: str) -> BillingError:
    """The refusal of a charge beyond the available credit (of an account or a delegated line)."""
    return BillingError(
        _("Available credit is %(available)s; %(amount)s cannot be charged.")
        % format_amounts(currency, available=available, amount=amount),
        code="insufficient",
    )


def _post(
    *,
    account: CreditAccount,
    amount: Decimal,
    entry_type: str,
    idempotency_key: str,
    actor=None,
    reason: str = "",
    order_number: str = "",
    reverses: CreditEntry | None = None,
    repayment: Repayment | None = None,
    delegated: bool = False,
) -> tuple[CreditEntry, bool]:
    """Write one entry on a locked account. Returns (entry, created). ``delegated``: the
    amount is a sub-reseller's charge (or its release) on a line the account delegates,
    so ``delegated_used`` moves with ``used`` (README "Two-tier distribution")."""
    used_after = account.used + amount
    balance = {"used": used_after}
    reserved_after = account.reserved
    if delegated:
        balance["delegated_used"] = account.delegated_used + amount
        reserved_after -= amount
    if used_after + reserved_after > account.credit_limit:
        raise insufficient_credit(account.available, amount, account.currency)
    if used_after < 0:
        raise BillingError(_("This would repay more than is owed."), code="overpaid")
    return entry_write(
        CreditEntry,
        row=account,
        balance=balance,
        number=credit_entry_number,
        entry_type=entry_type,
        amount=amount,
        idempotency_key=idempotency_key,
        reason=reason,
        account=account,
        used_after=used_after,
        available_after=account.credit_limit - used_after - reserved_after,
        order_number=order_number,
        actor=actor,
        reverses=reverses,
        repayment=repayment,
    )


def _usage_alerts(account: CreditAccount, used_before: Decimal) -> None:
    if account.credit_limit <= 0:
        return
    for threshold in ALERT_THRESHOLDS:
        line = account.credit_limit * threshold
        if used_before < line <= account.used:
            _mail_company(
                account.company_id,
                "billing/mail/credit_usage_alert",
                {
                    "percent": int(threshold * 100),
                    **format_amounts(
                        account.currency,
                        used=account.used,
                        limit=account.credit_limit,
                        available=account.available,
                    ),
                },
            )


@transaction.atomic
def credit_limit_set(
    *, company_id: int, currency: str, credit_limit, term_days: int, actor, reason: str
):
    """Grant or change the guarantee (limit 1:1) and term days, with a reason; mails the company."""
    reason = required_reason(reason)
    credit_limit = to_money(credit_limit)
    if credit_limit < 0:
        raise BillingError(_("The limit cannot be negative."), code="negative")
    if not 1 <= int(term_days) <= 365:
        raise BillingError(_("Term days must be between 1 and 365."), code="term_range")
    account = _lock_account(company_id=company_id, currency=currency)
    if credit_limit < account.used + account.reserved:
        raise BillingError(
            _("The limit cannot be lower than what is already used (%(used)s).")
            % {"used": format_money(account.used + account.reserved, currency)},
            code="below_used",
        )
    change = CreditLimitChange.objects.create(
        account=account,
        old_limit=account.credit_limit,
        new_limit=credit_limit,
        old_term_days=account.term_days,
        new_term_days=term_days,
        reason=reason[:200],
        actor=actor,
    )
    account.credit_limit = credit_limit
    account.term_days = term_days
    account.save(update_fields=["credit_limit", "term_days", "updated_at"])
    _mail_company(
        company_id,
        "billing/mail/credit_limit_updated",
        {
            "term_days": term_days,
            **format_amounts(currency, limit=credit_limit, available=account.available),
        },
    )
    return change


def credit_account_lock(*, company_id: int, currency: str) -> CreditAccount:
    """The company's credit account in ``currency`` under a row lock (checkout's lock phase)."""
    return _lock_account(company_id=company_id, currency=currency)


@transaction.atomic
def credit_charge(
    *,
    company_id: int,
    currency: str,
    amount,
    order_number: str,
    actor,
    idempotency_key: str,
    account: CreditAccount | None = None,
):
    """Checkout: pay (the rest of) an order from the credit line (申请账期). ``account``:
    the account checkout's lock phase already locked (``credit_account_lock``)."""
    amount = positive(amount)
    if account is None:
        account = _lock_account(company_id=company_id, currency=currency)
    if is_blocked_by_overdue(account):
        raise BillingError(
            _("Credit pay is unavailable while a bill is overdue. Repay the overdue bill first."),
            code="overdue",
        )
    used_before = account.used
    entry, created = _post(
        account=account,
        amount=amount,
        entry_type=CreditEntryType.CHARGE,
        idempotency_key=idempotency_key,
        actor=actor,
        order_number=order_number,
    )
    if created:
        _usage_alerts(account, used_before)
    return entry


@transaction.atomic
def credit_offline_charge(
    *,
    company_id: int,
    currency: str,
    amount,
    actor,
    reason: str,
    idempotency_key: str | None = None,
):
    """Finance enters offline consumption (线下使用); the company is mailed its new balance."""
    reason = required_reason(reason)
    amount = positive(amount)
    account = _lock_account(company_id=company_id, currency=currency)
    used_before = account.used
    entry, created = _post(
        account=account,
        amount=amount,
        entry_type=CreditEntryType.OFFLINE_CHARGE,
        idempotency_key=idempotency_key or f"offline:{uuid.uuid4()}",
        actor=actor,
        reason=reason,
    )
    if created:
        _mail_company(
            company_id,
            "billing/mail/credit_offline_charge",
            {
                "reason": reason,
                **format_amounts(
                    currency,
                    amount=amount,
                    available=account.available,
                    limit=account.credit_limit,
                ),
            },
        )
        _usage_alerts(account, used_before)
    return entry


@transaction.atomic
def credit_reverse_charge(*, entry: CreditEntry, actor=None, reason: str = "") -> CreditEntry:
    """Order cancelled: give the charge back. A billed charge reduces its pending bill."""
    if entry.entry_type not in (CreditEntryType.CHARGE, CreditEntryType.OFFLINE_CHARGE):
        raise BillingError(_("Only charges can be reversed."), code="not_reversible")
    account = _lock_account(company_id=entry.account.company_id, currency=entry.account.currency)
    bill = None
    item = BillItem.objects.filter(entry=entry).select_related("bill").first()
    if item is not None:
        (bill,) = locks.lock_bills(account, [item.bill_id])
        if bill.status == BillStatus.SETTLED:
            raise BillingError(
                _("Bill %(number)s is already repaid; refund this charge offline.")
                % {"number": bill.number},
                code="bill_settled",
            )
    delegated = (
        DelegatedCreditEntry.objects.filter(credit_entry=entry).select_related("line").first()
    )
    reversal, created = _post(
        account=account,
        amount=-entry.amount,
        entry_type=CreditEntryType.CHARGE_REVERSAL,
        idempotency_key=f"reverse:{entry.idempotency_key}",
        actor=actor,
        reason=reason or _("Order cancelled"),
        order_number=entry.order_number,
        reverses=entry,
        delegated=delegated is not None,
    )
    if created and delegated is not None:
        # A sub-reseller's charge on delegated credit: release its line too (locked after
        # the distributor's account and bills, ``billing.locks`` level 4).
        line = locks.lock_delegated_line(
            reseller_id=delegated.line.reseller_id, currency=delegated.line.currency
        )
        delegated_post(
            line=line,
            entry_type=DelegatedCreditEntryType.RELEASE,
            amount=-entry.amount,
            idempotency_key=f"reverse:{entry.idempotency_key}:delegated",
            actor=actor,
            reason=reason or _("Order cancelled"),
            order_number=entry.order_number,
            credit_entry=reversal,
        )
    if created and bill is not None:
        BillItem.objects.create(bill=bill, entry=reversal)
        bill.amount += reversal.amount
        fields = ["amount"]
        if bill.amount == 0:
            bill.status = BillStatus.SETTLED
            bill.settled_at = timezone.now()
            fields += ["status", "settled_at"]
        Bill.objects.filter(pk=bill.pk).update(**{f: getattr(bill, f) for f in fields})
    return reversal


# --------------------------------------------------------------------------
# Credit-pay verification codes
# --------------------------------------------------------------------------


def _code_hash(code: str, user_id: int, purpose: str) -> str:
    message = f"{user_id}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def credit_code_send(*, user, purpose: str, now: datetime | None = None) -> CreditPayCode:
    """E-mail a 6-digit code for a credit payment. At most one per minute per user."""
    from partners.models import User

    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()  # serialise per user
    last = CreditPayCode.objects.filter(user=user).order_by("-created_at").first()
    if last is not None and now - last.created_at < CODE_RESEND_AFTER:
        raise BillingError(
            _("A code was sent less than a minute ago. Please wait before asking again."),
            code="rate",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    record = CreditPayCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=_code_hash(code, user.pk, purpose),
        expires_at=now + CODE_TTL,
    )
    mail_enqueue(
        to=user.email,
        template="billing/mail/credit_pay_code",
        context={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
        sensitive_keys=("code",),
    )
    return record


def credit_code_verify(*, user, purpose: str, code: str, now: datetime | None = None) -> None:
    """Consume the latest unexpired code for ``purpose``; raise BillingError if it does not match.

    A wrong attempt is counted (and committed) before the error is raised.
    """
    now = now or timezone.now()
    with transaction.atomic():
        record = locks.lock_pay_code(user=user, purpose=purpose, now=now)
        if record is None:
            error = BillingError(
                {"code": [_("The code has expired. Ask for a new one.")]}, code="expired"
            )
        elif record.attempts >= CODE_MAX_ATTEMPTS:
            error = BillingError(
                {"code": [_("Too many wrong codes. Ask for a new one.")]}, code="attempts"
            )
        elif not hmac.compare_digest(
            record.code_hash, _code_hash((code or "").strip(), user.pk, purpose)
        ):
            record.attempts += 1
            record.save(update_fields=["attempts"])
            error = BillingError({"code": [_("The code is not correct.")]}, code="wrong")
        else:
            record.used_at = now
            record.save(update_fields=["used_at"])
            return
    raise error
