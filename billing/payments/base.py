"""The payment provider interface: what every online provider adapter implements.

A provider knows three things: how to send the payer to its cashier (``start``), how to
tell an authentic notification from a forged one (``verify_notification``) and, where it
can, how to give money back (``refund``). It knows nothing of orders or bills: the
services (``billing.services.orders.payment_notify``) turn a verified ``Notification``
into a payment or a repayment, under the lock order of ``billing.locks``.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class NotificationStatus(StrEnum):
    SUCCEEDED = "succeeded"  # the money arrived
    FAILED = "failed"  # the payment is over and no money arrived
    WAITING = "waiting"  # nothing final yet (e.g. Alipay WAIT_BUYER_PAY): nothing to record


class NotificationError(Exception):
    """The notification is not authentic or not well-formed: answer 400, record nothing."""


class RefundError(Exception):
    """The provider refused or could not be reached for a refund."""


@dataclass(frozen=True)
class PaymentRequest:
    """What the cashier is asked to collect. ``reference`` is our order number at the
    provider (a payment's ``DD…`` reference, an online repayment's ``R<account>_…``)."""

    reference: str
    amount: Decimal
    currency: str
    subject: str
    notify_url: str  # absolute: where the provider posts its asynchronous notification
    return_url: str  # absolute: where the payer's browser comes back to
    # Our page that completes a sandbox payment (the sandbox has no cashier of its own).
    complete_url: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PaymentStart:
    """How the browser goes to the cashier: a form of ``fields`` sent to ``url``."""

    url: str
    method: str = "GET"
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A verified notification, in our terms."""

    reference: str
    amount: Decimal
    currency: str
    status: NotificationStatus
    provider_txn_id: str
    raw: dict


class PaymentProvider(ABC):
    name: str = ""
    currencies: tuple[str, ...] = ()
    # What the notification endpoint answers once the notification is recorded.
    ack_body: str = "success"
    ack_content_type: str = "text/plain"

    @abstractmethod
    def start(self, request: PaymentRequest) -> PaymentStart: ...

    def notification_data(self, *, body: bytes, form: Mapping[str, str]) -> dict:
        """The notification's parameters from the HTTP request (form-encoded by default)."""
        return dict(form)

    @abstractmethod
    def verify_notification(self, data: Mapping, *, now: datetime | None = None) -> Notification:
        """The verified notification, or ``NotificationError``."""

    def refund(self, *, reference: str, amount: Decimal, refund_reference: str) -> str:
        """Refund ``amount`` of payment ``reference`` (idempotent per ``refund_reference``);
        returns the provider's refund reference. Providers without refunds say so."""
        raise RefundError(f"{self.name} cannot refund through its API")
