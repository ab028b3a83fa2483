"""Orders (spec 5, 10.3.2): the order-created page (③ 成功提交订单), cancelling, 客户订单
and the order detail.

Every order looked up by number is filtered by the companies the user may see (actions:
the user's own company); anyone else's number is a 404 for every method.
"""

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.core.money import format_money
from billing.constants import receiving_account
from billing.models import (
    Order,
    OrderPaymentMethod,
    OrderStatus,
    PaymentStatus,
)
from billing.selectors import orders as selectors
from billing.services.errors import BillingError
from billing.services.orders import (
    order_cancel,
)
from catalog.models import Region
from partners.selectors import visible_company_ids

from ..errors import service_call
from ..forms.orders import (
    OrderFilterForm,
)
from .base import paginate, partner_view, render_account, safe_back_url


def method_not_allowed(request: HttpRequest, methods: tuple[str, ...]) -> HttpResponse | None:
    """405 unless the verb is one of ``methods`` (views that check it after their lookup)."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def own_order(request: HttpRequest, number: str) -> Order:
    """The order of the user's own company with this number, else 404."""
    order = selectors.order_for_user(company_ids=[request.user.company_id], number=number)
    if order is None:
        raise Http404
    return order


def _actions(order: Order, *, own: bool) -> dict:
    """Which buttons an order shows (the services still decide whether the action works)."""
    pending = own and order.status == OrderStatus.PENDING_PAYMENT
    unpaid = order.payment_status == PaymentStatus.UNPAID
    return {
        "own": own,
        "pay": pending and unpaid,
        "pay_offline": pending and unpaid and order.payment_method == OrderPaymentMethod.OFFLINE,
        "awaiting_confirmation": pending
        and order.payment_status == PaymentStatus.AWAITING_CONFIRMATION,
        "cancel": pending and unpaid,
        # A distributor may also download its sub-resellers' contracts (read-only).
        "contract": bool(order.contract_id)
        and order.status in (OrderStatus.PROCESSING, OrderStatus.DELIVERED, OrderStatus.COMPLETED),
    }


@partner_view(methods=None)
def order_created(request: HttpRequest, number: str) -> HttpResponse:
    order = own_order(request, number)
    if (refused := method_not_allowed(request, ("GET",))) is not None:
        return refused
    return render(
        request,
        "portal/orders/created.html",
        {
            "step": 3,
            "order": order,
            "total": format_money(order.payable_total, order.currency),
            "amount_due": format_money(order.amount_due, order.currency),
            "actions": _actions(order, own=True),
            "receiving": receiving_account(),
        },
    )


@partner_view(methods=None)
def order_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    """取消 (unpaid orders of the user's company): coupon, rebate and credit are returned."""
    order = own_order(request, number)
    if (refused := method_not_allowed(request, ("POST",))) is not None:
        return refused
    service_call(
        request,
        lambda: order_cancel(order_id=order.pk, actor=request.user),
        _("Order %(number)s was cancelled.") % {"number": order.number},
        refusals=BillingError,
    )
    return redirect(safe_back_url(request, fallback=reverse("portal:account_orders")))


STATUS_ICONS = {
    OrderStatus.PENDING_PAYMENT: "ⓘ",
    OrderStatus.PROCESSING: "⊙",
    OrderStatus.DELIVERED: "✓",
    OrderStatus.COMPLETED: "✓",
    OrderStatus.CANCELLED: "✕",
}


def _order_row(order: Order, *, own: bool) -> dict:
    currency = order.currency
    regions = dict(Region.choices)
    return {
        "order": order,
        "region": regions.get(order.region, order.region),
        "total": format_money(order.payable_total, currency),
        "icon": STATUS_ICONS.get(order.status, ""),
        "lines": [
            {
                "line": line,
                "solution": line.solution,
                "unit_price": format_money(line.unit_price, currency),
            }
            for line in order.lines.all()
        ],
        "actions": _actions(order, own=own),
    }


@partner_view()
def orders_list(request: HttpRequest) -> HttpResponse:
    """客户订单: the company's orders (a distributor also sees its sub-resellers', read-only)."""
    form = OrderFilterForm(request.GET)
    company_ids = visible_company_ids(user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        queryset = selectors.orders_list(
            company_ids=company_ids,
            search=data.get("q") or "",
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            region=data.get("region") or "",
        )
    else:
        queryset = Order.objects.none()
    page, page_range = paginate(request, queryset)
    own_id = request.user.company_id
    return render_account(
        request,
        "portal/orders/list.html",
        "customer_orders",
        {
            "filters": form,
            "page": page,
            "page_range": page_range,
            "rows": [_order_row(order, own=order.company_id == own_id) for order in page],
        },
    )


@partner_view(methods=None)
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_detail(
        company_ids=visible_company_ids(user=request.user), number=number
    )
    if order is None:
        raise Http404
    if (refused := method_not_allowed(request, ("GET",))) is not None:
        return refused
    currency = order.currency
    own = order.company_id == request.user.company_id
    return render_account(
        request,
        "portal/orders/detail.html",
        "customer_orders",
        {
            "order": order,
            "own": own,
            "actions": _actions(order, own=own),
            "region": dict(Region.choices).get(order.region, order.region),
            "amounts": {
                "goods_total": format_money(order.goods_total, currency),
                "coupon_discount": format_money(order.coupon_discount, currency),
                "rebate_amount": format_money(order.rebate_amount, currency),
                "credit_amount": format_money(order.credit_amount, currency),
                "payable_total": format_money(order.payable_total, currency),
                "amount_due": format_money(order.amount_due, currency),
            },
            "lines": [
                {
                    "line": line,
                    "unit_price": format_money(line.unit_price, currency),
                    "subtotal": format_money(line.line_total, currency),
                    "parameters": sorted((line.parameters or {}).items()),
                }
                for line in order.lines.all()
            ],
            "payments": [
                {"payment": p, "amount": format_money(p.amount, p.currency)}
                for p in order.payments.all()
            ],
            "events": [
                {
                    "event": event,
                    "from": OrderStatus(event.from_status).label if event.from_status else "",
                    "to": OrderStatus(event.to_status).label if event.to_status else "",
                    "payment": PaymentStatus(event.payment_status).label
                    if event.payment_status
                    else "",
                }
                for event in order.events.all()
            ],
        },
    )
