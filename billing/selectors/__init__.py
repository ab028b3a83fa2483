"""Read queries of the billing domain (portal callers pass the signed-in company)."""

from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Prefetch, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from backoffice.core.money import to_money
from catalog.models import Solution

from ..models import (
    Bill,
    BillStatus,
    Coupon,
    CouponStatus,
    CreditAccount,
    CreditEntry,
    RebateEntry,
    RebateEntryType,
    RebateWallet,
    Repayment,
    RepaymentStatus,
)

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


def _entries_between(
    model: type[RebateEntry | CreditEntry],
    owner: str,
    *,
    company_id: int,
    currency: str,
    since=None,
    until=None,
) -> QuerySet:
    """A ledger's entries on the company's ``owner`` row (wallet or credit account) in
    ``currency``, newest first, created in [``since``, ``until``) when given."""
    return _newest_between(
        model.objects.filter(
            **{f"{owner}__company_id": company_id, f"{owner}__currency": currency}
        ),
        since,
        until,
    )


def _newest_between(qs: QuerySet, since, until) -> QuerySet:
    """``qs`` newest first, created in [``since``, ``until``) when given."""
    qs = qs.order_by("-created_at", "-pk")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def wallet_entries(
    *, company_id: int, currency: str, since=None, until=None
) -> QuerySet[RebateEntry]:
    return _entries_between(
        RebateEntry, "wallet", company_id=company_id, currency=currency, since=since, until=until
    )


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
    return _entries_between(
        CreditEntry, "account", company_id=company_id, currency=currency, since=since, until=until
    )


# --------------------------------------------------------------------------
# Portal 我的资产 and console work queues
# --------------------------------------------------------------------------


def wallet_of(*, company_id: int, currency: str) -> RebateWallet | None:
    """The company's rebate wallet in ``currency`` (None if the row is missing)."""
    return RebateWallet.objects.filter(company_id=company_id, currency=currency).first()


def credit_overview(*, company_id: int, currency: str) -> dict | None:
    """``credit_summary`` for the header cards, or None when the company has no such account."""
    try:
        return credit_summary(company_id=company_id, currency=currency)
    except CreditAccount.DoesNotExist:
        return None


def coupons_by_status(
    *, company_id: int, status: str, currency: str | None = None, since=None, until=None
) -> QuerySet[Coupon]:
    """优惠券 tabs: the company's coupons of one status, newest first, campaign solutions prefetched.

    The time window applies to ``used_at`` for used coupons and ``issued_at`` otherwise.
    """
    qs = (
        Coupon.objects.filter(company_id=company_id, status=status)
        .select_related("campaign", "quota__distributor")
        .prefetch_related(
            Prefetch("campaign__solutions", queryset=Solution.objects.order_by("name", "pk"))
        )
        .order_by("-issued_at", "-pk")
    )
    if currency:
        qs = qs.filter(campaign__currency=currency)
    field = "used_at" if status == CouponStatus.USED else "issued_at"
    if since is not None:
        qs = qs.filter(**{f"{field}__gte": since})
    if until is not None:
        qs = qs.filter(**{f"{field}__lt": until})
    return qs


def company_bills(*, company_id: int, currency: str, since=None, until=None) -> QuerySet[Bill]:
    """已出账单 of the company's credit line, newest first; ``under_review`` marks bills with an
    offline repayment waiting for finance."""
    waiting = Repayment.bills.through.objects.filter(
        bill_id=OuterRef("pk"), repayment__status=RepaymentStatus.SUBMITTED
    )
    qs = Bill.objects.filter(account__company_id=company_id, account__currency=currency).annotate(
        under_review=Exists(waiting)
    )
    return _newest_between(qs, since, until)


def company_bills_by_ids(*, company_id: int, bill_ids) -> QuerySet[Bill]:
    """The company's own bills among ``bill_ids`` (another company's ids simply do not match)."""
    return (
        Bill.objects.filter(account__company_id=company_id, pk__in=list(bill_ids))
        .select_related("account")
        .order_by("pk")
    )


def company_repayments(
    *, company_id: int, currency: str, since=None, until=None
) -> QuerySet[Repayment]:
    """还款记录 of the company's credit line, newest first, with the bills' numbers prefetched."""
    qs = Repayment.objects.filter(
        account__company_id=company_id, account__currency=currency
    ).prefetch_related(Prefetch("bills", queryset=Bill.objects.only("pk", "number").order_by("pk")))
    return _newest_between(qs, since, until)


def repayments_awaiting_review() -> QuerySet[Repayment]:
    return Repayment.objects.filter(status=RepaymentStatus.SUBMITTED)


def overdue_bills() -> QuerySet[Bill]:
    return Bill.objects.filter(status=BillStatus.OVERDUE)


# Dashboard figures (the console's 首页): billing/selectors/dashboard.py.


def pending_postings():
    """Finance postings above the four-eyes threshold waiting for a second user."""
    from billing.models import PendingPosting, PendingPostingStatus

    return PendingPosting.objects.filter(status=PendingPostingStatus.PENDING)
