"""Read queries of the portal's ordering screens: cart, checkout, orders list and detail.

Every function takes the signed-in user or the company ids the caller may see
(``partners.selectors.visible_company_ids``), so another company's rows never match.
Each runs a fixed number of queries whatever the number of lines or orders.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from backoffice.core.money import to_money
from backoffice.core.selectors import search_any
from catalog.models import Sku

from ..models import (
    CartLine,
    Coupon,
    CouponStatus,
    CreditAccount,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    RebateWallet,
)

HISTORY_ROWS = 200
HISTORY_VALUES_PER_KEY = 10
CHECKOUT_CUSTOMERS = 10


# --------------------------------------------------------------------------
# Cart
# --------------------------------------------------------------------------


def cart_count(*, user_id: int) -> int:
    """The header badge: how many lines the user's cart holds."""
    return CartLine.objects.filter(user_id=user_id).count()


def cart_lines(*, user) -> list[CartLine]:
    """The user's cart lines with SKU and solution, oldest first."""
    return list(
        CartLine.objects.filter(user=user)
        .select_related("sku__solution")
        .order_by("created_at", "pk")
    )


def cart_lines_by_ids(*, user, line_ids) -> list[CartLine]:
    return list(
        CartLine.objects.filter(user=user, pk__in=list(line_ids))
        .select_related("sku__solution")
        .order_by("created_at", "pk")
    )


def plan_choices(*, lines: list[CartLine]) -> dict[tuple[int, str], list[Sku]]:
    """购买计划: the active plans of each line's solution in the line's region (one query)."""
    solution_ids = {line.sku.solution_id for line in lines}
    plans: dict[tuple[int, str], list[Sku]] = defaultdict(list)
    if not solution_ids:
        return plans
    for sku in Sku.objects.filter(
        solution_id__in=solution_ids, is_active=True, solution__is_published=True
    ).order_by("position", "pk"):
        plans[(sku.solution_id, sku.region)].append(sku)
    return plans


def line_subtotal(sku: Sku, quantity: int) -> Decimal:
    """小计 as the checkout prices it: unit price × quantity, in cents."""
    return to_money(sku.unit_price * quantity)


@dataclass
class CartTotals:
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency → amount


def cart_totals(lines: list[CartLine]) -> CartTotals:
    """已选商品 N 件 and 合计 of the selected lines, per currency (amounts are never converted)."""
    result = CartTotals()
    for line in lines:
        if not line.selected:
            continue
        result.count += 1
        amount = line_subtotal(line.sku, line.quantity)
        result.totals[line.sku.currency] = (
            result.totals.get(line.sku.currency, Decimal("0.00")) + amount
        )
    return result


def parameter_history(*, company_id: int, sku_ids) -> dict[int, dict[str, list[str]]]:
    """从历史选择: values this company entered for each SKU's parameters on earlier orders.

    ``{sku_id: {key: [value, ...]}}``, newest first, without duplicates (one query).
    """
    history: dict[int, dict[str, list[str]]] = {}
    sku_ids = list(sku_ids)
    if not sku_ids:
        return history
    rows = (
        OrderLine.objects.filter(order__company_id=company_id, sku_id__in=sku_ids)
        .order_by("-order__created_at", "-pk")
        .values_list("sku_id", "parameters")[:HISTORY_ROWS]
    )
    for sku_id, parameters in rows:
        if not isinstance(parameters, dict):
            continue
        per_key = history.setdefault(sku_id, {})
        for key, value in parameters.items():
            values = per_key.setdefault(str(key), [])
            value = str(value)
            if value and value not in values and len(values) < HISTORY_VALUES_PER_KEY:
                values.append(value)
    return history


def sku_on_sale(*, code: str) -> Sku | None:
    """A SKU on sale by its code (the detail page posts codes), else None."""
    code = (code or "").strip()[:40]
    if not code:
        return None
    return (
        Sku.objects.select_related("solution")
        .filter(code=code, is_active=True, solution__is_published=True)
        .first()
    )


def skus_by_ids(ids) -> dict[int, Sku]:
    return {sku.pk: sku for sku in Sku.objects.select_related("solution").filter(pk__in=list(ids))}


# --------------------------------------------------------------------------
# Checkout
# --------------------------------------------------------------------------


def checkout_customers(*, company, search: str = "", selected_id: int | None = None) -> list:
    """交付信息: the company's end customers matching ``search`` (the first few), plus the
    selected one if the search hides it."""
    from partners.selectors import end_customers

    rows = list(end_customers(company=company, search=search)[:CHECKOUT_CUSTOMERS])
    if selected_id and all(row.pk != selected_id for row in rows):
        selected = end_customers(company=company).filter(pk=selected_id).first()
        if selected is not None:
            rows.insert(0, selected)
    return rows


def company_unused_coupons(*, company_id: int) -> QuerySet[Coupon]:
    """Choice list of the coupon field: the company's unused coupons (the quote checks the rest)."""
    return Coupon.objects.filter(company_id=company_id, status=CouponStatus.UNUSED)


def rebate_available(*, company_id: int, currency: str) -> Decimal:
    wallet = RebateWallet.objects.filter(company_id=company_id, currency=currency).first()
    return wallet.balance if wallet else Decimal("0.00")


def credit_account(*, company_id: int, currency: str) -> CreditAccount | None:
    return CreditAccount.objects.filter(company_id=company_id, currency=currency).first()


def order_by_idempotency_key(*, company_id: int, key: str) -> Order | None:
    if not key:
        return None
    return Order.objects.filter(company_id=company_id, idempotency_key=key).first()


# --------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------


def _lines_prefetch() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related("solution").order_by("pk"),
    )


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def orders_list(
    *,
    company_ids: list[int],
    search: str = "",
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    region: str = "",
) -> QuerySet[Order]:
    """客户订单: the orders of ``company_ids``, newest first, lines prefetched.

    ``search`` matches the order number, the customer company and the salesperson
    (the user who placed the order: name or e-mail).
    """
    qs = (
        Order.objects.filter(company_id__in=company_ids)
        .select_related("company", "placed_by")
        .prefetch_related(_lines_prefetch())
        .order_by("-created_at", "-pk")
    )
    search = (search or "").strip()
    qs = search_any(qs, search, "number", "customer_company", "placed_by__email", "placed_by__name")
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(created_at__gte=_local_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_local_start(date_to + timedelta(days=1)))
    if region:
        qs = qs.filter(region=region)
    return qs


def order_for_user(*, company_ids: list[int], number: str) -> Order | None:
    """One order by number among ``company_ids`` (None for anyone else's number)."""
    return (
        Order.objects.filter(company_id__in=company_ids, number=number)
        .select_related("company", "placed_by", "contract")
        .first()
    )


def order_detail(*, company_ids: list[int], number: str) -> Order | None:
    """订单详情: the order with lines, payments and status events (fixed query count)."""
    return (
        Order.objects.filter(company_id__in=company_ids, number=number)
        .select_related("company", "placed_by", "contract", "coupon__campaign")
        .prefetch_related(
            _lines_prefetch(),
            Prefetch("payments", queryset=Payment.objects.order_by("created_at", "pk")),
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk"),
            ),
        )
        .first()
    )


def payment_for_user(*, company_id: int, reference: str) -> Payment | None:
    """A payment of the user's own company by its reference (DD…), with its order."""
    return (
        Payment.objects.filter(order__company_id=company_id, reference=reference)
        .select_related("order")
        .first()
    )
