"""The built-in sandbox provider: for development and tests only, never in production.

It has no cashier of its own: ``start`` posts the browser to our ``complete_url``, where
the portal (for this provider only) signs the notification the way a provider would and
hands it to the same verified handler as a real notification. Its HMAC key is
``PAYMENT_SANDBOX_SECRET``, never ``SECRET_KEY``; the deploy check refuses this provider
under production settings (``billing.payments.checks``).
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from backoffice.core.money import to_money

from .base import (
    Notification,
    NotificationError,
    NotificationStatus,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
)

# A notification older (or newer) than this is refused.
MAX_SKEW = timedelta(minutes=5)


def sign(payload: dict) -> str:
    """HMAC-SHA256 of the canonical JSON of ``payload`` with ``PAYMENT_SANDBOX_SECRET``."""
    secret = settings.PAYMENT_SANDBOX_SECRET
    if not secret:
        raise NotificationError("PAYMENT_SANDBOX_SECRET is not set")
    message = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def notification(
    *, reference: str, amount, currency: str, status: str = "succeeded", ts: int | None = None
) -> tuple[dict, str]:
    """What the sandbox posts to the notification endpoint: (payload, signature)."""
    payload = {
        "reference": reference,
        "amount": str(to_money(amount)),
        "currency": currency,
        "status": status,
        "ts": int(ts if ts is not None else time.time()),
    }
    return payload, sign(payload)


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    currencies = ("CNY", "USD", "HKD")
    ack_body = '{"status": "ok"}'
    ack_content_type = "application/json"

    def start(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart(url=request.complete_url, method="POST")

    def notification_data(self, *, body: bytes, form: Mapping[str, str]) -> dict:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotificationError("invalid request") from exc
        if not isinstance(data, dict):
            raise NotificationError("invalid request")
        return data

    def verify_notification(self, data: Mapping, *, now: datetime | None = None) -> Notification:
        payload, signature = data.get("payload"), data.get("signature")
        if not isinstance(payload, dict) or not isinstance(signature, str):
            raise NotificationError("invalid request")
        if not hmac.compare_digest(sign(payload), signature):
            raise NotificationError("bad signature")
        try:
            ts = datetime.fromtimestamp(int(payload["ts"]), tz=timezone.UTC)
            amount = Decimal(str(payload["amount"]))
            reference, currency = str(payload["reference"]), str(payload["currency"])
        except (KeyError, TypeError, ValueError, OverflowError, InvalidOperation) as exc:
            raise NotificationError("malformed notification") from exc
        if abs((now or timezone.now()) - ts) > MAX_SKEW:
            raise NotificationError("stale notification")
        status = (
            NotificationStatus.SUCCEEDED
            if payload.get("status") == "succeeded"
            else NotificationStatus.FAILED
        )
        return Notification(
            reference=reference,
            amount=amount,
            currency=currency,
            status=status,
            provider_txn_id=f"sandbox-{reference}",
            raw=dict(payload),
        )
