"""Credit line (账期) postings, bills and repayments.

``CreditAccount.used`` changes only here, under a row lock, together with one
append-only ``CreditEntry`` (charges positive, repayments and reversals
negative). The database refuses ``used > credit_limit`` and ``used < 0``.
"""

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue
from backoffice.core.money import format_money, to_money
from billing.locks import lock_bills, lock_repayment
from billing.models import (
    MONEY_RECEIVED_STATUSES,
    Bill,
    BillItem,
    BillStatus,
    CreditAccount,
    CreditEntry,
    CreditEntryType,
    CreditLimitChange,
    CreditPayCode,
    OnlineRepayment,
    PaymentRecordStatus,
    Repayment,
    RepaymentBill,
    RepaymentMethod,
    RepaymentStatus,
)
from billing.numbering import bill_number, credit_entry_number
from partners.selectors import company_mail_recipients

from .errors import BillingError

ALERT_THRESHOLDS = (Decimal("0.70"), Decimal("0.85"))
CODE_TTL = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODE_MAX_ATTEMPTS = 5


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(_tz()).date()


def _lock_account(*, company_id: int, currency: str) -> CreditAccount:
    try:
        return CreditAccount.objects.select_for_update().get(
            company_id=company_id, currency=currency
        )
    except CreditAccount.DoesNotExist as exc:
        raise BillingError(
            _("This company has no %(currency)s credit line.") % {"currency": currency}
        ) from exc


# Who gets which credit mail (partners.selectors.company_mail_recipients): the limit,
# offline consumption and usage alerts go to the 管理员, who answers for the credit
# line; bill reminders and overdue notices also to the co-admins, who may repay.


def is_blocked_by_overdue(account: CreditAccount, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if account.overdue_block_lifted_until and account.overdue_block_lifted_until > now:
        return False
    return account.bills.filter(status=BillStatus.OVERDUE).exists()


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
) -> tuple[CreditEntry, bool]:
    """Write one entry on a locked account. Returns (entry, created)."""
    used_after = account.used + amount
    if used_after > account.credit_limit:
        raise BillingError(
            _("Available credit is %(available)s; %(amount)s cannot be charged.")
            % {
                "available": format_money(account.available, account.currency),
                "amount": format_money(amount, account.currency),
            },
            code="insufficient",
        )
    if used_after < 0:
        raise BillingError(_("This would repay more than is owed."), code="overpaid")
    try:
        with transaction.atomic():
            entry = CreditEntry.objects.create(
                account=account,
                number=credit_entry_number(),
                entry_type=entry_type,
                amount=amount,
                used_after=used_after,
                available_after=account.credit_limit - used_after,
                order_number=order_number,
                reason=reason[:200],
                actor=actor,
                reverses=reverses,
                repayment=repayment,
                idempotency_key=idempotency_key,
            )
            account.used = used_after
            account.save(update_fields=["used", "updated_at"])
    except IntegrityError:
        existing = CreditEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        if existing.amount != amount or existing.entry_type != entry_type:
            raise BillingError(
                _("This request was already used for a different posting."), code="conflict"
            ) from None
        return existing, False
    return entry, True


def _usage_alerts(account: CreditAccount, used_before: Decimal) -> None:
    if account.credit_limit <= 0:
        return
    for threshold in ALERT_THRESHOLDS:
        line = account.credit_limit * threshold
        if used_before < line <= account.used:
            for email in company_mail_recipients(company_id=account.company_id):
                mail_enqueue(
                    to=email,
                    template="billing/mail/credit_usage_alert",
                    context={
                        "percent": int(threshold * 100),
                        "used": format_money(account.used, account.currency),
                        "limit": format_money(account.credit_limit, account.currency),
                        "available": format_money(account.available, account.currency),
                    },
                )


def _positive(amount) -> Decimal:
    amount = to_money(amount)
    if amount <= 0:
        raise BillingError(_("The amount must be greater than zero."), code="not_positive")
    return amount


@transaction.atomic
def credit_limit_set(
    *, company_id: int, currency: str, credit_limit, term_days: int, actor, reason: str
):
    """Grant or change the guarantee (limit 1:1) and term days, with a reason; mails the company."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    credit_limit = to_money(credit_limit)
    if credit_limit < 0:
        raise BillingError(_("The limit cannot be negative."), code="negative")
    if not 1 <= int(term_days) <= 365:
        raise BillingError(_("Term days must be between 1 and 365."), code="term_range")
    account = _lock_account(company_id=company_id, currency=currency)
    if credit_limit < account.used:
        raise BillingError(
            _("The limit cannot be lower than what is already used (%(used)s).")
            % {"used": format_money(account.used, currency)},
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
    for email in company_mail_recipients(company_id=company_id):
        mail_enqueue(
            to=email,
            template="billing/mail/credit_limit_updated",
            context={
                "limit": format_money(credit_limit, currency),
                "term_days": term_days,
                "available": format_money(account.available, currency),
            },
        )
    return change


@transaction.atomic
def credit_charge(
    *, company_id: int, currency: str, amount, order_number: str, actor, idempotency_key: str
):
    """Checkout: pay (the rest of) an order from the credit line (申请账期)."""
    amount = _positive(amount)
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
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    amount = _positive(amount)
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
        for email in company_mail_recipients(company_id=company_id):
            mail_enqueue(
                to=email,
                template="billing/mail/credit_offline_charge",
                context={
                    "amount": format_money(amount, currency),
                    "reason": reason,
                    "available": format_money(account.available, currency),
                    "limit": format_money(account.credit_limit, currency),
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
        bill = Bill.objects.select_for_update().get(pk=item.bill_id)
        if bill.status == BillStatus.SETTLED:
            raise BillingError(
                _("Bill %(number)s is already repaid; refund this charge offline.")
                % {"number": bill.number},
                code="bill_settled",
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
# Bills
# --------------------------------------------------------------------------


def bills_generate(*, until: date | None = None, now: datetime | None = None) -> int:
    """Put every unbilled charge up to the end of ``until`` (local date, default yesterday) into
    one bill per account. Safe to run twice and in two workers at once. Returns bills created."""
    now = now or timezone.now()
    until = until or (local_today(now) - timedelta(days=1))
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=_tz())
    pending = (
        CreditEntry.objects.filter(bill_item__isnull=True, created_at__lt=end)
        .exclude(entry_type=CreditEntryType.REPAYMENT)
        .values("account_id")
        .annotate(total=Sum("amount"), first=Min("created_at"))
        .filter(total__gt=0)
    )
    created = 0
    for row in pending:
        created += _bill_account(account_id=row["account_id"], end=end, until=until, now=now)
    return created


@transaction.atomic
def _bill_account(*, account_id: int, end: datetime, until: date, now: datetime) -> int:
    account = CreditAccount.objects.select_for_update().get(pk=account_id)
    entries = list(
        CreditEntry.objects.filter(account=account, bill_item__isnull=True, created_at__lt=end)
        .exclude(entry_type=CreditEntryType.REPAYMENT)
        .order_by("created_at", "pk")
    )
    total = sum((e.amount for e in entries), Decimal("0"))
    if not entries or total <= 0:
        return 0
    start = entries[0].created_at.astimezone(_tz()).date()
    try:
        with transaction.atomic():
            bill = Bill.objects.create(
                account=account,
                number=bill_number(now),
                period_start=start,
                period_end=until,
                amount=total,
                due_date=until + timedelta(days=account.term_days),
            )
            BillItem.objects.bulk_create([BillItem(bill=bill, entry=e) for e in entries])
    except IntegrityError:
        return 0  # another worker billed this cycle
    return 1


def bills_mark_overdue_and_remind(*, now: datetime | None = None) -> dict[str, int]:
    """Daily: reminder 3 days before due, overdue status and notice after due. Idempotent."""
    now = now or timezone.now()
    today = local_today(now)
    result = {"reminded": 0, "overdue": 0}
    remind = Bill.objects.filter(
        status=BillStatus.PENDING,
        due_date__lte=today + timedelta(days=3),
        due_date__gte=today,
        reminder_sent_at=None,
    ).values_list("pk", flat=True)
    for pk in list(remind):
        with transaction.atomic():
            bill = Bill.objects.select_for_update().select_related("account").get(pk=pk)
            if bill.reminder_sent_at is not None or bill.status != BillStatus.PENDING:
                continue
            bill.reminder_sent_at = now
            bill.save(update_fields=["reminder_sent_at"])
            _bill_mail(bill, "billing/mail/bill_due_soon")
            result["reminded"] += 1
    overdue = Bill.objects.filter(status=BillStatus.PENDING, due_date__lt=today).values_list(
        "pk", flat=True
    )
    for pk in list(overdue):
        with transaction.atomic():
            bill = Bill.objects.select_for_update().select_related("account").get(pk=pk)
            if bill.status != BillStatus.PENDING:
                continue
            bill.status = BillStatus.OVERDUE
            bill.overdue_notice_sent_at = now
            bill.save(update_fields=["status", "overdue_notice_sent_at"])
            _bill_mail(bill, "billing/mail/bill_overdue")
            result["overdue"] += 1
    return result


def _bill_mail(bill: Bill, template: str) -> None:
    for email in company_mail_recipients(
        company_id=bill.account.company_id, include_co_admins=True
    ):
        mail_enqueue(
            to=email,
            template=template,
            context={
                "number": bill.number,
                "amount": format_money(bill.amount, bill.account.currency),
                "due_date": bill.due_date.isoformat(),
            },
        )


@transaction.atomic
def overdue_block_lift(
    *, company_id: int, currency: str, until: datetime, actor, reason: str
) -> CreditAccount:
    """Finance lets an overdue company use credit pay until ``until`` (reason recorded in history)."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    if not actor.has_perm("billing.change_creditaccount"):
        raise BillingError(_("Only finance can lift the overdue block."), code="forbidden")
    account = _lock_account(company_id=company_id, currency=currency)
    account.overdue_block_lifted_until = until
    account.overdue_block_lift_reason = reason[:200]
    account._change_reason = reason[:100]
    account.save(
        update_fields=["overdue_block_lifted_until", "overdue_block_lift_reason", "updated_at"]
    )
    return account


# --------------------------------------------------------------------------
# Repayments
#
# The settlement rule: a bill has at most one settling repayment, under review or
# confirmed. Every repayment claims its bills (``RepaymentBill.active``) and the
# database keeps one active claim per bill (``billing_bill_one_settling_repayment``);
# a rejection releases the claims. Settling re-reads the bills under lock and refuses
# unless each is still open and they still total the repayment.
#
# Lock order (billing.locks): the repayment being confirmed or rejected, then the
# credit account, then its bills in primary-key order.
# --------------------------------------------------------------------------

OPEN_BILL_STATUSES = (BillStatus.PENDING, BillStatus.OVERDUE)


def _numbers(bills) -> str:
    return "、".join(bill.number for bill in bills)


def _open_bills(account: CreditAccount, bill_ids: list[int]) -> list[Bill]:
    """The account's bills ``bill_ids``, locked; refused unless every one is open."""
    bills = lock_bills(account, bill_ids)
    if not bills or len(bills) != len(set(bill_ids)):
        raise BillingError(
            _("Choose bills of your own that are awaiting repayment."), code="bad_bills"
        )
    closed = [bill for bill in bills if bill.status not in OPEN_BILL_STATUSES]
    if closed:
        raise BillingError(
            _("Bill %(numbers)s is already settled.") % {"numbers": _numbers(closed)},
            code="bill_settled",
        )
    return bills


def _claimed(bills: list[Bill]) -> list[Bill]:
    """Those of ``bills`` another repayment claims (under review or confirmed)."""
    taken = set(
        RepaymentBill.objects.filter(bill__in=bills, active=True).values_list("bill_id", flat=True)
    )
    return [bill for bill in bills if bill.pk in taken]


def _claim(repayment: Repayment, bills: list[Bill], refusal: str) -> None:
    """Insert the repayment's active claims on ``bills``. The services check ``_claimed``
    first, under the account lock; the unique index is the backstop that makes a second
    settling repayment of a bill impossible whatever a code path forgets."""
    try:
        with transaction.atomic():
            RepaymentBill.objects.bulk_create(
                [RepaymentBill(repayment=repayment, bill=bill) for bill in bills]
            )
    except IntegrityError:
        raise BillingError(refusal % {"numbers": _numbers(bills)}, code="claimed") from None


def _under_review_refusal() -> str:
    return _(
        "Bill %(numbers)s already has a repayment under review; Blue Cloud finance confirms "
        "or rejects it first."
    )


@transaction.atomic
def repayment_submit_offline(
    *, company_id: int, currency: str, bill_ids: list[int], payer_account: str, paid_on: date, actor
) -> Repayment:
    """The partner reports a bank transfer for one or several bills; finance confirms it later."""
    payer_account = (payer_account or "").strip()
    if not payer_account:
        raise BillingError(
            {"payer_account": [_("Enter the paying bank account.")]}, code="required"
        )
    if paid_on > local_today():
        raise BillingError(
            {"paid_on": [_("The payment date cannot be in the future.")]}, code="future"
        )
    account = _lock_account(company_id=company_id, currency=currency)
    bills = _open_bills(account, bill_ids)
    if claimed := _claimed(bills):
        raise BillingError(
            _under_review_refusal() % {"numbers": _numbers(claimed)}, code="duplicate"
        )
    repayment = Repayment.objects.create(
        account=account,
        method=RepaymentMethod.OFFLINE,
        amount=sum((b.amount for b in bills), Decimal("0")),
        payer_account=payer_account[:50],
        paid_on=paid_on,
        submitted_by=actor,
    )
    _claim(repayment, bills, _under_review_refusal())
    return repayment


def _settle(repayment: Repayment, account: CreditAccount, actor, now: datetime) -> None:
    """Post ``repayment`` on the locked ``account`` and settle its bills, re-read under
    lock: refused unless it still claims every bill, each is still open, and they still
    total the repayment (a cancelled order may have reduced a bill meanwhile)."""
    claims = list(repayment.claims.values_list("bill_id", "active"))
    bills = lock_bills(account, [bill_id for bill_id, _active in claims])
    lost = {bill_id for bill_id, active in claims if not active}
    if lost or len(bills) != len(claims):
        raise BillingError(
            _("Bill %(numbers)s has another repayment; reject this one.")
            % {"numbers": _numbers(bill for bill in bills if bill.pk in lost)},
            code="claimed",
        )
    closed = [bill for bill in bills if bill.status not in OPEN_BILL_STATUSES]
    if closed:
        raise BillingError(
            _(
                "Bill %(numbers)s is no longer awaiting repayment (it was settled meanwhile). "
                "Reject this repayment, and refund the transfer if it arrived."
            )
            % {"numbers": _numbers(closed)},
            code="bill_settled",
        )
    total = sum((bill.amount for bill in bills), Decimal("0"))
    if total != repayment.amount:
        raise BillingError(
            _(
                "The bills now total %(total)s, not the %(amount)s of this repayment. Reject "
                "it; the partner repays the new amount."
            )
            % {
                "total": format_money(total, account.currency),
                "amount": format_money(repayment.amount, account.currency),
            },
            code="amount_changed",
        )
    _post(
        account=account,
        amount=-repayment.amount,
        entry_type=CreditEntryType.REPAYMENT,
        idempotency_key=f"repayment:{repayment.pk}",
        actor=actor,
        reason=", ".join(b.number for b in bills),
        repayment=repayment,
    )
    Bill.objects.filter(pk__in=[b.pk for b in bills]).update(
        status=BillStatus.SETTLED, settled_at=now
    )


@transaction.atomic
def repayment_confirm(*, repayment_id: int, actor) -> Repayment:
    """Finance confirms an offline repayment. Any number of clicks posts exactly one entry;
    refused when a bill was settled otherwise meanwhile (nothing changes then)."""
    repayment = lock_repayment(repayment_id)
    if repayment.status == RepaymentStatus.CONFIRMED:
        return repayment
    if repayment.status != RepaymentStatus.SUBMITTED:
        raise BillingError(
            _("This repayment was rejected; it cannot be confirmed."), code="rejected"
        )
    account = CreditAccount.objects.select_for_update().get(pk=repayment.account_id)
    now = timezone.now()
    _settle(repayment, account, actor, now)
    repayment.status = RepaymentStatus.CONFIRMED
    repayment.reviewed_by = actor
    repayment.reviewed_at = now
    repayment.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return repayment


@transaction.atomic
def repayment_reject(*, repayment_id: int, actor, reason: str) -> Repayment:
    """Finance rejects an offline repayment under review; its bills are free again."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    repayment = lock_repayment(repayment_id)
    if repayment.status != RepaymentStatus.SUBMITTED:
        raise BillingError(_("Only repayments under review can be rejected."), code="not_submitted")
    repayment.status = RepaymentStatus.REJECTED
    repayment.rejection_reason = reason[:200]
    repayment.reviewed_by = actor
    repayment.reviewed_at = timezone.now()
    repayment.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    repayment.claims.update(active=False)
    return repayment


@transaction.atomic
def repayment_record_online(
    *,
    company_id: int,
    currency: str,
    bill_ids: list[int],
    provider_reference: str,
    amount,
    actor=None,
) -> Repayment:
    """Provider-confirmed online repayment: settles the bills. Idempotent on the reference.

    Refused (BillingError, nothing written) when a bill is settled, or has an offline
    repayment under review: the money is then not dropped, the caller records it as
    owed back (``repayment_online_record_notification``: 待退款). The transfer finance is
    reviewing stays the bill's one settling repayment; the partner sees the refund due.
    """
    amount = _positive(amount)
    account = _lock_account(company_id=company_id, currency=currency)
    existing = Repayment.objects.filter(provider_reference=provider_reference).first()
    if existing is not None:
        return existing
    bills = _open_bills(account, bill_ids)
    refusal = _(
        "Bill %(numbers)s already has an offline repayment under review; this online "
        "payment is owed back to the partner."
    )
    if claimed := _claimed(bills):
        raise BillingError(refusal % {"numbers": _numbers(claimed)}, code="claimed")
    if sum((b.amount for b in bills), Decimal("0")) != amount:
        raise BillingError(_("The paid amount does not match the bills."), code="amount_mismatch")
    now = timezone.now()
    repayment = Repayment.objects.create(
        account=account,
        method=RepaymentMethod.ONLINE,
        amount=amount,
        provider_reference=provider_reference,
        paid_on=local_today(now),
        submitted_by=actor,
        status=RepaymentStatus.CONFIRMED,
        reviewed_at=now,
    )
    _claim(repayment, bills, refusal)
    _settle(repayment, account, actor, now)
    return repayment


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
        record = (
            CreditPayCode.objects.select_for_update()
            .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
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


# --------------------------------------------------------------------------
# Online repayment through the payment provider (billing.payments)
# --------------------------------------------------------------------------

# The provider's order number of an online repayment: ``R<credit account>_<reference>``.
ONLINE_REPAYMENT_REFERENCE = re.compile(r"^R(?P<account>[0-9]{1,18})_(?P<reference>HK[0-9]{16})$")


def _online_repayment_reference() -> str:
    """``HK`` + ``yyMMddHHmmss`` + 4 digits, drawn by the server (never the browser)."""
    from billing.numbering import _local

    return f"HK{_local(None):%y%m%d%H%M%S}{secrets.randbelow(10**4):04d}"


@transaction.atomic
def repayment_online_start(
    *, company_id: int, currency: str, bill_ids: list[int], actor
) -> OnlineRepayment:
    """线上还款: a pending online repayment of ``bill_ids`` at the active provider.

    The reference is drawn here and unique per credit account (a collision within the
    same second draws again). The repayment is recorded when the provider confirms it.
    """
    from billing import payments

    provider = payments.active_provider()
    if provider is None:
        raise BillingError(
            _("Online payment is not available at the moment; please repay by bank transfer."),
            code="no_provider",
        )
    if currency not in provider.currencies:
        raise BillingError(
            _("Online payment accepts %(currencies)s only; please repay by bank transfer.")
            % {"currencies": ", ".join(provider.currencies)},
            code="currency",
        )
    account = _lock_account(company_id=company_id, currency=currency)
    bills = _open_bills(account, bill_ids)
    if Repayment.objects.filter(bills__in=bills, status=RepaymentStatus.SUBMITTED).exists():
        raise BillingError(
            _("A repayment for one of these bills is already under review."), code="duplicate"
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                online = OnlineRepayment.objects.create(
                    account=account,
                    reference=_online_repayment_reference(),
                    amount=sum((bill.amount for bill in bills), Decimal("0")),
                    provider=provider.name,
                    started_by=actor,
                )
        except IntegrityError:
            continue
        online.bills.set(bills)
        return online
    raise BillingError(_("Could not start the payment; try again."), code="reference")


def repayment_provider_form(
    *, online: OnlineRepayment, notify_url: str, return_url: str, complete_url: str = ""
):
    """The form that takes the payer to the online repayment's provider (signed now)."""
    from billing import payments
    from billing.payments.base import PaymentRequest

    return payments.get_provider(online.provider).start(
        PaymentRequest(
            reference=online.provider_reference,
            amount=online.amount,
            currency=online.account.currency,
            subject=_("Blue Cloud credit repayment %(reference)s")
            % {"reference": online.reference},
            notify_url=notify_url,
            return_url=return_url,
            complete_url=complete_url,
        )
    )


def repayment_online_record_notification(
    *, notification, provider: str, now: datetime | None = None
) -> OnlineRepayment:
    """Record a verified provider notification for an online repayment. Idempotent.

    Confirmed money settles the bills (``repayment_record_online``); when they cannot be
    settled any more (settled or under review meanwhile), it is recorded as a refund due,
    never dropped. Lock order: the online repayment, then the credit account and bills.
    """
    from billing.locks import lock_online_repayment
    from billing.payments.base import NotificationStatus

    now = now or timezone.now()
    match = ONLINE_REPAYMENT_REFERENCE.match(notification.reference)
    if match is None:
        raise BillingError("unknown payment", code="unknown")
    with transaction.atomic():
        online = lock_online_repayment(
            account_id=int(match["account"]), reference=match["reference"], provider=provider
        )
        if online is None:
            raise BillingError("unknown payment", code="unknown")
        account = online.account
        if online.amount != notification.amount or account.currency != notification.currency:
            raise BillingError("amount mismatch", code="amount")
        if notification.status != NotificationStatus.SUCCEEDED:
            if online.status == PaymentRecordStatus.PENDING:
                online.status = PaymentRecordStatus.FAILED
                online.provider_payload = notification.raw
                online.completed_at = now
                online.save(update_fields=["status", "provider_payload", "completed_at"])
            return online
        if online.status in MONEY_RECEIVED_STATUSES:
            return online  # replay
        online.provider_payload = notification.raw
        online.provider_txn_id = notification.provider_txn_id[:64]
        online.confirmed_at = online.completed_at = now
        try:
            with transaction.atomic():
                online.repayment = repayment_record_online(
                    company_id=account.company_id,
                    currency=account.currency,
                    bill_ids=list(online.bills.values_list("pk", flat=True)),
                    provider_reference=online.provider_reference,
                    amount=online.amount,
                    actor=online.started_by,
                )
        except BillingError as exc:
            online.status = PaymentRecordStatus.REFUND_DUE
            online.refund_reason = " ".join(exc.messages)[:200]
        else:
            online.status = PaymentRecordStatus.SUCCEEDED
        online.save()
        return online


def repayment_online_payload(
    online: OnlineRepayment, *, status: str = "succeeded", amount=None, ts: int | None = None
) -> tuple[dict, str]:
    """What the sandbox provider posts back for ``online``: (payload, signature)."""
    from billing.payments import sandbox

    data = sandbox.notification(
        reference=online.provider_reference,
        amount=online.amount if amount is None else amount,
        currency=online.account.currency,
        status=status,
        ts=ts,
    )
    return data["payload"], data["signature"]
