"""Dashboard figures (the console's 首页): one query each, whatever the data size.

``company_ids`` (a queryset of company pks, used as a subquery, or None for every
company) restricts a figure to some companies: the console passes the companies a
销售 owns. It adds no query of its own.

What counts as a sale: an order that is paid and not cancelled, on the day it was
created (Asia/Shanghai months and quarters, the project's TIME_ZONE).
"""

from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from backoffice.core.money import to_money

from ..models import CreditAccount, Order, OrderLine, OrderStatus, PaymentStatus

NEAR_LIMIT_RATIO = "0.70"  # credit accounts at or above 70 % used


def month_start(now=None):
    """The first instant of the current Asia/Shanghai (TIME_ZONE) month."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def months_back(start, months: int):
    """``start`` (a month's first instant) moved ``months`` months back."""
    index = start.year * 12 + start.month - 1 - months
    return start.replace(year=index // 12, month=index % 12 + 1)


def quarter_start(now=None):
    """The first instant of the current Asia/Shanghai calendar quarter."""
    start = month_start(now)
    return months_back(start, (start.month - 1) % 3)


def _scoped(queryset: QuerySet, company_ids, path: str = "company") -> QuerySet:
    if company_ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": company_ids})


def sales_orders(*, since=None, company_ids=None) -> QuerySet[Order]:
    """Orders that count as sales: paid, not cancelled, created at or after ``since``."""
    orders = Order.objects.filter(payment_status=PaymentStatus.PAID).exclude(
        status=OrderStatus.CANCELLED
    )
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    return _scoped(orders, company_ids)


def monthly_sales(*, months: int = 12, now=None, company_ids=None) -> dict:
    """Sales per currency and month over the last ``months`` months (this one included).

    ``{"months": [date of each month's 1st, oldest first], "series": [{currency,
    totals: [Decimal per month], orders: [int per month], total, count}]}``; months
    without sales are zeros, so every series has one value per month.
    """
    start = month_start(now)
    first = months_back(start, months - 1)
    month_days = [months_back(start, back).date() for back in range(months - 1, -1, -1)]
    rows = (
        sales_orders(since=first, company_ids=company_ids)
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .values("month", "currency")
        .annotate(total=Sum("payable_total"), orders=Count("pk"))
        .order_by("currency", "month")
    )
    by_currency: dict[str, dict[date, tuple[Decimal, int]]] = {}
    for row in rows:
        day = timezone.localtime(row["month"]).date()
        by_currency.setdefault(row["currency"], {})[day] = (to_money(row["total"]), row["orders"])
    series = []
    for currency, values in sorted(by_currency.items()):
        totals = [values.get(day, (Decimal("0.00"), 0))[0] for day in month_days]
        counts = [values.get(day, (Decimal("0.00"), 0))[1] for day in month_days]
        series.append(
            {
                "currency": currency,
                "totals": totals,
                "orders": counts,
                "total": sum(totals, Decimal("0.00")),
                "count": sum(counts),
            }
        )
    return {"months": month_days, "series": series}


def orders_by_status(*, company_ids=None) -> list[dict]:
    """[{status, count}] of every order (not only sales), in the statuses' own order."""
    counts = dict(
        _scoped(Order.objects.all(), company_ids)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return [
        {"status": value, "label": label, "count": counts[value]}
        for value, label in OrderStatus.choices
        if counts.get(value)
    ]


def top_partners(*, since, limit: int = 5, company_ids=None) -> list[dict]:
    """[{currency, rows: [{company_id, company__name, total, orders}]}]: the companies
    with the highest sales since ``since``, per currency (amounts in different
    currencies are not added up), ``limit`` each, highest first."""
    rows = (
        sales_orders(since=since, company_ids=company_ids)
        .values("currency", "company_id", "company__name")
        .annotate(total=Sum("payable_total"), orders=Count("pk"))
        .order_by("currency", "-total", "company_id")
    )
    groups: dict[str, list[dict]] = {}
    for row in rows:
        group = groups.setdefault(row["currency"], [])
        if len(group) < limit:
            group.append({**row, "total": to_money(row["total"])})
    return [{"currency": currency, "rows": group} for currency, group in groups.items()]


def top_solutions(*, since, limit: int = 5, company_ids=None) -> list[dict]:
    """[{solution_id, solution__name, lines, quantity}] by order lines sold since
    ``since``, most first."""
    return list(
        OrderLine.objects.filter(order__in=sales_orders(since=since, company_ids=company_ids))
        .values("solution_id", "solution__name")
        .annotate(lines=Count("pk"), quantity=Sum("quantity"))
        .order_by("-lines", "-quantity", "solution_id")[:limit]
    )


def credit_near_limit(
    limit: int = 5, ratio: str = NEAR_LIMIT_RATIO, *, company_ids=None
) -> list[dict]:
    """Credit accounts whose used/limit ≥ ``ratio``, highest usage first."""
    usage = ExpressionWrapper(
        F("used") * Decimal("1.0000") / F("credit_limit"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    accounts = CreditAccount.objects.filter(
        credit_limit__gt=0, used__gte=F("credit_limit") * Decimal(ratio)
    )
    return list(
        _scoped(accounts, company_ids)
        .annotate(usage=usage)
        .order_by("-usage", "pk")
        .values("pk", "company_id", "company__name", "currency", "used", "credit_limit", "usage")[
            :limit
        ]
    )
