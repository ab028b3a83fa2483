"""Checkout idempotency keys: unique per company, bound to what was submitted.

A key (the hidden field of one rendered checkout page) is unique per (company, key) in
``CheckoutSubmission`` and ``Order``. The submission stores a fingerprint of the payload
(lines, customer, payment method, coupon, rebate, credit): the same key with the same
payload is a replay and returns the first order; the same key with a different payload is
a conflict (``idempotency_conflict``), never the first order silently.
"""

import hashlib
import json
from decimal import Decimal

from django.utils.translation import gettext as _

from backoffice.core.money import to_money
from billing.models import CheckoutSubmission, Order

from .errors import BillingError


def _amount(value) -> str:
    try:
        return str(to_money(value or 0))
    except (TypeError, ValueError):
        return str(value)


def _whole(value) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value)


def submission_fingerprint(
    *,
    lines,
    end_customer_id,
    payment_method: str,
    coupon_id=None,
    rebate_amount=Decimal("0"),
    use_credit: bool = False,
    remarks: str = "",
    expected_close_date=None,
) -> str:
    """SHA-256 of the payload in a canonical form (numbers normalised, parameters sorted).

    Every field the order keeps counts: the same key with other remarks or another
    expected close date is another submission (a conflict), not a replay."""
    payload = {
        "lines": [
            [_whole(line.sku_id), _whole(line.quantity), sorted((line.parameters or {}).items())]
            for line in lines
        ],
        "customer": _whole(end_customer_id),
        "payment_method": str(payment_method),
        "coupon": _whole(coupon_id) if coupon_id else "",
        "rebate": _amount(rebate_amount),
        "credit": bool(use_credit),
        "remarks": (remarks or "").strip(),
        "close": expected_close_date.isoformat() if expected_close_date else "",
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def submission_replay(*, company_id: int, key: str, fingerprint: str) -> Order | None:
    """The order already placed under ``key`` by this company for the same payload, or
    None when the key is new. The same key with another payload raises a conflict."""
    submission = (
        CheckoutSubmission.objects.filter(company_id=company_id, key=key)
        .only("fingerprint")
        .first()
    )
    if submission is None:
        return None
    # A submission stored before fingerprints existed (blank) is taken as the same payload.
    if submission.fingerprint and submission.fingerprint != fingerprint:
        raise BillingError(
            _(
                "This checkout was already submitted with other items or choices. "
                "Review the order and submit it again."
            ),
            code="idempotency_conflict",
        )
    return Order.objects.filter(company_id=company_id, idempotency_key=key).first()
