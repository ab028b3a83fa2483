"""Provider notifications and refunds: the entry points shared by order payments and
online repayments.

``payment_notify`` is what every notification endpoint calls: the provider verifies the
notification, then it is recorded once, as an order payment (``DD…`` references) or an
online repayment (``R<account>_…``). Money the provider confirms is never dropped: what
cannot be kept is a refund due (待退款), which finance settles with
``payment_refund_record`` (a refund made by hand) or ``payment_refund_via_provider``
(the provider's refund call).
"""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import locks
from billing import payments as payment_providers
from billing.models import (
    OnlineRepayment,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    ReceivedMoney,
    RefundMethod,
)
from billing.payments.base import NotificationError, NotificationStatus, RefundError

from . import bills as bill_services
from . import orders as order_services
from .errors import BillingError


def payment_notify(
    *, provider: str, data: Mapping, now: datetime | None = None
) -> Payment | OnlineRepayment | None:
    """Verify and record a provider's notification. Anything not authentic, unknown or
    not matching (amount, currency) raises ``BillingError`` and records nothing; a
    notification of nothing final (waiting for the buyer) returns None."""
    source = payment_providers.notifying_provider(provider)
    if source is None:
        raise BillingError("unknown provider", code="provider")
    try:
        notification = source.verify_notification(data, now=now)
    except NotificationError as exc:
        raise BillingError(str(exc), code="signature") from exc
    if notification.status == NotificationStatus.WAITING:
        return None
    if bill_services.ONLINE_REPAYMENT_REFERENCE.match(notification.reference):
        return bill_services.repayment_online_record_notification(
            notification=notification, provider=source.name, now=now
        )
    return order_services.payment_record_notification(
        notification=notification, provider=source.name, now=now
    )


# --------------------------------------------------------------------------
# Refunds (待退款)
# --------------------------------------------------------------------------


def _refund_clean(*, method: str, reference: str, note: str) -> tuple[str, str, str]:
    reference, note = (reference or "").strip(), (note or "").strip()
    errors = {}
    if method not in RefundMethod.values:
        errors["method"] = [_("Choose how the money was refunded.")]
    if not reference:
        errors["reference"] = [
            _("Enter the refund reference (bank transfer or provider refund no.).")
        ]
    if errors:
        raise BillingError(errors, code="required")
    return method, reference[:64], note[:200]


def _refund_mark(obj: ReceivedMoney, *, actor, method: str, reference: str, note: str) -> bool:
    """Record the refund on the locked ``obj``; False if it was recorded already."""
    if obj.status == PaymentRecordStatus.REFUNDED:
        return False
    if obj.status != PaymentRecordStatus.REFUND_DUE:
        raise BillingError(_("No refund is due for this payment."), code="not_refund_due")
    obj.status = PaymentRecordStatus.REFUNDED
    obj.refund_method, obj.refund_reference, obj.refund_note = method, reference, note
    obj.refunded_by, obj.refunded_at = actor, timezone.now()
    obj.save(
        update_fields=[
            "status",
            "refund_method",
            "refund_reference",
            "refund_note",
            "refunded_by",
            "refunded_at",
        ]
    )
    return True


@transaction.atomic
def payment_refund_record(
    *, payment_id: int, actor, method: str, reference: str, note: str = ""
) -> Payment:
    """Finance records that a refund due of an order payment was paid back. Idempotent:
    a second recording changes nothing. The cancelled order becomes refunded once none
    of its payments is owed back any more."""
    method, reference, note = _refund_clean(method=method, reference=reference, note=note)
    order_id = locks.order_id_of_payment(pk=payment_id)
    if order_id is None:
        raise Payment.DoesNotExist
    order = locks.lock_order(order_id)
    payment = locks.lock_payment(order, pk=payment_id)
    if not _refund_mark(payment, actor=actor, method=method, reference=reference, note=note):
        return payment
    still_due = order.payments.filter(status=PaymentRecordStatus.REFUND_DUE).exists()
    if order.payment_status == PaymentStatus.REFUND_DUE and not still_due:
        order.payment_status = PaymentStatus.REFUNDED
        order.save(update_fields=["payment_status"])
    order_services._event(
        order,
        from_status=order.status,
        actor=actor,
        note=_("Refund of payment %(payment)s recorded (%(reference)s)")
        % {"payment": payment.reference, "reference": reference},
    )
    return payment


@transaction.atomic
def online_repayment_refund_record(
    *, online_repayment_id: int, actor, method: str, reference: str, note: str = ""
) -> OnlineRepayment:
    """Finance records that a refund due of an online repayment was paid back."""
    method, reference, note = _refund_clean(method=method, reference=reference, note=note)
    online = locks.lock_online_repayment(pk=online_repayment_id)
    if online is None:
        raise OnlineRepayment.DoesNotExist
    _refund_mark(online, actor=actor, method=method, reference=reference, note=note)
    return online


def payment_refund_via_provider(
    *, actor, payment_id: int | None = None, online_repayment_id: int | None = None, note=""
) -> Payment | OnlineRepayment:
    """Refund a refund due through its provider's refund API, then record it.

    The provider call runs outside any transaction (no row lock is held across the
    network); it is idempotent at the provider through its refund reference, so a retry
    after a failure refunds once.
    """
    if payment_id is not None:
        obj = Payment.objects.get(pk=payment_id)
        reference = obj.reference
    else:
        obj = OnlineRepayment.objects.select_related("account").get(pk=online_repayment_id)
        reference = obj.provider_reference
    if obj.status != PaymentRecordStatus.REFUND_DUE:
        raise BillingError(_("No refund is due for this payment."), code="not_refund_due")
    try:
        provider = payment_providers.get_provider(obj.provider)
        refund_reference = provider.refund(
            reference=reference, amount=obj.amount, refund_reference=f"RF{obj.pk}{reference}"[:64]
        )
    except (KeyError, RefundError, ValueError) as exc:
        raise BillingError(
            _("The provider did not refund the payment: %(error)s") % {"error": exc},
            code="provider_refund",
        ) from exc
    record = {
        "actor": actor,
        "method": RefundMethod.PROVIDER,
        "reference": refund_reference,
        "note": note,
    }
    if payment_id is not None:
        return payment_refund_record(payment_id=payment_id, **record)
    return online_repayment_refund_record(online_repayment_id=online_repayment_id, **record)


def payment_callback(*, payload: dict, signature: str, now: datetime | None = None) -> Payment:
    """The sandbox provider's notification (``payment_notify`` with the sandbox)."""
    return payment_notify(
        provider="sandbox", data={"payload": payload, "signature": signature}, now=now
    )


def repayment_online_callback(
    *, payload: dict, signature: str, now: datetime | None = None
) -> OnlineRepayment:
    """The sandbox provider's notification for an online repayment (verified: signature,
    time, amount; recorded once)."""
    return payment_notify(
        provider="sandbox", data={"payload": payload, "signature": signature}, now=now
    )
