"""Ordering: cart, buy now, checkout, payments, orders (客户订单). Names live in "portal:".

Order numbers and payment references have their own converters, so the tenancy test
(tests/partners/test_tenancy.py) finds every URL that names an order or a payment.
"""

from django.urls import path, register_converter

from .converters import ReferenceConverter
from .views import cart, checkout, orders, payments


class OrderNumberConverter(ReferenceConverter):
    """订单编号: ``yyyyMMddHHmmss`` + a running sequence (spec 0.6)."""

    regex = "[0-9]{14,30}"


class PaymentReferenceConverter(ReferenceConverter):
    """Payment order on the payment platform: ``DD`` + ``yyMMddHHmmss`` + 4 digits."""

    regex = "DD[0-9]{12,30}"


register_converter(OrderNumberConverter, "order_no")
register_converter(PaymentReferenceConverter, "pay_ref")

urlpatterns = [
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.cart_add_view, name="cart_add"),
    path("cart/update/", cart.cart_update_view, name="cart_update"),
    path("cart/remove/", cart.cart_remove_view, name="cart_remove"),
    path("cart/select/", cart.cart_select_view, name="cart_select"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("checkout/buy-now/", checkout.buy_now, name="buy_now"),
    path("checkout/credit-code/", checkout.checkout_credit_code, name="checkout_credit_code"),
    path("pay/<pay_ref:reference>/", payments.pay, name="pay"),
    path("pay/<pay_ref:reference>/complete/", payments.pay_complete, name="pay_complete"),
    # Payment providers' asynchronous notifications (Alipay: /payments/notify/alipay/).
    path("payments/notify/<slug:provider>/", payments.payment_notify_view, name="payment_notify"),
    path(
        "payments/callback/sandbox/",
        payments.payment_notify_view,
        {"provider": "sandbox"},
        name="payment_callback_sandbox",
    ),
    path("orders/<order_no:number>/created/", orders.order_created, name="order_created"),
    path("orders/<order_no:number>/pay/", payments.order_pay, name="order_pay"),
    path("orders/<order_no:number>/transfer/", payments.order_transfer, name="order_transfer"),
    path("account/orders/", orders.orders_list, name="account_orders"),
    path("account/orders/<order_no:number>/", orders.order_detail, name="account_order_detail"),
    path(
        "account/orders/<order_no:number>/cancel/",
        orders.order_cancel_view,
        name="account_order_cancel",
    ),
]
