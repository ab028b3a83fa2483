"""Credit bills (已出账单) and their repayments (还款): offline, and online through the
payment provider.

Bills gather a company's unbilled credit charges per cycle; a repayment settles one or
several bills and lowers ``CreditAccount.used`` through the credit ledger
(``billing.services.credit``), under the same locks.
"""

import re
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_amounts
from billing.locks import lock_bills, lock_repayment
from billing.models import (
    MONEY_RECEIVED_STATUSES,
    Bill,
    BillItem,
    BillStatus,
    CreditAccount,
    CreditEntry,
    CreditEntryType,
    OnlineRepayment,
    PaymentRecordStatus,
    Repayment,
    RepaymentBill,
    RepaymentMethod,
    RepaymentStatus,
)
from billing.notices import bill_notify, repayment_decided_notify
from billing.numbering import bill_number
from billing.rules import OPEN_BILL_STATUSES
from billing.webhooks import bill_due_event, repayment_confirmed_event

from .credit import _lock_account, _post, _tz, local_today, not_in_future
from .errors import BillingError
from .ledger import positive, required_reason, required_text

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
            bill_notify(bill, kind="bill_issued")
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
            bill_notify(bill, kind="bill_due_soon")
            bill_due_event(bill)
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
            bill_notify(bill, kind="bill_overdue")
            result["overdue"] += 1
    return result


@transaction.atomic
def overdue_block_lift(
    *, company_id: int, currency: str, until: datetime, actor, reason: str
) -> CreditAccount:
    """Finance lets an overdue company use credit pay until ``until`` (reason recorded in history)."""
    reason = required_reason(reason)
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
    payer_account = required_text(
        payer_account, field="payer_account", message=_("Enter the paying bank account.")
    )
    not_in_future(paid_on, field="paid_on", message=_("The payment date cannot be in the future."))
    return offline_repayment_create(
        company_id=company_id,
        currency=currency,
        bill_ids=bill_ids,
        payer_account=payer_account,
        paid_on=paid_on,
        actor=actor,
    )


def offline_repayment_create(
    *, company_id: int, currency: str, bill_ids: list[int], payer_account: str, paid_on: date, actor
) -> Repayment:
    """An offline repayment under review of the company's open ``bill_ids`` (what the
    partner's report and finance's receipt both create): locks the credit account, then
    the bills; refused unless each is open and claimed by no other repayment."""
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
        payer_account=(payer_account or "")[:50],
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
            % format_amounts(account.currency, total=total, amount=repayment.amount),
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
    repayment_decided_notify(repayment, bills=_numbers(repayment.bills.order_by("number")))
    repayment_confirmed_event(repayment, bills=repayment.bills.order_by("number"))
    return repayment


@transaction.atomic
def repayment_reject(*, repayment_id: int, actor, reason: str) -> Repayment:
    """Finance rejects an offline repayment under review; its bills are free again."""
    reason = required_reason(reason)
    repayment = lock_repayment(repayment_id)
    if repayment.status != RepaymentStatus.SUBMITTED:
        raise BillingError(_("Only repayments under review can be rejected."), code="not_submitted")
    repayment.status = RepaymentStatus.REJECTED
    repayment.rejection_reason = reason[:200]
    repayment.reviewed_by = actor
    repayment.reviewed_at = timezone.now()
    repayment.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    repayment.claims.update(active=False)
    repayment_decided_notify(repayment, bills=_numbers(repayment.bills.order_by("number")))
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
    amount = positive(amount)
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
    repayment_confirmed_event(repayment, bills=sorted(bills, key=lambda bill: bill.number))
    return repayment


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

    return sandbox.notification(
        reference=online.provider_reference,
        amount=online.amount if amount is None else amount,
        currency=online.account.currency,
        status=status,
        ts=ts,
    )
