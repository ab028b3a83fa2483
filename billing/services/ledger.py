"""What the rebate wallet and the credit line post alike: checked amounts and reasons,
and one entry written with its balance row under a replay-safe idempotency key; and the
four-eyes threshold every finance posting compares with (``approvals``, ``receipts``)."""

from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from backoffice.core.money import to_money

from .errors import BillingError


def four_eyes_threshold() -> Decimal:
    return to_money(settings.FOUR_EYES_THRESHOLD)


def needs_second_approval(*, kind: str, amount) -> bool:
    """True when a posting of this amount (for a limit: the new limit) needs a checker."""
    return to_money(amount) > four_eyes_threshold()


def positive(amount) -> Decimal:
    """``amount`` in money, refused unless greater than zero."""
    amount = to_money(amount)
    if amount <= 0:
        raise BillingError(_("The amount must be greater than zero."), code="not_positive")
    return amount


def required_reason(reason: str) -> str:
    """The trimmed reason, refused when blank."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    return reason


def required_text(value: str | None, *, field: str, message: str) -> str:
    """The trimmed ``value`` of a form's ``field``, refused with ``message`` when blank."""
    value = (value or "").strip()
    if not value:
        raise BillingError({field: [message]}, code="required")
    return value


def entry_write(
    model: type[models.Model],
    *,
    row: models.Model,
    balance: dict,
    number: Callable[[], str],
    entry_type: str,
    amount: Decimal,
    idempotency_key: str,
    reason: str = "",
    **fields,
) -> tuple[models.Model, bool]:
    """Insert one ``model`` entry and set ``balance`` on its locked ``row``, together in
    a savepoint. Returns (entry, created): a replayed ``idempotency_key`` hits the unique
    constraint and returns the entry already written; the key of another posting
    (amount or type) is a conflict."""
    try:
        with transaction.atomic():
            entry = model.objects.create(
                number=number(),
                entry_type=entry_type,
                amount=amount,
                reason=reason[:200],
                idempotency_key=idempotency_key,
                **fields,
            )
            for name, value in balance.items():
                setattr(row, name, value)
            row.save(update_fields=[*balance, "updated_at"])
    except IntegrityError:
        existing = model.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        if existing.amount != amount or existing.entry_type != entry_type:
            raise BillingError(
                _("This request was already used for a different posting."), code="conflict"
            ) from None
        return existing, False
    return entry, True
