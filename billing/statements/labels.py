"""Display labels of the statement documents (spec 9.2).

Order statuses get their own msgids here: the statement shows them as the manual does
(待支付 / 处理中 / 已交付 / 已完成 / 已取消) whatever other screens call them.
"""

from django.utils.translation import gettext_lazy as _

from billing.models import OrderStatus

ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _("Order awaiting payment"),
    OrderStatus.PROCESSING: _("Order processing"),
    OrderStatus.DELIVERED: _("Order delivered"),
    OrderStatus.COMPLETED: _("Order completed"),
    OrderStatus.CANCELLED: _("Order cancelled"),
}


def order_status_label(status: str) -> str:
    return str(ORDER_STATUS_LABELS.get(status, status))


def rate_display(rate) -> str:
    """0.0500 → 5%, 0.0125 → 1.25%."""
    percent = (rate * 100).quantize(rate.__class__("0.01")).normalize()
    return f"{percent:f}%"
