"""Checkout (spec 5, 6.4; decisions 3, 4, 10): buy now, step ② with the 生成电子订单 step
and the credit-pay verification code.

Views are thin. Prices and discounts come from ``checkout_quote`` (no amount posted by the
browser is trusted) and orders are placed by ``checkout_place_order`` with the render's
idempotency key and expected payable amount. The lines being checked out live in the
session under a checkout token (``views.checkout_state``, shared with views.cart).
"""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing.constants import receiving_account
from billing.models import (
    Order,
    OrderPaymentMethod,
    OrderStatus,
    PaymentStatus,
)
from billing.selectors import orders as selectors
from billing.services.checkout import (
    LineInput,
    checkout_contract_data,
    checkout_place_order,
    checkout_quote,
)
from billing.services.checkout_cache import checkout_quote_remember
from billing.services.coupons import coupons_applicable
from billing.services.credit import credit_code_send, is_blocked_by_overdue
from billing.services.delegated import delegated_line_of
from billing.services.errors import BillingError
from billing.services.orders import (
    payment_start_online,
)
from contracts.services import ContractError, contract_preview_html
from partners import services as partner_services
from partners.selectors import end_customers

from ..errors import errors_to_form, errors_to_messages
from ..forms.orders import (
    CheckoutCustomerForm,
    CheckoutForm,
)
from .base import partner_view, wants_json
from .cart import posted_sku
from .checkout_cards import coupon_card
from .checkout_state import checkout_forget, checkout_start, checkout_state

CUSTOMER_PREFIX = "cust"
# Service error keys → checkout form fields.
ERROR_FIELDS = {"code": "credit_code"}
# Posted fields the 生成电子订单 page does not carry back (CSRF, buttons, customer editing).
NOT_CARRIED = {"csrfmiddlewaretoken", "action", "expected_payable"}


# --------------------------------------------------------------------------
# Buy now
# --------------------------------------------------------------------------


@partner_view(methods=("POST",), login_next_from_referer=True)
@posted_sku(fallback="portal:solutions")
def buy_now(request: HttpRequest, *, sku, quantity: int, back: str) -> HttpResponse:
    """立即购买: straight into the checkout with this one line (the cart is not touched)."""
    try:
        quote = checkout_quote(
            company_id=request.user.company_id,
            lines=[LineInput(sku.pk, quantity)],
            require_parameters=False,
        )
    except BillingError as exc:
        errors_to_messages(request, exc)
        return redirect(back)
    token = checkout_start(
        request,
        lines=[LineInput(sku.pk, quote.lines[0].quantity)],
        cart_line_ids=[],
        back_url=back,
    )
    return redirect(f"{reverse('portal:checkout')}?t={token}")


# --------------------------------------------------------------------------
# Checkout (step ②) and the 生成电子订单 step
# --------------------------------------------------------------------------


class CheckoutGone(Exception):
    """The checkout's lines cannot be priced any more (a plan left the catalog)."""


def _credit_short(quote, available) -> str | None:
    """Why credit ``available`` cannot pay ``quote``: nothing left to pay, or too little
    credit; None when it can."""
    if quote.payable_total <= 0:
        return _("Nothing is left to pay.")
    if available < quote.payable_total:
        return _("Available credit %(available)s is less than the amount payable %(payable)s.") % {
            "available": format_money(available, quote.currency),
            "payable": format_money(quote.payable_total, quote.currency),
        }
    return None


class Checkout:
    """One checkout: its session state, the bound form and the server-side quote."""

    def __init__(self, request: HttpRequest, token: str, state: dict, data=None):
        self.request = request
        self.user = request.user
        self.company = request.user.company
        self.token = token
        self.state = state
        skus = selectors.skus_by_ids(line["sku_id"] for line in state["lines"])
        self.skus = [skus.get(line["sku_id"]) for line in state["lines"]]
        if any(sku is None for sku in self.skus):
            raise CheckoutGone
        initial = {"t": token}
        for index, line in enumerate(state["lines"]):
            for key, value in (line.get("parameters") or {}).items():
                initial[f"param-{index}-{key}"] = value
        self.form = CheckoutForm(
            data,
            initial=initial,
            customers=end_customers(company=self.company),
            coupons=selectors.company_unused_coupons(company_id=self.company.pk),
            lines=self.skus,
        )
        key = None
        if data is not None:
            self.form.is_valid()
            key = self.form.cleaned_data.get("idempotency_key")
        self.key = str(key or uuid.uuid4())

    @property
    def bound(self) -> bool:
        return self.form.is_bound

    def line_inputs(self) -> list[LineInput]:
        lines = []
        for index, raw in enumerate(self.state["lines"]):
            if self.bound:
                parameters = self.form.line_parameters(index)
            else:
                parameters = dict(raw.get("parameters") or {})
            lines.append(LineInput(raw["sku_id"], raw["quantity"], parameters))
        return lines

    def quotes(self, *, require_parameters: bool):
        """(base quote without discounts, quote with the chosen ones, the refusal if any)."""
        lines = self.line_inputs()
        try:
            base = checkout_quote(company_id=self.company.pk, lines=lines, require_parameters=False)
        except BillingError as exc:
            raise CheckoutGone(exc) from exc
        try:
            quote = checkout_quote(
                company_id=self.company.pk,
                lines=lines,
                require_parameters=require_parameters,
                **self.form.selections(),
            )
        except BillingError as exc:
            return base, base, exc
        return base, quote, None

    def credit(self, quote) -> tuple[bool, str]:
        """Whether 申请账期 can pay this quote, and the line shown next to it."""
        line = delegated_line_of(company_id=self.company.pk, currency=quote.currency)
        if line is not None:
            return self._delegated_credit(quote, line)
        account = selectors.credit_account(company_id=self.company.pk, currency=quote.currency)
        if account is None or account.credit_limit <= 0:
            return False, _("Your company has no credit line in this currency.")
        available = format_money(account.available, quote.currency)
        if is_blocked_by_overdue(account):
            return False, _(
                "Credit pay is unavailable while a bill is overdue. Repay the overdue bill first."
            )
        if (refused := _credit_short(quote, account.available)) is not None:
            return False, refused
        return True, _("Available credit: %(available)s") % {"available": available}

    def _delegated_credit(self, quote, line) -> tuple[bool, str]:
        """A sub-reseller pays 账期 from the line its distributor delegated (README
        "Two-tier distribution"); the distributor's overdue bill blocks it."""
        distributor = selectors.credit_account(
            company_id=line.distributor_id, currency=quote.currency
        )
        if distributor is not None and is_blocked_by_overdue(distributor):
            return False, _("Credit pay is unavailable: your distributor has an overdue bill.")
        if (refused := _credit_short(quote, line.available)) is not None:
            return False, refused
        available = format_money(line.available, quote.currency)
        return True, _("Available credit from %(distributor)s: %(available)s") % {
            "distributor": line.distributor.name,
            "available": available,
        }

    def back_url(self) -> str:
        return self.state.get("back") or reverse("portal:cart")


def _items(co: Checkout, quote) -> list[dict]:
    history = {}
    if any(co.form.line_definitions):
        history = selectors.parameter_history(
            company_id=co.company.pk, sku_ids={sku.pk for sku in co.skus}
        )
    items = []
    for index, priced in enumerate(quote.lines):
        sku = priced.sku
        items.append(
            {
                "index": index + 1,
                "sku": sku,
                "solution": sku.solution,
                "quantity": priced.quantity,
                "unit_price": format_money(sku.unit_price, sku.currency),
                "subtotal": format_money(priced.line_total, sku.currency),
                "parameters": [
                    {
                        "field": co.form[f"param-{index}-{d['key']}"],
                        "required": bool(d.get("required")),
                        "history": history.get(sku.pk, {}).get(d["key"], []),
                        "list_id": f"history-{index}-{d['key']}",
                    }
                    for d in co.form.line_definitions[index]
                ],
            }
        )
    return items


def _customer_form(request: HttpRequest, co: Checkout, customer=None) -> CheckoutCustomerForm:
    if customer is not None:
        return CheckoutCustomerForm(
            prefix=CUSTOMER_PREFIX,
            initial={
                "pk": customer.pk,
                "name": customer.name,
                "email": customer.email,
                "company_name": customer.company_name,
                "phone": customer.phone,
                "address": customer.address,
            },
        )
    return CheckoutCustomerForm(prefix=CUSTOMER_PREFIX)


def _render_checkout(
    request: HttpRequest,
    co: Checkout,
    *,
    customer_form: CheckoutCustomerForm | None = None,
    selected_customer_id: int | None = None,
    show_quote_error: bool = True,
    error: ValidationError | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        base, quote, quote_error = co.quotes(require_parameters=False)
    except CheckoutGone as exc:
        return _checkout_gone(request, co, exc)
    form = co.form
    if error is not None:
        errors_to_messages(request, error)
    elif quote_error is not None and show_quote_error:
        errors_to_messages(request, quote_error)
    customer = form.cleaned_data.get("end_customer") if form.is_bound else None
    selected_id = selected_customer_id or (customer.pk if customer else None)
    search = (form.cleaned_data.get("customer_q") or "") if form.is_bound else ""
    can_credit, credit_note = co.credit(quote)
    currency = quote.currency
    rebate_balance = selectors.rebate_available(company_id=co.company.pk, currency=currency)
    context = {
        "step": 2,
        "form": form,
        "token": co.token,
        "idempotency_key": co.key,
        "expected_payable": quote.payable_total,
        "customers": selectors.checkout_customers(
            company=co.company, search=search, selected_id=selected_id
        ),
        "selected_customer_id": selected_id,
        "customer_form": customer_form or _customer_form(request, co),
        "customer_form_open": customer_form is not None,
        "payment_method": (form.cleaned_data.get("payment_method") if form.is_bound else None)
        or OrderPaymentMethod.ONLINE,
        "receiving": receiving_account(),
        "use_coupon": form.yes("use_coupon") if form.is_bound else False,
        "coupon_id": quote.coupon.pk if quote.coupon else _posted_coupon(form),
        "coupons": [
            coupon_card(c)
            for c in coupons_applicable(company_id=co.company.pk, lines=base.cart_lines())
        ],
        "use_credit": form.yes("use_credit") if form.is_bound else False,
        "can_credit": can_credit,
        "credit_note": credit_note,
        "use_rebate": form.yes("use_rebate") if form.is_bound else False,
        "rebate_available": format_money(rebate_balance, currency),
        # What switching the rebate on pre-fills (orders.js): the balance, at most the
        # amount payable after the coupon.
        "rebate_usable": max(min(rebate_balance, quote.payable_total + quote.rebate_amount), 0),
        "items": _items(co, quote),
        "item_count": sum(p.quantity for p in quote.lines),
        "summary": {
            "goods_total": format_money(quote.goods_total, currency),
            "coupon_discount": format_money(quote.coupon_discount, currency),
            "has_coupon": quote.coupon_discount > 0,
            "rebate_amount": format_money(quote.rebate_amount, currency),
            "has_rebate": quote.rebate_amount > 0,
            "credit_amount": format_money(quote.credit_amount, currency),
            "has_credit": quote.credit_amount > 0,
            "payable_total": format_money(quote.payable_total, currency),
        },
        "back_url": co.back_url(),
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "portal/orders/checkout.html", context, status=status)


def _posted_coupon(form: CheckoutForm):
    coupon = form.cleaned_data.get("coupon") if form.is_bound else None
    return coupon.pk if coupon else None


def _checkout_gone(request: HttpRequest, co: Checkout | None, exc: Exception) -> HttpResponse:
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, ValidationError):
        errors_to_messages(request, cause)
    else:
        messages.error(request, _("An item is no longer on sale; review your cart."))
    if co is not None:
        checkout_forget(request, co.token)
        return redirect(co.back_url())
    return redirect("portal:cart")


def _load_checkout(request: HttpRequest, data=None) -> Checkout | HttpResponse:
    source = data if data is not None else request.GET
    token = source.get("t", "")
    state = checkout_state(request, token)
    if state is None:
        messages.error(request, _("This checkout has expired. Choose the items again."))
        return redirect("portal:cart")
    try:
        return Checkout(request, token[:64], state, data=data)
    except CheckoutGone as exc:
        return _checkout_gone(request, None, exc)


@partner_view(methods=("GET", "POST"))
def checkout(request: HttpRequest) -> HttpResponse:
    """② 填写核对订单信息. POST ``action``: recalculate (default), submit (→ 生成电子订单),
    back (from the e-order step), agree (同意: place the order), save_customer, edit:<pk>."""
    if request.method == "GET":
        co = _load_checkout(request)
        if isinstance(co, HttpResponse):
            return co
        return _render_checkout(request, co)

    action = request.POST.get("action", "recalculate")
    if action == "agree" and checkout_state(request, request.POST.get("t")) is None:
        # The checkout finished (its lines are gone): the same 同意 again (a retry after
        # the redirect) is that order. While the checkout is open, checkout_place_order
        # compares the payload: the same one is the same order, another one a conflict.
        existing = selectors.order_by_idempotency_key(
            company_id=request.user.company_id, key=request.POST.get("idempotency_key", "")[:80]
        )
        if existing is not None:
            return _after_order(request, existing)
    co = _load_checkout(request, request.POST)
    if isinstance(co, HttpResponse):
        return co
    if action == "agree":
        return _agree(request, co)
    if action == "submit":
        return _submit(request, co)
    if action == "save_customer":
        return _save_customer(request, co)
    if action.startswith("edit:"):
        return _edit_customer(request, co, action.removeprefix("edit:"))
    return _render_checkout(request, co)


def _edit_customer(request: HttpRequest, co: Checkout, raw_pk: str) -> HttpResponse:
    customer = end_customers(company=co.company).filter(pk=_int(raw_pk)).first()
    if customer is None:
        raise Http404
    return _render_checkout(request, co, customer_form=_customer_form(request, co, customer))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _save_customer(request: HttpRequest, co: Checkout) -> HttpResponse:
    """⊕ 添加客户 / 修改 inline: through partners.services; the saved customer is selected."""
    form = CheckoutCustomerForm(request.POST, prefix=CUSTOMER_PREFIX)
    if not form.is_valid():
        return _render_checkout(request, co, customer_form=form, show_quote_error=False)
    data = {key: value for key, value in form.cleaned_data.items() if key != "pk"}
    try:
        if form.cleaned_data.get("pk"):
            customer = end_customers(company=co.company).filter(pk=form.cleaned_data["pk"]).first()
            if customer is None:
                raise Http404
            customer = partner_services.end_customer_update(customer=customer, **data)
            messages.success(request, _("The customer was saved."))
        else:
            customer = partner_services.end_customer_create(
                company=co.company, actor=request.user, **data
            )
            messages.success(request, _("The customer was added and selected."))
    except ValidationError as exc:
        errors_to_form(form, exc, fields=ERROR_FIELDS)
        return _render_checkout(request, co, customer_form=form, show_quote_error=False)
    return _render_checkout(request, co, selected_customer_id=customer.pk, show_quote_error=False)


def _submit(request: HttpRequest, co: Checkout) -> HttpResponse:
    """提交订单: check everything, then show the e-order (生成电子订单) for 同意 / 取消."""
    form = co.form
    form.submit_problems()
    try:
        _base, quote, quote_error = co.quotes(require_parameters=True)
    except CheckoutGone as exc:
        return _checkout_gone(request, co, exc)
    if quote_error is not None:
        return _render_checkout(request, co, error=quote_error)
    if form.yes("use_credit"):
        can_credit, note = co.credit(quote)
        if not can_credit:
            form.add_error("use_credit", note)
    if form.errors:
        return _render_checkout(request, co)
    expected = form.cleaned_data.get("expected_payable")
    if expected is None or to_money(expected) != quote.payable_total:
        messages.error(
            request,
            _(
                "Prices or discounts changed since you opened this page: the amount payable is now %(amount)s."
                " Review the order and submit again."
            )
            % {"amount": format_money(quote.payable_total, quote.currency)},
        )
        return _render_checkout(request, co)
    customer = form.cleaned_data["end_customer"]
    data = checkout_contract_data(
        user=request.user,
        quote=quote,
        customer=customer,
        payment_method=form.cleaned_data["payment_method"],
        use_credit=form.yes("use_credit"),
    )
    try:
        preview = contract_preview_html(data)
    except ContractError as exc:
        errors_to_messages(request, exc)
        return _render_checkout(request, co)
    checkout_quote_remember(  # for 同意 with this page's key (billing.services.checkout_cache)
        company_id=co.company.pk,
        idempotency_key=co.key,
        quote=quote,
        contract_data=data,
        customer=customer,
        **_payload(co),
    )
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_CARRIED and not name.startswith(f"{CUSTOMER_PREFIX}-")
        for value in values
    ]
    return render(
        request,
        "portal/orders/confirm.html",
        {
            "step": 2,
            "preview": preview,
            "carried": carried,
            "expected_payable": quote.payable_total,
            "payable_total": format_money(quote.payable_total, quote.currency),
            "goods_total": format_money(quote.goods_total, quote.currency),
            "customer": customer,
        },
    )


def _payload(co: Checkout) -> dict:
    """What the order is, as the e-order step and 同意 both submit it."""
    return {
        "lines": co.line_inputs(),
        "payment_method": co.form.cleaned_data["payment_method"],
        "remarks": co.form.cleaned_data.get("remarks") or "",
        "expected_close_date": co.form.cleaned_data.get("expected_close_date"),
        **co.form.selections(),
    }


def _agree(request: HttpRequest, co: Checkout) -> HttpResponse:
    """同意: ``checkout_place_order`` creates the order in one transaction, or nothing."""
    form = co.form
    form.submit_problems()
    if form.errors:
        return _render_checkout(request, co)
    expected = form.cleaned_data.get("expected_payable")
    if expected is None:
        messages.error(request, _("Review the order and submit again."))
        return _render_checkout(request, co)
    customer = form.cleaned_data["end_customer"]
    try:
        order = checkout_place_order(
            user=request.user,
            end_customer_id=customer.pk,
            end_customer=customer,
            idempotency_key=co.key,
            credit_code=form.cleaned_data.get("credit_code") or "",
            expected_payable=expected,
            cart_line_ids=co.state.get("cart_line_ids") or [],
            **_payload(co),
        )
    except (BillingError, ContractError) as exc:
        if getattr(exc, "code", None) == "idempotency_conflict":
            # This page's key is spent on another payload: show the error on the form and
            # give the page a fresh key, so the reviewed order can be submitted again.
            form.add_error(None, exc)
            co.key = str(uuid.uuid4())
        elif hasattr(exc, "error_dict"):
            errors_to_form(form, exc, fields=ERROR_FIELDS)
        else:
            errors_to_messages(request, exc)
        return _render_checkout(request, co, show_quote_error=False)
    checkout_forget(request, co.token)
    return _after_order(request, order)


def _after_order(request: HttpRequest, order: Order) -> HttpResponse:
    """Online and unpaid → the payment page; otherwise → 成功提交订单."""
    if (
        order.status == OrderStatus.PENDING_PAYMENT
        and order.payment_method == OrderPaymentMethod.ONLINE
        and order.payment_status == PaymentStatus.UNPAID
    ):
        try:
            payment = payment_start_online(order_id=order.pk, user=request.user)
        except BillingError as exc:
            errors_to_messages(request, exc)
        else:
            return redirect("portal:pay", reference=payment.reference)
    return redirect("portal:order_created", number=order.number)


@partner_view(methods=("POST",))
def checkout_credit_code(request: HttpRequest) -> HttpResponse:
    """获取验证码: e-mail the 6-digit code for this checkout (purpose ``checkout:<key>``)."""
    co = _load_checkout(request, request.POST)
    if isinstance(co, HttpResponse):
        if wants_json(request):
            return JsonResponse({"error": _("This checkout has expired.")}, status=400)
        return co
    try:
        credit_code_send(user=request.user, purpose=f"checkout:{co.key}")
    except BillingError as exc:
        text, ok = " ".join(exc.messages), False
    else:
        text, ok = (
            _("A verification code was sent to %(email)s. It is valid for 10 minutes.")
            % {"email": request.user.email},
            True,
        )
    if wants_json(request):
        return JsonResponse({"message": text} if ok else {"error": text}, status=200 if ok else 429)
    (messages.success if ok else messages.error)(request, text)
    return _render_checkout(request, co, show_quote_error=False)
