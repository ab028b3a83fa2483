"""Rebate wallet (可抵扣优惠金额) postings.

Every posting locks the wallet row (``select_for_update``), writes one append-only
entry with the balance after, and updates the balance, in one transaction. The
entry's idempotency key is unique in the database: a replayed posting hits the
constraint inside a savepoint and returns the entry already written.
"""

import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backoffice.core.money import format_amounts, to_money
from billing import locks
from billing.models import RebateEntry, RebateEntryType, RebateWallet
from billing.numbering import rebate_entry_number

from .errors import BillingError
from .ledger import entry_write, positive, required_reason


def wallet_lock(*, company_id: int, currency: str) -> RebateWallet:
    """The company's wallet in ``currency`` under a row lock (``billing.locks``)."""
    try:
        return locks.lock_wallet(company_id=company_id, currency=currency)
    except RebateWallet.DoesNotExist as exc:
        raise BillingError(
            _("This company has no %(currency)s rebate wallet.") % {"currency": currency}
        ) from exc


def _post(
    *,
    company_id: int,
    currency: str,
    amount: Decimal,
    entry_type: str,
    idempotency_key: str,
    actor=None,
    reason: str = "",
    order_number: str = "",
    reverses: RebateEntry | None = None,
    wallet: RebateWallet | None = None,
) -> RebateEntry:
    """Post on ``wallet`` when the caller already locked it (``wallet_lock``), else lock it."""
    amount = to_money(amount)
    with transaction.atomic():
        if wallet is None:
            wallet = wallet_lock(company_id=company_id, currency=currency)
        balance_after = wallet.balance + amount
        if balance_after < 0:
            raise BillingError(
                _("The rebate balance is %(balance)s; %(amount)s cannot be deducted.")
                % format_amounts(currency, balance=wallet.balance, amount=-amount),
                code="insufficient",
            )
        entry, _created = entry_write(
            RebateEntry,
            row=wallet,
            balance={"balance": balance_after},
            number=rebate_entry_number,
            entry_type=entry_type,
            amount=amount,
            idempotency_key=idempotency_key,
            reason=reason,
            wallet=wallet,
            balance_after=balance_after,
            order_number=order_number,
            actor=actor,
            reverses=reverses,
        )
    return entry


def wallet_grant(
    *,
    company_id: int,
    currency: str,
    amount,
    actor,
    reason: str,
    idempotency_key: str | None = None,
):
    """Staff credit the wallet (人工发放) with a required reason."""
    return _post(
        company_id=company_id,
        currency=currency,
        amount=positive(amount),
        entry_type=RebateEntryType.GRANT,
        idempotency_key=idempotency_key or f"grant:{uuid.uuid4()}",
        actor=actor,
        reason=required_reason(reason),
    )


def wallet_clawback(
    *,
    company_id: int,
    currency: str,
    amount,
    actor,
    reason: str,
    idempotency_key: str | None = None,
):
    """Staff take back part of the balance (never below zero) with a required reason."""
    return _post(
        company_id=company_id,
        currency=currency,
        amount=-positive(amount),
        entry_type=RebateEntryType.CLAWBACK,
        idempotency_key=idempotency_key or f"clawback:{uuid.uuid4()}",
        actor=actor,
        reason=required_reason(reason),
    )


def wallet_spend(
    *,
    company_id: int,
    currency: str,
    amount,
    order_number: str,
    actor,
    idempotency_key: str,
    wallet: RebateWallet | None = None,
):
    """Checkout: deduct the rebate amount used for an order (购买支出). ``wallet``: the
    wallet checkout's lock phase already locked (``wallet_lock``)."""
    return _post(
        company_id=company_id,
        currency=currency,
        amount=-positive(amount),
        entry_type=RebateEntryType.SPEND,
        idempotency_key=idempotency_key,
        actor=actor,
        order_number=order_number,
        wallet=wallet,
    )


def wallet_reward(*, company_id: int, currency: str, amount, reason: str, idempotency_key: str):
    """The half-yearly rebate (蓝云激励奖励)."""
    return _post(
        company_id=company_id,
        currency=currency,
        amount=positive(amount),
        entry_type=RebateEntryType.REWARD,
        idempotency_key=idempotency_key,
        reason=reason,
    )


def wallet_reverse_spend(*, entry: RebateEntry, actor=None, reason: str = "") -> RebateEntry:
    """Return a purchase expense to the wallet (order cancelled). Once per entry."""
    if entry.entry_type != RebateEntryType.SPEND:
        raise BillingError(_("Only purchase expenses can be reversed."), code="not_reversible")
    return _post(
        company_id=entry.wallet.company_id,
        currency=entry.wallet.currency,
        amount=-entry.amount,
        entry_type=RebateEntryType.SPEND_REVERSAL,
        idempotency_key=f"reverse:{entry.idempotency_key}",
        actor=actor,
        reason=reason or _("Order cancelled"),
        order_number=entry.order_number,
        reverses=entry,
    )


# --------------------------------------------------------------------------
# Half-yearly rebate run (decision 2)
# --------------------------------------------------------------------------


def half_year_bounds(period: str):
    """'2026H1' → (2026-01-01, 2026-07-01) as Asia/Shanghai datetimes; end exclusive."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings

    year, half = int(period[:4]), period[4:]
    if half not in ("H1", "H2"):
        raise ValueError(f"bad period {period!r}")
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime(year, 1 if half == "H1" else 7, 1, tzinfo=tz)
    end = datetime(year, 7, 1, tzinfo=tz) if half == "H1" else datetime(year + 1, 1, 1, tzinfo=tz)
    return start, end


def previous_half_year(now=None) -> str:
    from django.utils import timezone

    local = timezone.localtime(now or timezone.now())
    return f"{local.year - 1}H2" if local.month <= 6 else f"{local.year}H1"


def paid_order_totals(start, end) -> list[dict]:
    """[{company_id, currency, total}] of paid, non-cancelled orders created in [start, end).

    One grouped query; "paid" means payment status 已付款 (cancelled orders are refunded).
    """
    from django.db.models import Sum

    from billing.models import Order, OrderStatus, PaymentStatus

    return list(
        Order.objects.filter(
            created_at__gte=start, created_at__lt=end, payment_status=PaymentStatus.PAID
        )
        .exclude(status=OrderStatus.CANCELLED)
        .values("company_id", "currency")
        .annotate(total=Sum("payable_total"))
        .order_by("company_id", "currency")
    )


def rebate_run(*, period: str, totals=None) -> dict[str, int]:
    """Credit each company tier-rate × paid order amount of the half-year, per currency.

    Idempotent per (company, currency, period): a RebateRun row and the entry's
    idempotency key are unique, so reruns and parallel workers credit once.
    """
    from decimal import Decimal

    from billing.models import RebateRun
    from partners.models import Company

    start, end = half_year_bounds(period)
    rows = totals if totals is not None else paid_order_totals(start, end)
    rates = dict(Company.objects.values_list("pk", "tier__rebate_rate"))
    result = {"credited": 0, "skipped": 0}
    for row in rows:
        rate = rates.get(row["company_id"], Decimal("0"))
        amount = to_money(Decimal(row["total"]) * rate)
        if amount <= 0:
            result["skipped"] += 1
            continue
        try:
            with transaction.atomic():
                run = RebateRun.objects.create(
                    company_id=row["company_id"],
                    currency=row["currency"],
                    period=period,
                    base_amount=to_money(row["total"]),
                    rate=rate,
                    amount=amount,
                )
                run.entry = wallet_reward(
                    company_id=row["company_id"],
                    currency=row["currency"],
                    amount=amount,
                    reason=_("Rebate %(period)s") % {"period": period},
                    idempotency_key=f"rebate-run:{row['company_id']}:{row['currency']}:{period}",
                )
                run.save(update_fields=["entry"])
            result["credited"] += 1
        except IntegrityError:
            result["skipped"] += 1
    return result
