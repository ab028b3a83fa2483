"""The delegated-credit ledger's one write (below ``credit`` and ``delegated``, so both
use it without an import cycle): an entry on a locked ``DelegatedCreditLine``, and the
distributor's usage alerts (README "Two-tier distribution")."""

from decimal import Decimal

from django.utils.translation import gettext as _

from backoffice.core.money import format_amounts, format_money
from billing.models import LIMIT_TYPES, DelegatedCreditEntry, DelegatedCreditLine
from billing.notices import company_notify
from billing.numbering import delegated_entry_number

from .errors import BillingError
from .ledger import entry_write

ALERT_THRESHOLDS = (Decimal("0.70"), Decimal("0.85"))
TIERS_PAGE = "portal:account_tiers"


def delegated_post(
    *,
    line: DelegatedCreditLine,
    entry_type: str,
    amount: Decimal,
    idempotency_key: str,
    actor=None,
    reason: str = "",
    order_number: str = "",
    credit_entry=None,
) -> tuple[DelegatedCreditEntry, bool]:
    """Write one entry on the locked ``line``: allocate/reclaim move its limit, charge and
    release its used amount. Returns (entry, created)."""
    limit_after, used_after = line.credit_limit, line.used
    if entry_type in LIMIT_TYPES:
        limit_after += amount
    else:
        used_after += amount
    if used_after > limit_after or limit_after < 0 or used_after < 0:
        raise BillingError(
            _("The sub-reseller's available credit is %(available)s.")
            % {"available": format_money(line.available, line.currency)},
            code="insufficient",
        )
    entry, created = entry_write(
        DelegatedCreditEntry,
        row=line,
        balance={"credit_limit": limit_after, "used": used_after},
        number=delegated_entry_number,
        entry_type=entry_type,
        amount=amount,
        idempotency_key=idempotency_key,
        reason=reason,
        line=line,
        limit_before=limit_after - amount if entry_type in LIMIT_TYPES else limit_after,
        limit_after=limit_after,
        used_before=used_after - amount if entry_type not in LIMIT_TYPES else used_after,
        used_after=used_after,
        order_number=order_number,
        actor=actor,
        credit_entry=credit_entry,
    )
    return entry, created


def usage_alerts(line: DelegatedCreditLine, used_before: Decimal, reseller_name: str) -> None:
    """Tell the distributor when a sub-reseller's usage crosses 70 % or 85 % of its line
    (once per crossing: only the posting that crosses it)."""
    if line.credit_limit <= 0:
        return
    for threshold in ALERT_THRESHOLDS:
        mark = line.credit_limit * threshold
        if used_before < mark <= line.used:
            company_notify(
                company_id=line.distributor_id,
                kind="delegated_credit_usage_alert",
                context={
                    "reseller": reseller_name,
                    "percent": int(threshold * 100),
                    **format_amounts(line.currency, used=line.used, limit=line.credit_limit),
                },
                link_name=TIERS_PAGE,
            )
