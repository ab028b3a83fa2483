"""Display labels of the statement documents (spec 9.2).

Order statuses get their own msgids here: the statement shows them as the manual does
(待支付 / 处理中 / 已交付 / 已完成 / 已取消) whatever other screens call them.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.core.money import format_money
from billing.models import OrderStatus, Statement

EMPTY = "–"

ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: gettext_lazy("Order awaiting payment"),
    OrderStatus.PROCESSING: gettext_lazy("Order processing"),
    OrderStatus.DELIVERED: gettext_lazy("Order delivered"),
    OrderStatus.COMPLETED: gettext_lazy("Order completed"),
    OrderStatus.CANCELLED: gettext_lazy("Order cancelled"),
}


def order_status_label(status: str) -> str:
    return str(ORDER_STATUS_LABELS.get(status, status))


def rate_display(rate) -> str:
    """0.0500 → 5%, 0.0125 → 1.25%."""
    percent = (rate * 100).quantize(rate.__class__("0.01")).normalize()
    return f"{percent:f}%"


def summary_items(statement: Statement) -> list[tuple[str, str]]:
    """账单统计 as (label, value) pairs; shared by the PDF and the HTML detail pages."""
    money = format_money
    return [
        (_("Solution provider"), statement.company_name),
        (_("Entity owner"), EMPTY),
        (_("Tier"), statement.tier_name or EMPTY),
        (_("Business owner"), statement.business_owner_name or EMPTY),
        (_("Address"), statement.address or EMPTY),
        (_("Statement period"), statement.period_label),
        (_("Statement amount"), money(statement.total_payable, statement.currency)),
        (_("Total orders"), str(statement.order_count)),
        (_("Total products"), str(statement.product_count)),
        (_("Sales amount"), money(statement.sales_amount, statement.currency)),
        (_("Revenue-share rate"), rate_display(statement.share_rate)),
        (_("Share payable"), money(statement.share_amount, statement.currency)),
        (_("Adjustments"), money(statement.adjustment_total, statement.currency, signed=True)),
        (_("Status"), str(statement.get_status_display())),
    ]
