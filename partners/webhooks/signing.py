"""The webhook signature, in the manner of Stripe and Standard Webhooks.

``Webhook-Signature: v1=<hex HMAC-SHA256 of "<Webhook-Timestamp>.<body>">`` with the
endpoint's secret. ``signature_verify`` is the receiver's check the README documents:
constant-time compare, and a timestamp older (or newer) than the tolerance is a replay.
"""

import hashlib
import hmac
import time

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(*, secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int | str, body: bytes) -> str:
    return f"{SIGNATURE_VERSION}={signature_compute(secret=secret, timestamp=timestamp, body=body)}"


def signature_verify(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True if ``signature`` (the ``Webhook-Signature`` header) signs ``timestamp`` and
    ``body`` with ``secret`` and the timestamp is within ``tolerance`` seconds of now."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False  # replayed (or a clock far off)
    expected = signature_compute(secret=secret, timestamp=timestamp, body=body)
    for part in signature.split(","):
        version, _, value = part.strip().partition("=")
        if version == SIGNATURE_VERSION and hmac.compare_digest(value, expected):
            return True
    return False
