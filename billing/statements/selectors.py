"""Read queries of the statements: header totals, portal scoping, lines.

Portal callers pass the signed-in user; every queryset is limited to the companies the
user may see (its own company, plus its sub-resellers for a distributor's 管理员).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from backoffice.core.money import format_money, to_money
from billing.models import (
    Currency,
    Order,
    Statement,
    StatementAdjustment,
    StatementLine,
    StatementRollup,
    StatementStatus,
)
from partners.models import User
from partners.selectors import visible_company_ids

from .services import Period

CURRENCY_ORDER = {code: index for index, code in enumerate(Currency.values)}


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    amount: Decimal

    @property
    def display(self) -> str:
        return format_money(self.amount, self.currency)


@dataclass(frozen=True)
class StatementTotals:
    """订单总数, 方案总数 and 销售额 per currency (amounts are never added across currencies)."""

    statement_count: int
    order_count: int
    product_count: int
    sales: list[CurrencyTotal]


def statement_totals(queryset: QuerySet[Statement]) -> StatementTotals:
    """The header cards of a (filtered) statement list: one grouped aggregate query."""
    return _totals(_by_currency(queryset, statements=Count("pk")))


def statement_totals_of_months(
    *, period_start=None, status: str | None = None, currency: str | None = None
) -> StatementTotals:
    """The same header cards as ``statement_totals`` for the unscoped list filtered at most
    by month, status and currency, read from the per-month rollup (``StatementRollup``):
    a few rows per month instead of every statement. Any other filter (search, company,
    tier, a sales person's scope) goes through ``statement_totals`` on the filtered rows."""
    rollup = StatementRollup.objects.all()
    if period_start is not None:
        rollup = rollup.filter(period_start=period_start)
    if status is not None:
        rollup = rollup.filter(status=status)
    if currency is not None:
        rollup = rollup.filter(currency=currency)
    # Emptied keys stay as zero rows: a currency without statements shows no card.
    rows = [
        row for row in _by_currency(rollup, statements=Sum("statement_count")) if row["statements"]
    ]
    return _totals(rows)


def _by_currency(queryset: QuerySet, *, statements) -> list[dict]:
    """The figures of ``queryset`` (statements or their rollup rows, which name their sums
    alike) per currency in one grouped query; ``statements`` counts the statements."""
    return list(
        queryset.order_by()
        .values("currency")
        .annotate(
            statements=statements,
            orders=Sum("order_count"),
            products=Sum("product_count"),
            sales=Sum("sales_amount"),
        )
        .order_by("currency")
    )


def _totals(rows: list[dict]) -> StatementTotals:
    rows.sort(key=lambda row: CURRENCY_ORDER.get(row["currency"], 99))
    return StatementTotals(
        statement_count=sum(row["statements"] or 0 for row in rows),
        order_count=sum(row["orders"] or 0 for row in rows),
        product_count=sum(row["products"] or 0 for row in rows),
        # SQLite sums decimals as floating point: quantise on the way out.
        sales=[CurrencyTotal(row["currency"], to_money(row["sales"] or 0)) for row in rows],
    )


def statement_rollup_mismatches() -> list[str]:
    """(month, currency, status) keys whose rollup row differs from the statements'
    aggregate ([] = the rollup is exact). A missing row counts as zeros."""
    figures = ("statement_count", "order_count", "product_count", "sales_amount")
    actual = {
        (row["period_start"], row["currency"], row["status"]): (
            row["statement_count"],
            row["order_count"] or 0,
            row["product_count"] or 0,
            to_money(row["sales_amount"] or 0),
        )
        for row in Statement.objects.order_by()
        .values("period_start", "currency", "status")
        .annotate(
            statement_count=Count("pk"),
            order_count=Sum("order_count"),
            product_count=Sum("product_count"),
            sales_amount=Sum("sales_amount"),
        )
    }
    kept = {
        (row["period_start"], row["currency"], row["status"]): (
            row["statement_count"],
            row["order_count"],
            row["product_count"],
            to_money(row["sales_amount"]),
        )
        for row in StatementRollup.objects.values("period_start", "currency", "status", *figures)
    }
    zero = (0, 0, 0, to_money(0))
    return [
        f"{period:%Y-%m} {currency} {status}: rollup {kept.get(key, zero)} != "
        f"statements {actual.get(key, zero)}"
        for key in sorted(set(actual) | set(kept))
        for period, currency, status in [key]
        if kept.get(key, zero) != actual.get(key, zero)
    ]


def statement_company_ids(*, user: User) -> list[int]:
    """Companies whose statements ``user`` may see: its own; a distributor's 管理员 also
    its sub-resellers' (read-only, decision 6)."""
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return []
    if user.is_company_admin:
        return visible_company_ids(user=user)
    return [user.company_id]


def portal_statements(
    *, user: User, period: Period | None = None, status: str | None = None
) -> QuerySet[Statement]:
    qs = Statement.objects.filter(company_id__in=statement_company_ids(user=user))
    if period is not None:
        qs = qs.filter(period_start=period.start)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-period_start", "company_name", "currency", "-pk")


def portal_statement(*, user: User, pk: int, writable: bool = False) -> Statement | None:
    """One statement the user may see; ``writable`` (confirm/dispute) limits it to the
    user's own company. None when out of scope (the view answers 404)."""
    ids = [user.company_id] if writable else statement_company_ids(user=user)
    if not ids or not user.company_id:
        return None
    return Statement.objects.filter(pk=pk, company_id__in=ids).first()


def can_act_on(*, user: User, statement: Statement) -> bool:
    """Confirm or dispute: the statement's own company, while it is 待确认."""
    return statement.company_id == user.company_id and statement.status == StatementStatus.DRAFT


def statement_lines(*, statement: Statement) -> QuerySet[StatementLine]:
    return StatementLine.objects.filter(statement=statement).order_by("-transacted_at", "-pk")


def statement_adjustments(*, statement: Statement) -> QuerySet[StatementAdjustment]:
    return StatementAdjustment.objects.filter(statement=statement).order_by("created_at", "pk")


def disputed_statements() -> QuerySet[Statement]:
    return Statement.objects.filter(status=StatementStatus.DISPUTED)


def disputed_statement_count() -> int:
    """The staff queue: statements a partner disputed."""
    return disputed_statements().count()


def statement_periods(limit: int = 36) -> list:
    """Months that have statements, newest first (the console's period filter)."""
    return list(Statement.objects.dates("period_start", "month", order="DESC")[:limit])


def line_count(statement_ids) -> int:
    """How many line rows an export of these statements has (one aggregate query)."""
    total = Statement.objects.filter(pk__in=list(statement_ids)).aggregate(n=Sum("order_count"))
    return int(total["n"] or 0)


def statements_missing(period: Period) -> int:
    """(company, currency) pairs with orders in ``period`` but no statement for it: what
    the monthly run has not generated (yet). One query over the month's orders (indexed
    on created_at) against the statements' unique key."""
    statement = Statement.objects.filter(
        company_id=OuterRef("company_id"),
        currency=OuterRef("currency"),
        period_start=period.start,
    )
    return (
        Order.objects.filter(created_at__gte=period.starts_at, created_at__lt=period.ends_at)
        .exclude(Exists(statement))
        .order_by()
        .values("company_id", "currency")
        .distinct()
        .count()
    )
