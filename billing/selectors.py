"""Read queries of the billing domain (portal callers pass the signed-in company)."""

from decimal import Decimal

from django.db.models import DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import (
    Bill,
    BillStatus,
    CreditAccount,
    CreditEntry,
    RebateEntry,
    RebateEntryType,
    RebateWallet,
)
from .money import to_money

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def _mismatched(queryset, field: str) -> list[dict]:
    """Rows whose ``field`` differs from the aggregated ``total``.

    The sums run in the database (one grouped query); the comparison happens on
    quantised Decimals here, because SQLite sums decimals as floating point.
    """
    rows = queryset.values_list("pk", field, "total")
    return [
        {"pk": pk, field: value, "total": to_money(total)}
        for pk, value, total in rows.iterator(chunk_size=5000)
        if to_money(value) != to_money(total)
    ]


def ledger_mismatches() -> dict[str, object]:
    """Balances whose stored value differs from the sum of their entries."""
    wallets = RebateWallet.objects.annotate(total=Coalesce(Sum("entries__amount"), ZERO))
    credits = CreditAccount.objects.annotate(total=Coalesce(Sum("entries__amount"), ZERO))
    bills = Bill.objects.annotate(total=Coalesce(Sum("items__entry__amount"), ZERO))
    return {
        "wallets_checked": RebateWallet.objects.count(),
        "credit_accounts_checked": CreditAccount.objects.count(),
        "bills_checked": Bill.objects.count(),
        "wallet_mismatches": _mismatched(wallets, "balance"),
        "credit_mismatches": _mismatched(credits, "used"),
        "credit_over_limit": list(
            CreditAccount.objects.filter(used__gt=F("credit_limit")).values("pk")
        ),
        "negative_wallets": list(RebateWallet.objects.filter(balance__lt=0).values("pk")),
        "bill_mismatches": _mismatched(bills, "amount"),
    }


def wallet_entries(
    *, company_id: int, currency: str, since=None, until=None
) -> QuerySet[RebateEntry]:
    qs = RebateEntry.objects.filter(
        wallet__company_id=company_id, wallet__currency=currency
    ).order_by("-created_at", "-pk")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def wallet_topups(**kwargs) -> QuerySet[RebateEntry]:
    """历史充值明细: the credits (rewards and staff grants)."""
    return wallet_entries(**kwargs).filter(
        entry_type__in=[RebateEntryType.REWARD, RebateEntryType.GRANT]
    )


def credit_summary(*, company_id: int, currency: str) -> dict:
    account = CreditAccount.objects.get(company_id=company_id, currency=currency)
    pending = account.bills.filter(status__in=[BillStatus.PENDING, BillStatus.OVERDUE]).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    return {"account": account, "pending_bills": pending, "unbilled": account.used - pending}


def credit_entries(
    *, company_id: int, currency: str, since=None, until=None
) -> QuerySet[CreditEntry]:
    qs = CreditEntry.objects.filter(
        account__company_id=company_id, account__currency=currency
    ).order_by("-created_at", "-pk")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs
