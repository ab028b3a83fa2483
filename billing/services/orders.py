"""Order lifecycle and payments: status changes, cancellation, payments of orders.

Orders are placed by ``checkout``; from then on they move only through the transition
table (``order_set_status``), each change with an event row. Payments: online through
the active provider (``billing.payments``) and its verified notifications, offline
transfers confirmed or rejected by finance.
"""

import secrets
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import locks
from billing import payments as payment_providers
from billing.models import (
    MONEY_RECEIVED_STATUSES,
    CreditEntry,
    CreditEntryType,
    Order,
    OrderEvent,
    OrderPaymentMethod,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
    RebateEntry,
    RebateEntryType,
)
from billing.notices import payment_decided_notify
from billing.payments import sandbox
from billing.payments.base import (
    Notification,
    NotificationStatus,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
)
from billing.webhooks import order_event

from . import coupons as coupon_services
from . import credit as credit_services
from . import wallet as wallet_services
from .errors import BillingError
from .ledger import required_reason, required_text

ONLINE_PAYMENT_TIMEOUT = timedelta(minutes=15)

# One transition table for every status change (who may trigger it is checked by callers).
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.PROCESSING: {OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}


class IllegalTransition(BillingError):
    pass


# --------------------------------------------------------------------------
# Order events and the catalog's paid-order counter (checkout uses them too)
# --------------------------------------------------------------------------


def _event(order: Order, *, from_status: str, actor=None, note: str = "") -> None:
    OrderEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=order.status,
        payment_status=order.payment_status,
        actor=actor,
        note=note[:200],
    )


def _paid_count_add(order: Order, delta: int = 1) -> None:
    """The catalog's paid-order counter (hot ranking) of each solution on the order: +1
    when the order is paid, -1 when a paid order is cancelled."""
    from catalog.services import solutions_paid_count_add

    solutions_paid_count_add(
        solution_ids=order.lines.values_list("solution_id", flat=True), delta=delta
    )


# --------------------------------------------------------------------------
# Status changes
# --------------------------------------------------------------------------


@transaction.atomic
def order_set_status(*, order_id: int, to_status: str, actor=None, note: str = "") -> Order:
    """The one way to move an order: checks the transition table, writes an event row."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if to_status not in TRANSITIONS[order.status]:
        raise IllegalTransition(
            _("An order that is “%(from)s” cannot become “%(to)s”.")
            % {"from": order.get_status_display(), "to": OrderStatus(to_status).label},
            code="illegal_transition",
        )
    if to_status == OrderStatus.CANCELLED:
        raise IllegalTransition(
            _("Use order cancellation, which also returns every posting."), code="use_cancel"
        )
    if to_status == OrderStatus.PROCESSING and order.payment_status != PaymentStatus.PAID:
        raise IllegalTransition(_("The order is not paid yet."), code="unpaid")
    previous = order.status
    order.status = to_status
    order.save(update_fields=["status"])
    _event(order, from_status=previous, actor=actor, note=note)
    if to_status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        order_event(order, type=f"order.{to_status}")
    return order


@transaction.atomic
def order_cancel(*, order_id: int, actor, reason: str = "", by_staff: bool = False) -> Order:
    """Cancel and reverse every posting: coupon back, rebate and credit reversed.

    Resellers may cancel before payment; staff at any point before completion, with a reason.
    Locks in the one order (``billing.locks``): the order, its payments, then the ledgers.
    A payment still pending fails here, but the provider's later confirmation of it is
    still recorded (as a refund due, ``payment_record_notification``); money already
    received for the order becomes a refund due (待退款).
    """
    order = locks.lock_order(order_id)
    if order.status == OrderStatus.CANCELLED:
        return order
    if OrderStatus.CANCELLED not in TRANSITIONS[order.status]:
        raise IllegalTransition(
            _("A completed order cannot be cancelled."), code="illegal_transition"
        )
    reason = (reason or "").strip()
    if by_staff:
        if not reason:
            raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    elif order.payment_status not in (PaymentStatus.UNPAID,):
        raise BillingError(
            _("Paid orders can only be cancelled by Blue Cloud; please contact us."), code="paid"
        )
    payments = locks.lock_order_payments(
        order, status__in=[PaymentRecordStatus.PENDING, PaymentRecordStatus.SUCCEEDED]
    )
    if order.coupon_id:
        coupon_services.coupon_restore(coupon_id=order.coupon_id, order_number=order.number)
    for entry in RebateEntry.objects.filter(
        order_number=order.number, entry_type=RebateEntryType.SPEND, reversed_by__isnull=True
    ).select_related("wallet"):
        wallet_services.wallet_reverse_spend(entry=entry, actor=actor, reason=reason)
    for entry in CreditEntry.objects.filter(
        order_number=order.number, entry_type=CreditEntryType.CHARGE, reversed_by__isnull=True
    ).select_related("account"):
        credit_services.credit_reverse_charge(entry=entry, actor=actor, reason=reason)
    now = timezone.now()
    for payment in payments:
        if payment.status == PaymentRecordStatus.PENDING:
            payment.status = PaymentRecordStatus.FAILED
            payment.completed_at = now
            payment.save(update_fields=["status", "completed_at"])
        else:
            payment.status = PaymentRecordStatus.REFUND_DUE
            payment.refund_reason = _("The order was cancelled after payment.")
            payment.save(update_fields=["status", "refund_reason"])
    previous = order.status
    order.status = OrderStatus.CANCELLED
    if order.payment_status == PaymentStatus.PAID:
        transaction.on_commit(lambda: _paid_count_add(order, -1))
        # Coupon, rebate and credit went back above; money paid in waits for finance.
        owed = any(p.status == PaymentRecordStatus.REFUND_DUE for p in payments)
        order.payment_status = PaymentStatus.REFUND_DUE if owed else PaymentStatus.REFUNDED
    elif order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        order.payment_status = PaymentStatus.UNPAID
    order.cancel_reason = reason[:200]
    order.cancelled_at = now
    order.save(update_fields=["status", "payment_status", "cancel_reason", "cancelled_at"])
    _event(order, from_status=previous, actor=actor, note=reason or _("Cancelled"))
    order_event(order, type="order.cancelled")
    return order


def orders_cancel_unpaid(*, now: datetime | None = None) -> int:
    """Scheduled: online orders unpaid 15 minutes after creation are cancelled (postings released)."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(
            status=OrderStatus.PENDING_PAYMENT,
            payment_method=OrderPaymentMethod.ONLINE,
            payment_status=PaymentStatus.UNPAID,
            created_at__lt=now - ONLINE_PAYMENT_TIMEOUT,
        ).values_list("pk", flat=True)
    )
    cancelled = 0
    for pk in ids:
        with transaction.atomic():
            order = locks.lock_order(pk)
            if (
                order.status != OrderStatus.PENDING_PAYMENT
                or order.payment_status != PaymentStatus.UNPAID
            ):
                continue  # paid (or cancelled) since the list was read
            order_cancel(
                order_id=pk, actor=None, reason=_("Not paid within 15 minutes"), by_staff=True
            )
            cancelled += 1
    return cancelled


# --------------------------------------------------------------------------
# Payments: online providers (billing.payments), notifications, offline transfers
# --------------------------------------------------------------------------


def _payment_reference() -> str:
    """``DD`` + ``yyMMddHHmmss`` + 4 digits (spec 0.6)."""
    from billing.numbering import _local

    return f"DD{_local(None):%y%m%d%H%M%S}{secrets.randbelow(10**4):04d}"


def _payment_create(*, order: Order, kind: str, provider: str, **fields) -> Payment:
    """A payment of the order's amount due under a fresh ``DD…`` reference.

    The reference is random within its second, so two payments started in the same
    second may draw the same one: the unique constraint refuses the second, which
    draws again (in a savepoint, so the caller's transaction goes on).
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Payment.objects.create(
                    order=order,
                    kind=kind,
                    provider=provider,
                    reference=_payment_reference(),
                    amount=order.amount_due,
                    currency=order.currency,
                    **fields,
                )
        except IntegrityError:
            continue
    raise BillingError(_("Could not start the payment; try again."), code="reference")


def _online_provider() -> PaymentProvider:
    provider = payment_providers.active_provider()
    if provider is None:
        raise BillingError(
            _("Online payment is not available at the moment; please pay by bank transfer."),
            code="no_provider",
        )
    return provider


@transaction.atomic
def payment_start_online(*, order_id: int, user) -> Payment:
    """The order's pending online payment at the active provider (one is created if none)."""
    provider = _online_provider()
    order = locks.lock_order(order_id, company_id=user.company_id)
    if (
        order.status != OrderStatus.PENDING_PAYMENT
        or order.payment_method != OrderPaymentMethod.ONLINE
    ):
        raise BillingError(_("This order does not wait for an online payment."), code="not_payable")
    if timezone.now() - order.created_at > ONLINE_PAYMENT_TIMEOUT:
        raise BillingError(
            _("The payment time ran out; the order will be cancelled."), code="timeout"
        )
    if order.currency not in provider.currencies:
        raise BillingError(
            _("Online payment accepts %(currencies)s only; please pay by bank transfer.")
            % {"currencies": ", ".join(provider.currencies)},
            code="currency",
        )
    pending = locks.lock_payment(
        order, status=PaymentRecordStatus.PENDING, kind=PaymentKind.ONLINE, provider=provider.name
    )
    if pending is not None:
        return pending
    return _payment_create(order=order, kind=PaymentKind.ONLINE, provider=provider.name)


def payment_provider_form(
    *, payment: Payment, notify_url: str, return_url: str, complete_url: str = ""
) -> PaymentStart:
    """The form that takes the payer to the payment's provider (signed now)."""
    provider = payment_providers.get_provider(payment.provider)
    return provider.start(
        PaymentRequest(
            reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
            subject=_("Blue Cloud order %(number)s") % {"number": payment.order.number},
            notify_url=notify_url,
            return_url=return_url,
            complete_url=complete_url,
            expires_at=payment.order.created_at + ONLINE_PAYMENT_TIMEOUT,
        )
    )


def sandbox_callback_payload(
    payment: Payment, *, status: str = "succeeded", amount=None, ts: int | None = None
) -> tuple[dict, str]:
    """What the sandbox provider posts back for ``payment``: (payload, signature)."""
    return sandbox.notification(
        reference=payment.reference,
        amount=payment.amount if amount is None else amount,
        currency=payment.currency,
        status=status,
        ts=ts,
    )


def payment_record_notification(
    *, notification: Notification, provider: str, now: datetime | None = None
) -> Payment:
    """Record a verified provider notification for an order payment. Idempotent.

    Money the provider confirms is always recorded: as the order's payment while the order
    waits for it, else (cancelled, manually or after 15 minutes; or paid already) as a
    refund due. A failure only ends a payment still pending. Lock order: the payment's
    order is found without a lock, locked, then the payment (``billing.locks``).
    """
    now = now or timezone.now()
    lookup = {"reference": notification.reference, "kind": PaymentKind.ONLINE, "provider": provider}
    order_id = locks.order_id_of_payment(**lookup)
    if order_id is None:
        raise BillingError("unknown payment", code="unknown")
    with transaction.atomic():
        order = locks.lock_order(order_id)
        payment = locks.lock_payment(order, **lookup)
        if payment.amount != notification.amount or payment.currency != notification.currency:
            raise BillingError("amount mismatch", code="amount")
        if notification.status != NotificationStatus.SUCCEEDED:
            if payment.status == PaymentRecordStatus.PENDING:
                payment.status = PaymentRecordStatus.FAILED
                payment.provider_payload = notification.raw
                payment.completed_at = now
                payment.save(update_fields=["status", "provider_payload", "completed_at"])
            return payment  # a failure never undoes money received (nor a decided failure)
        if payment.status in MONEY_RECEIVED_STATUSES:
            return payment  # replay: the money is on record once
        return _money_received(
            order,
            payment,
            payload=notification.raw,
            provider_txn_id=notification.provider_txn_id,
            actor=None,
            now=now,
        )


def _money_received(
    order: Order, payment: Payment, *, payload: dict, provider_txn_id: str, actor, now: datetime
) -> Payment:
    """The money of ``payment`` arrived (both rows locked, order first): it pays the order
    while the order waits for it; otherwise it is owed back (待退款)."""
    payment.provider_payload = payload
    payment.provider_txn_id = provider_txn_id[:64]
    payment.confirmed_at = now
    payment.completed_at = now
    payment.reviewed_by = actor
    fields = ["status", "provider_payload", "provider_txn_id", "confirmed_at", "completed_at"]
    fields.append("reviewed_by")
    awaiting = (PaymentStatus.UNPAID, PaymentStatus.AWAITING_CONFIRMATION)
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_status not in awaiting:
        cancelled = order.status == OrderStatus.CANCELLED
        payment.status = PaymentRecordStatus.REFUND_DUE
        payment.refund_reason = (
            _("Paid after the order was cancelled.")
            if cancelled
            else _("The order was already paid.")
        )
        payment.save(update_fields=[*fields, "refund_reason"])
        if cancelled and order.payment_status != PaymentStatus.REFUND_DUE:
            order.payment_status = PaymentStatus.REFUND_DUE
            order.save(update_fields=["payment_status"])
        _event(
            order,
            from_status=order.status,
            actor=actor,
            note=_("Payment %(reference)s received: refund due") % {"reference": payment.reference},
        )
        return payment
    payment.status = PaymentRecordStatus.SUCCEEDED
    payment.save(update_fields=fields)
    previous = order.status
    order.payment_status = PaymentStatus.PAID
    order.paid_at = now
    order.status = OrderStatus.PROCESSING
    order.save(update_fields=["payment_status", "paid_at", "status"])
    _event(
        order,
        from_status=previous,
        actor=actor,
        note=_("Payment %(reference)s received") % {"reference": payment.reference},
    )
    order_event(order, type="order.paid")
    transaction.on_commit(lambda: _paid_count_add(order))
    return payment


@transaction.atomic
def payment_submit_offline(
    *, order_id: int, user, payer_account: str, paid_on: date, transfer_reference: str = ""
) -> Payment:
    """The reseller reports a bank transfer; finance confirms it in the console."""
    order = locks.lock_order(order_id, company_id=user.company_id)
    return offline_payment_create(
        order,
        actor=user,
        payer_account=payer_account,
        paid_on=paid_on,
        transfer_reference=transfer_reference,
    )


def offline_payment_create(
    order: Order, *, actor, payer_account: str, paid_on: date, transfer_reference: str = ""
) -> Payment:
    """A pending offline payment of the locked ``order`` (what the reseller's report and
    finance's receipt both create); refused unless the order waits for a transfer."""
    if (
        order.status != OrderStatus.PENDING_PAYMENT
        or order.payment_method != OrderPaymentMethod.OFFLINE
    ):
        raise BillingError(
            _("This order does not wait for an offline payment."), code="not_payable"
        )
    payer_account = required_text(
        payer_account, field="payer_account", message=_("Enter the paying bank account.")
    )
    credit_services.not_in_future(
        paid_on, field="paid_on", message=_("The payment date cannot be in the future.")
    )
    if order.payments.filter(kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING).exists():
        raise BillingError(
            _("A transfer for this order is already waiting for confirmation."), code="duplicate"
        )
    payment = _payment_create(
        order=order,
        kind=PaymentKind.OFFLINE,
        provider="bank",
        payer_account=payer_account[:50],
        paid_on=paid_on,
        transfer_reference=(transfer_reference or "").strip()[:60],
    )
    order.payment_status = PaymentStatus.AWAITING_CONFIRMATION
    order.save(update_fields=["payment_status"])
    _event(order, from_status=order.status, actor=actor, note=_("Transfer reported"))
    return payment


def _lock_offline_payment(payment_id: int) -> tuple[Order, Payment]:
    """The offline payment ``payment_id`` and its order, locked order first."""
    order_id = locks.order_id_of_payment(pk=payment_id, kind=PaymentKind.OFFLINE)
    if order_id is None:
        raise Payment.DoesNotExist
    order = locks.lock_order(order_id)
    return order, locks.lock_payment(order, pk=payment_id)


@transaction.atomic
def payment_confirm_offline(*, payment_id: int, actor) -> Payment:
    order, payment = _lock_offline_payment(payment_id)
    if payment.status in MONEY_RECEIVED_STATUSES:
        return payment
    if payment.status != PaymentRecordStatus.PENDING:
        raise BillingError(_("This transfer was already rejected."), code="rejected")
    payment = _money_received(
        order,
        payment,
        payload={"confirmed_by": actor.email},
        provider_txn_id="",
        actor=actor,
        now=timezone.now(),
    )
    payment_decided_notify(order=order, payment=payment)
    return payment


@transaction.atomic
def payment_reject_offline(*, payment_id: int, actor, reason: str) -> Payment:
    reason = required_reason(reason)
    order, payment = _lock_offline_payment(payment_id)
    if payment.status != PaymentRecordStatus.PENDING:
        raise BillingError(
            _("Only transfers waiting for confirmation can be rejected."), code="not_pending"
        )
    payment.status = PaymentRecordStatus.REJECTED
    payment.rejection_reason = reason[:200]
    payment.reviewed_by = actor
    payment.completed_at = timezone.now()
    payment.save(update_fields=["status", "rejection_reason", "reviewed_by", "completed_at"])
    if order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        order.payment_status = PaymentStatus.UNPAID
        order.save(update_fields=["payment_status"])
        _event(order, from_status=order.status, actor=actor, note=reason)
    payment_decided_notify(order=order, payment=payment)
    return payment
