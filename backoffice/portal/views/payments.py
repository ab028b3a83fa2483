"""Payments (spec 6.4, 10.3.2): the payment page, the provider notifications and the
offline transfer form of an order.

Payments go through the payment services. Every order or payment looked up by number or
reference is filtered by the user's own company; anyone else's is a 404 for every method.
"""

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from backoffice.core.money import format_money
from billing.constants import receiving_account
from billing.models import (
    OrderPaymentMethod,
    OrderStatus,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
)
from billing.payments import notifying_provider
from billing.payments.base import NotificationError
from billing.selectors import orders as selectors
from billing.services.errors import BillingError
from billing.services.orders import (
    ONLINE_PAYMENT_TIMEOUT,
    payment_provider_form,
    payment_start_online,
    payment_submit_offline,
    sandbox_callback_payload,
)
from billing.services.payments import payment_callback, payment_notify

from ..errors import errors_to_messages, form_submit
from ..forms.orders import (
    TransferForm,
)
from .base import partner_view, safe_back_url
from .orders import method_not_allowed, own_order

# --------------------------------------------------------------------------
# Payments: the cashier page, the provider notifications, offline transfers
# --------------------------------------------------------------------------


def _own_payment(request: HttpRequest, reference: str):
    payment = selectors.payment_for_user(company_id=request.user.company_id, reference=reference)
    if payment is None or payment.kind != PaymentKind.ONLINE:
        raise Http404
    return payment


@partner_view(methods=None)
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """The payment page: the countdown and the form that takes the payer to the provider
    (Alipay's cashier; for the development sandbox, our own 立即支付 / failure buttons).
    A real provider's cashier sends the payer back here; the payment is then recorded by
    the provider's notification, and a decided payment shows the order."""
    payment = _own_payment(request, reference)
    if (refused := method_not_allowed(request, ("GET",))) is not None:
        return refused
    order = payment.order
    if payment.status != PaymentRecordStatus.PENDING:
        return redirect("portal:order_created", number=order.number)
    deadline = order.created_at + ONLINE_PAYMENT_TIMEOUT
    remaining = max(0, int((deadline - timezone.now()).total_seconds()))
    payable = order.status == OrderStatus.PENDING_PAYMENT and remaining > 0
    start = None
    if payable:
        try:
            start = payment_provider_form(
                payment=payment,
                notify_url=request.build_absolute_uri(
                    reverse("portal:payment_notify", args=[payment.provider])
                ),
                return_url=request.build_absolute_uri(reverse("portal:pay", args=[reference])),
                complete_url=reverse("portal:pay_complete", args=[reference]),
            )
        except KeyError:  # a provider that is gone: nothing to pay with
            payable = False
    return render(
        request,
        "portal/orders/pay.html",
        {
            "payment": payment,
            "order": order,
            "amount": format_money(payment.amount, payment.currency),
            "minutes": remaining // 60,
            "seconds": remaining % 60,
            "remaining": remaining,
            "deadline": deadline,
            "payable": payable,
            "start": start,
            "sandbox": payment.provider == "sandbox",
            # The countdown's text pattern, for the script (the server decides the deadline).
            "countdown_format": _("%(minutes)s min %(seconds)s s"),
        },
    )


def sandbox_settle(request: HttpRequest, record, *, payload, callback):
    """The development sandbox pays a pending ``record`` (a payment or an online
    repayment): the outcome the page posted, signed as the sandbox's notification by
    ``payload`` and handed to the verified ``callback``, whose result is returned (its
    ``BillingError`` is raised). 404 unless the sandbox is the record's active provider."""
    if record.provider != "sandbox" or notifying_provider("sandbox") is None:
        raise Http404
    outcome = "failed" if request.POST.get("outcome") == "fail" else "succeeded"
    signed, signature = payload(record, status=outcome)
    return callback(payload=signed, signature=signature)


@partner_view(methods=None)
def pay_complete(request: HttpRequest, reference: str) -> HttpResponse:
    """【立即支付】 with the development sandbox: it signs the sandbox's notification and
    hands it to the same verified handler as every provider notification. Refused unless
    the sandbox is the active provider (it never is in production)."""
    payment = _own_payment(request, reference)
    if (refused := method_not_allowed(request, ("POST",))) is not None:
        return refused
    order_number = payment.order.number
    if payment.status == PaymentRecordStatus.PENDING:
        try:
            payment = sandbox_settle(
                request, payment, payload=sandbox_callback_payload, callback=payment_callback
            )
        except BillingError as exc:
            errors_to_messages(request, exc)
            return redirect("portal:pay", reference=reference)
    if payment.status == PaymentRecordStatus.SUCCEEDED:
        messages.success(request, _("Payment received. Thank you!"))
    elif payment.status == PaymentRecordStatus.REFUND_DUE:
        messages.warning(
            request,
            _(
                "Your payment arrived after the order was cancelled. Blue Cloud finance will "
                "refund it."
            ),
        )
    elif payment.status == PaymentRecordStatus.FAILED:
        messages.error(request, _("The payment failed. You can pay again."))
    return redirect("portal:order_created", number=order_number)


@csrf_exempt
def payment_notify_view(request: HttpRequest, provider: str) -> HttpResponse:
    """A payment provider's asynchronous notification (Alipay posts a form; the sandbox
    JSON ``{"payload": {...}, "signature": "..."}``).

    ``payment_notify`` verifies it (the provider's signature, app, amount, currency) and
    records it once; the provider's acknowledgement (Alipay: ``success``) is answered only
    then. Anything wrong answers 400 and records nothing, so the provider retries.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    source = notifying_provider(provider)
    if source is None:
        raise Http404
    try:
        data = source.notification_data(body=request.body, form=request.POST.dict())
        payment_notify(provider=provider, data=data)
    except (BillingError, NotificationError) as exc:
        return JsonResponse({"error": " ".join(getattr(exc, "messages", [str(exc)]))}, status=400)
    return HttpResponse(source.ack_body, content_type=source.ack_content_type)


@partner_view(methods=None)
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    """付款 (list, created page): online → the payment page; offline → transfer."""
    order = own_order(request, number)
    if (refused := method_not_allowed(request, ("POST",))) is not None:
        return refused
    if order.payment_method == OrderPaymentMethod.OFFLINE:
        return redirect("portal:order_transfer", number=order.number)
    try:
        payment = payment_start_online(order_id=order.pk, user=request.user)
    except BillingError as exc:
        errors_to_messages(request, exc)
        return redirect(safe_back_url(request, fallback=reverse("portal:account_orders")))
    return redirect("portal:pay", reference=payment.reference)


@partner_view(methods=None)
def order_transfer(request: HttpRequest, number: str) -> HttpResponse:
    """线下支付: report the bank transfer (付款账号, 付款日期, 参考号); finance confirms it."""
    order = own_order(request, number)
    if (refused := method_not_allowed(request, ("GET", "POST"))) is not None:
        return refused
    form = TransferForm(request.POST if request.method == "POST" else None)
    if form_submit(
        request,
        form,
        lambda data: payment_submit_offline(
            order_id=order.pk,
            user=request.user,
            payer_account=data["payer_account"],
            paid_on=data["paid_on"],
            transfer_reference=data.get("transfer_reference") or "",
        ),
        refusals=BillingError,
    ):
        messages.success(
            request,
            _(
                "Your transfer was reported. Blue Cloud finance will confirm it after "
                "checking the payment."
            ),
        )
        return redirect("portal:account_order_detail", number=order.number)
    waiting = (
        order.status == OrderStatus.PENDING_PAYMENT
        and order.payment_method == OrderPaymentMethod.OFFLINE
        and order.payment_status == PaymentStatus.UNPAID
    )
    return render(
        request,
        "portal/orders/transfer.html",
        {
            "order": order,
            "form": form,
            "waiting": waiting,
            "amount_due": format_money(order.amount_due, order.currency),
            "receiving": receiving_account(),
        },
    )


# --------------------------------------------------------------------------
# ③ 成功提交订单, 客户订单 and the order detail
# --------------------------------------------------------------------------
