"""Cart, checkout, order lifecycle and payments.

``checkout_place_order`` is one transaction: it re-prices every line from the
catalog, redeems the coupon, spends the rebate, charges the credit line, agrees
the contract and stores the order with snapshots (its PDF is rendered after the
commit). Its idempotency key is unique per company and bound to the payload
(``submissions``): a double click or a retried request yields one order, the same
key with another payload a conflict.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing import locks
from billing import payments as payment_providers
from billing.models import (
    MONEY_RECEIVED_STATUSES,
    CartLine,
    CheckoutSubmission,
    Coupon,
    CreditEntry,
    CreditEntryType,
    Order,
    OrderEvent,
    OrderLine,
    OrderPaymentMethod,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
    RebateEntry,
    RebateEntryType,
)
from billing.payments import sandbox
from billing.payments.base import (
    Notification,
    NotificationStatus,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
)

from . import coupons as coupon_services
from . import credit as credit_services
from . import wallet as wallet_services
from .errors import BillingError
from .submissions import submission_fingerprint, submission_replay

MAX_QUANTITY = 9999
MAX_LINES = 50
ONLINE_PAYMENT_TIMEOUT = timedelta(minutes=15)

# One transition table for every status change (who may trigger it is checked by callers).
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.PROCESSING: {OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}


class IllegalTransition(BillingError):
    pass


# --------------------------------------------------------------------------
# Cart
# --------------------------------------------------------------------------


def _sku_for_sale(sku_id: int):
    from catalog.models import Sku

    sku = (
        Sku.objects.select_related("solution")
        .filter(pk=sku_id, is_active=True, solution__is_published=True)
        .first()
    )
    if sku is None:
        raise BillingError(_("This plan is no longer on sale."), code="sku_unavailable")
    return sku


def _quantity(value) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError) as exc:
        raise BillingError(_("Enter a whole number as quantity."), code="quantity") from exc
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BillingError(
            _("The quantity must be between 1 and %(max)d.") % {"max": MAX_QUANTITY},
            code="quantity",
        )
    return quantity


def parameters_clean(sku, values: dict | None, *, require: bool) -> dict:
    """Keep only the SKU's declared parameters, trimmed and length-checked."""
    values = values or {}
    cleaned, missing = {}, []
    for definition in sku.parameters or []:
        key = definition.get("key")
        value = str(values.get(key, "") or "").strip()
        limit = int(definition.get("max_length") or 200)
        if len(value) > limit:
            raise BillingError(
                _("%(label)s: at most %(max)d characters.")
                % {"label": definition.get("label", key), "max": limit},
                code="parameter_length",
            )
        if value:
            cleaned[key] = value
        elif definition.get("required"):
            missing.append(definition.get("label", key))
    if require and missing:
        raise BillingError(
            _("Add the purchase parameters of %(plan)s: %(missing)s.")
            % {"plan": sku.plan_name, "missing": "、".join(missing)},
            code="parameters_missing",
        )
    return cleaned


@transaction.atomic
def cart_add(*, user, sku_id: int, quantity=1, parameters: dict | None = None) -> CartLine:
    sku = _sku_for_sale(sku_id)
    quantity = _quantity(quantity)
    line = CartLine.objects.select_for_update().filter(user=user, sku=sku).first()
    if line is None:
        return CartLine.objects.create(
            user=user,
            sku=sku,
            quantity=quantity,
            parameters=parameters_clean(sku, parameters, require=False),
        )
    line.quantity = _quantity(line.quantity + quantity)
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def cart_update(
    *,
    user,
    line_id: int,
    quantity=None,
    sku_id: int | None = None,
    parameters: dict | None = None,
    selected: bool | None = None,
) -> CartLine:
    line = CartLine.objects.select_for_update().select_related("sku").get(user=user, pk=line_id)
    if sku_id is not None and sku_id != line.sku_id:
        sku = _sku_for_sale(sku_id)
        if sku.solution_id != line.sku.solution_id:
            raise BillingError(_("Choose a plan of the same solution."), code="plan")
        other = CartLine.objects.filter(user=user, sku=sku).exclude(pk=line.pk).first()
        if other is not None:
            raise BillingError(_("This plan is already in your cart."), code="duplicate")
        line.sku = sku
        line.parameters = parameters_clean(sku, line.parameters, require=False)
    if quantity is not None:
        line.quantity = _quantity(quantity)
    if parameters is not None:
        line.parameters = parameters_clean(line.sku, parameters, require=False)
    if selected is not None:
        line.selected = bool(selected)
    line.save()
    return line


def cart_remove(*, user, line_ids: list[int]) -> int:
    deleted, _details = CartLine.objects.filter(user=user, pk__in=line_ids).delete()
    return deleted


# --------------------------------------------------------------------------
# Quote (server-side pricing, shared by the page and the submission)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    sku_id: int
    quantity: int
    parameters: dict = field(default_factory=dict)


@dataclass
class PricedLine:
    sku: object
    quantity: int
    parameters: dict
    line_total: Decimal


@dataclass
class Quote:
    currency: str
    region: str
    lines: list[PricedLine]
    goods_total: Decimal
    coupon: Coupon | None
    coupon_discount: Decimal
    rebate_amount: Decimal
    payable_total: Decimal
    credit_amount: Decimal

    @property
    def amount_due(self) -> Decimal:
        return self.payable_total - self.credit_amount

    def cart_lines(self) -> list[coupon_services.CartLine]:
        return [
            coupon_services.CartLine(
                solution_id=p.sku.solution_id,
                region=p.sku.region,
                currency=p.sku.currency,
                amount=p.line_total,
                quantity=p.quantity,
            )
            for p in self.lines
        ]


def checkout_quote(
    *,
    company_id: int,
    lines: list[LineInput],
    coupon_id: int | None = None,
    rebate_amount=Decimal("0"),
    use_credit: bool = False,
    require_parameters: bool = True,
    now: datetime | None = None,
) -> Quote:
    """Price the lines from the catalog now and apply the coupon, then the rebate (decision 10)."""
    from catalog.models import Sku

    if not lines:
        raise BillingError(_("Choose at least one item."), code="empty")
    if len(lines) > MAX_LINES:
        raise BillingError(_("Too many items in one order."), code="too_many")
    skus = {
        s.pk: s
        for s in Sku.objects.select_related("solution").filter(
            pk__in=[line.sku_id for line in lines], is_active=True, solution__is_published=True
        )
    }
    priced = []
    for line in lines:
        sku = skus.get(line.sku_id)
        if sku is None:
            raise BillingError(
                _("An item is no longer on sale; review your cart."), code="sku_unavailable"
            )
        quantity = _quantity(line.quantity)
        priced.append(
            PricedLine(
                sku=sku,
                quantity=quantity,
                parameters=parameters_clean(sku, line.parameters, require=require_parameters),
                line_total=to_money(sku.unit_price * quantity),
            )
        )
    currencies = {p.sku.currency for p in priced}
    regions = {p.sku.region for p in priced}
    if len(currencies) > 1:
        raise BillingError(
            _(
                "Items in different currencies cannot be checked out together; check them out separately."
            ),
            code="currencies",
        )
    if len(regions) > 1:
        raise BillingError(
            _("Items of different regions cannot be checked out together."), code="regions"
        )
    currency, region = currencies.pop(), regions.pop()
    goods_total = sum((p.line_total for p in priced), Decimal("0.00"))
    quote = Quote(
        currency,
        region,
        priced,
        goods_total,
        None,
        Decimal("0.00"),
        Decimal("0.00"),
        goods_total,
        Decimal("0.00"),
    )
    if coupon_id:
        coupon = (
            Coupon.objects.select_related("campaign")
            .prefetch_related("campaign__solutions")
            .filter(pk=coupon_id, company_id=company_id)
            .first()
        )
        if coupon is None:
            raise BillingError(_("Coupon not found."), code="coupon")
        problem, discount = coupon_services.coupon_evaluate(
            coupon, quote.cart_lines(), now or timezone.now()
        )
        if problem:
            raise BillingError(problem, code="coupon")
        quote.coupon = coupon
        quote.coupon_discount = discount
    after_coupon = goods_total - quote.coupon_discount
    rebate_amount = to_money(rebate_amount or 0)
    if rebate_amount < 0:
        raise BillingError(_("The rebate amount cannot be negative."), code="rebate")
    if rebate_amount > after_coupon:
        raise BillingError(
            _("The rebate amount cannot exceed the amount payable (%(payable)s).")
            % {"payable": format_money(after_coupon, currency)},
            code="rebate",
        )
    quote.rebate_amount = rebate_amount
    quote.payable_total = after_coupon - rebate_amount
    if use_credit:
        quote.credit_amount = quote.payable_total
    return quote


# --------------------------------------------------------------------------
# Placing the order
# --------------------------------------------------------------------------


def _customer_snapshot(customer) -> dict:
    return {
        "customer_name": customer.name,
        "customer_company": customer.company_name,
        "customer_email": customer.email,
        "customer_phone": customer.phone,
        "customer_address": customer.address,
    }


def _event(order: Order, *, from_status: str, actor=None, note: str = "") -> None:
    OrderEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=order.status,
        payment_status=order.payment_status,
        actor=actor,
        note=note[:200],
    )


def checkout_contract_data(
    *, user, quote: Quote, customer, payment_method: str, use_credit: bool = False
) -> dict:
    """The e-order's merge data for a checkout. The 生成电子订单 preview and 同意 both use
    it, so the document shown is the document agreed."""
    from contracts.services import contract_build_data

    return contract_build_data(
        company=user.company,
        contact_name=user.get_full_name(),
        contact_phone=user.phone,
        payment_method="credit" if use_credit else payment_method,
        currency=quote.currency,
        lines=[
            {
                "name": p.sku.plan_name,
                "solution": p.sku.solution.name,
                "sku": p.sku.code,
                "kind": p.sku.kind,
                "quantity": p.quantity,
                "unit_price": p.sku.unit_price,
                "tax_rate": p.sku.tax_rate,
            }
            for p in quote.lines
        ],
        end_customer={
            "name": customer.name,
            "company": customer.company_name,
            "email": customer.email,
            "phone": customer.phone,
            "address": customer.address,
        },
    )


def checkout_place_order(
    *,
    user,
    lines: list[LineInput],
    end_customer_id: int,
    payment_method: str,
    idempotency_key: str,
    coupon_id: int | None = None,
    rebate_amount=Decimal("0"),
    use_credit: bool = False,
    credit_code: str = "",
    expected_payable: Decimal | None = None,
    expected_close_date: date | None = None,
    remarks: str = "",
    cart_line_ids: list[int] | None = None,
) -> Order:
    """同意: create the order in one transaction, or change nothing at all."""
    from backoffice.core.numbering import next_number
    from contracts.services import contract_agree, contract_number_next
    from partners.models import EndCustomer

    if not user.company_id:
        raise BillingError(_("Only partner users can order."), code="not_partner")
    fingerprint = submission_fingerprint(
        lines=lines,
        end_customer_id=end_customer_id,
        payment_method=payment_method,
        coupon_id=coupon_id,
        rebate_amount=rebate_amount,
        use_credit=use_credit,
    )
    existing = submission_replay(
        company_id=user.company_id, key=idempotency_key, fingerprint=fingerprint
    )
    if existing is not None:
        return existing
    if payment_method not in OrderPaymentMethod.values:
        raise BillingError(_("Choose a payment method."), code="payment_method")
    remarks = (remarks or "").strip()
    if len(remarks) > 150:
        raise BillingError({"remarks": [_("Remarks: at most 150 characters.")]}, code="remarks")
    customer = EndCustomer.objects.filter(pk=end_customer_id, company_id=user.company_id).first()
    if customer is None:
        raise BillingError({"end_customer": [_("Choose one of your customers.")]}, code="customer")
    code_refused = False
    # Both numbers are taken before the order's transaction, each in one short UPDATE:
    # inside it, every checkout in the system would queue on the two counter rows while
    # the contract PDF renders. A refused checkout leaves its numbers unused (numbers are
    # unique, not gap-free: decision 8).
    now = timezone.now()
    number = next_number(key="order", prefix_format="%Y%m%d%H%M%S", now=now)
    contract_number = contract_number_next(now=now)
    try:
        with transaction.atomic():
            # The idempotency key goes in first: a concurrent twin blocks here until this
            # transaction ends, then hits the unique (company, key) constraint and returns
            # our order (or a conflict when its payload differs).
            CheckoutSubmission.objects.create(
                key=idempotency_key, company_id=user.company_id, fingerprint=fingerprint
            )
            quote = checkout_quote(
                company_id=user.company_id,
                lines=lines,
                coupon_id=coupon_id,
                rebate_amount=rebate_amount,
                use_credit=use_credit,
            )
            if expected_payable is not None and to_money(expected_payable) != quote.payable_total:
                raise BillingError(
                    _(
                        "Prices or discounts changed since you opened this page: the amount payable is now %(amount)s."
                        " Review the order and submit again."
                    )
                    % {"amount": format_money(quote.payable_total, quote.currency)},
                    code="stale",
                )
            if use_credit and quote.credit_amount > 0:
                try:
                    credit_services.credit_code_verify(
                        user=user, purpose=f"checkout:{idempotency_key}", code=credit_code
                    )
                except BillingError:
                    code_refused = True
                    raise
            if quote.coupon is not None:
                coupon_services.coupon_redeem(
                    coupon_id=quote.coupon.pk,
                    company_id=user.company_id,
                    order_number=number,
                    lines=quote.cart_lines(),
                    now=now,
                )
            if quote.rebate_amount > 0:
                wallet_services.wallet_spend(
                    company_id=user.company_id,
                    currency=quote.currency,
                    amount=quote.rebate_amount,
                    order_number=number,
                    actor=user,
                    idempotency_key=f"order:{user.company_id}:{idempotency_key}:rebate",
                )
            if quote.credit_amount > 0:
                credit_services.credit_charge(
                    company_id=user.company_id,
                    currency=quote.currency,
                    amount=quote.credit_amount,
                    order_number=number,
                    actor=user,
                    idempotency_key=f"order:{user.company_id}:{idempotency_key}:credit",
                )
            paid = quote.amount_due == 0
            order = Order.objects.create(
                number=number,
                company_id=user.company_id,
                placed_by=user,
                end_customer=customer,
                **_customer_snapshot(customer),
                region=quote.region,
                currency=quote.currency,
                status=OrderStatus.PROCESSING if paid else OrderStatus.PENDING_PAYMENT,
                payment_status=PaymentStatus.PAID if paid else PaymentStatus.UNPAID,
                payment_method=payment_method,
                goods_total=quote.goods_total,
                coupon_discount=quote.coupon_discount,
                rebate_amount=quote.rebate_amount,
                credit_amount=quote.credit_amount,
                payable_total=quote.payable_total,
                coupon=quote.coupon,
                expected_close_date=expected_close_date,
                remarks=remarks,
                idempotency_key=idempotency_key,
                paid_at=now if paid else None,
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        sku=p.sku,
                        solution=p.sku.solution,
                        solution_name=p.sku.solution.name,
                        sku_code=p.sku.code,
                        plan_name=p.sku.plan_name,
                        kind=p.sku.kind,
                        unit_price=p.sku.unit_price,
                        tax_rate=p.sku.tax_rate,
                        quantity=p.quantity,
                        line_total=p.line_total,
                        parameters=p.parameters,
                    )
                    for p in quote.lines
                ]
            )
            data = checkout_contract_data(
                user=user,
                quote=quote,
                customer=customer,
                payment_method=payment_method,
                use_credit=use_credit,
            )
            order.contract = contract_agree(
                data=data,
                company=user.company,
                agreed_by=user,
                order_number=number,
                number=contract_number,
            )
            order.save(update_fields=["contract"])
            _event(order, from_status="", actor=user, note=_("Order placed"))
            if cart_line_ids:
                CartLine.objects.filter(user=user, pk__in=cart_line_ids).delete()
    except IntegrityError:
        existing = submission_replay(
            company_id=user.company_id, key=idempotency_key, fingerprint=fingerprint
        )
        if existing is not None:  # the same submission won a concurrent race
            return existing
        raise
    except BillingError:
        if code_refused:
            # The order's rollback also undid a wrong attempt's count: verify again outside
            # it, so the attempt is counted (committed) and the attempt limit holds.
            credit_services.credit_code_verify(
                user=user, purpose=f"checkout:{idempotency_key}", code=credit_code
            )
        raise
    if paid:
        _paid_count_add(order)
    return order


def _paid_count_add(order: Order, delta: int = 1) -> None:
    """The catalog's paid-order counter (hot ranking) of each solution on the order: +1
    when the order is paid, -1 when a paid order is cancelled."""
    from catalog.services import solution_paid_count_add

    for solution_id in sorted(set(order.lines.values_list("solution_id", flat=True))):
        solution_paid_count_add(solution_id=solution_id, delta=delta)


# --------------------------------------------------------------------------
# Status changes
# --------------------------------------------------------------------------


@transaction.atomic
def order_set_status(*, order_id: int, to_status: str, actor=None, note: str = "") -> Order:
    """The one way to move an order: checks the transition table, writes an event row."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if to_status not in TRANSITIONS[order.status]:
        raise IllegalTransition(
            _("An order that is “%(from)s” cannot become “%(to)s”.")
            % {"from": order.get_status_display(), "to": OrderStatus(to_status).label},
            code="illegal_transition",
        )
    if to_status == OrderStatus.CANCELLED:
        raise IllegalTransition(
            _("Use order cancellation, which also returns every posting."), code="use_cancel"
        )
    if to_status == OrderStatus.PROCESSING and order.payment_status != PaymentStatus.PAID:
        raise IllegalTransition(_("The order is not paid yet."), code="unpaid")
    previous = order.status
    order.status = to_status
    order.save(update_fields=["status"])
    _event(order, from_status=previous, actor=actor, note=note)
    return order


@transaction.atomic
def order_cancel(*, order_id: int, actor, reason: str = "", by_staff: bool = False) -> Order:
    """Cancel and reverse every posting: coupon back, rebate and credit reversed.

    Resellers may cancel before payment; staff at any point before completion, with a reason.
    Locks in the one order (``billing.locks``): the order, its payments, then the ledgers.
    A payment still pending fails here, but the provider's later confirmation of it is
    still recorded (as a refund due, ``payment_record_notification``); money already
    received for the order becomes a refund due (待退款).
    """
    order = locks.lock_order(order_id)
    if order.status == OrderStatus.CANCELLED:
        return order
    if OrderStatus.CANCELLED not in TRANSITIONS[order.status]:
        raise IllegalTransition(
            _("A completed order cannot be cancelled."), code="illegal_transition"
        )
    reason = (reason or "").strip()
    if by_staff:
        if not reason:
            raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    elif order.payment_status not in (PaymentStatus.UNPAID,):
        raise BillingError(
            _("Paid orders can only be cancelled by Blue Cloud; please contact us."), code="paid"
        )
    payments = locks.lock_order_payments(
        order, status__in=[PaymentRecordStatus.PENDING, PaymentRecordStatus.SUCCEEDED]
    )
    if order.coupon_id:
        coupon_services.coupon_restore(coupon_id=order.coupon_id, order_number=order.number)
    for entry in RebateEntry.objects.filter(
        order_number=order.number, entry_type=RebateEntryType.SPEND, reversed_by__isnull=True
    ).select_related("wallet"):
        wallet_services.wallet_reverse_spend(entry=entry, actor=actor, reason=reason)
    for entry in CreditEntry.objects.filter(
        order_number=order.number, entry_type=CreditEntryType.CHARGE, reversed_by__isnull=True
    ).select_related("account"):
        credit_services.credit_reverse_charge(entry=entry, actor=actor, reason=reason)
    now = timezone.now()
    for payment in payments:
        if payment.status == PaymentRecordStatus.PENDING:
            payment.status = PaymentRecordStatus.FAILED
            payment.completed_at = now
            payment.save(update_fields=["status", "completed_at"])
        else:
            payment.status = PaymentRecordStatus.REFUND_DUE
            payment.refund_reason = _("The order was cancelled after payment.")
            payment.save(update_fields=["status", "refund_reason"])
    previous = order.status
    order.status = OrderStatus.CANCELLED
    if order.payment_status == PaymentStatus.PAID:
        transaction.on_commit(lambda: _paid_count_add(order, -1))
        # Coupon, rebate and credit went back above; money paid in waits for finance.
        owed = any(p.status == PaymentRecordStatus.REFUND_DUE for p in payments)
        order.payment_status = PaymentStatus.REFUND_DUE if owed else PaymentStatus.REFUNDED
    elif order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        order.payment_status = PaymentStatus.UNPAID
    order.cancel_reason = reason[:200]
    order.cancelled_at = now
    order.save(update_fields=["status", "payment_status", "cancel_reason", "cancelled_at"])
    _event(order, from_status=previous, actor=actor, note=reason or _("Cancelled"))
    return order


def orders_cancel_unpaid(*, now: datetime | None = None) -> int:
    """Scheduled: online orders unpaid 15 minutes after creation are cancelled (postings released)."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(
            status=OrderStatus.PENDING_PAYMENT,
            payment_method=OrderPaymentMethod.ONLINE,
            payment_status=PaymentStatus.UNPAID,
            created_at__lt=now - ONLINE_PAYMENT_TIMEOUT,
        ).values_list("pk", flat=True)
    )
    cancelled = 0
    for pk in ids:
        with transaction.atomic():
            order = locks.lock_order(pk)
            if (
                order.status != OrderStatus.PENDING_PAYMENT
                or order.payment_status != PaymentStatus.UNPAID
            ):
                continue  # paid (or cancelled) since the list was read
            order_cancel(
                order_id=pk, actor=None, reason=_("Not paid within 15 minutes"), by_staff=True
            )
            cancelled += 1
    return cancelled


# --------------------------------------------------------------------------
# Payments: online providers (billing.payments), notifications, offline transfers
# --------------------------------------------------------------------------


def _payment_reference() -> str:
    """``DD`` + ``yyMMddHHmmss`` + 4 digits (spec 0.6)."""
    from billing.numbering import _local

    return f"DD{_local(None):%y%m%d%H%M%S}{secrets.randbelow(10**4):04d}"


def _payment_create(*, order: Order, kind: str, provider: str, **fields) -> Payment:
    """A payment of the order's amount due under a fresh ``DD…`` reference.

    The reference is random within its second, so two payments started in the same
    second may draw the same one: the unique constraint refuses the second, which
    draws again (in a savepoint, so the caller's transaction goes on).
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Payment.objects.create(
                    order=order,
                    kind=kind,
                    provider=provider,
                    reference=_payment_reference(),
                    amount=order.amount_due,
                    currency=order.currency,
                    **fields,
                )
        except IntegrityError:
            continue
    raise BillingError(_("Could not start the payment; try again."), code="reference")


def _online_provider() -> PaymentProvider:
    provider = payment_providers.active_provider()
    if provider is None:
        raise BillingError(
            _("Online payment is not available at the moment; please pay by bank transfer."),
            code="no_provider",
        )
    return provider


@transaction.atomic
def payment_start_online(*, order_id: int, user) -> Payment:
    """The order's pending online payment at the active provider (one is created if none)."""
    provider = _online_provider()
    order = locks.lock_order(order_id, company_id=user.company_id)
    if (
        order.status != OrderStatus.PENDING_PAYMENT
        or order.payment_method != OrderPaymentMethod.ONLINE
    ):
        raise BillingError(_("This order does not wait for an online payment."), code="not_payable")
    if timezone.now() - order.created_at > ONLINE_PAYMENT_TIMEOUT:
        raise BillingError(
            _("The payment time ran out; the order will be cancelled."), code="timeout"
        )
    if order.currency not in provider.currencies:
        raise BillingError(
            _("Online payment accepts %(currencies)s only; please pay by bank transfer.")
            % {"currencies": ", ".join(provider.currencies)},
            code="currency",
        )
    pending = locks.lock_payment(
        order, status=PaymentRecordStatus.PENDING, kind=PaymentKind.ONLINE, provider=provider.name
    )
    if pending is not None:
        return pending
    return _payment_create(order=order, kind=PaymentKind.ONLINE, provider=provider.name)


def payment_provider_form(
    *, payment: Payment, notify_url: str, return_url: str, complete_url: str = ""
) -> PaymentStart:
    """The form that takes the payer to the payment's provider (signed now)."""
    provider = payment_providers.get_provider(payment.provider)
    return provider.start(
        PaymentRequest(
            reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
            subject=_("Blue Cloud order %(number)s") % {"number": payment.order.number},
            notify_url=notify_url,
            return_url=return_url,
            complete_url=complete_url,
            expires_at=payment.order.created_at + ONLINE_PAYMENT_TIMEOUT,
        )
    )


def sandbox_callback_payload(
    payment: Payment, *, status: str = "succeeded", amount=None, ts: int | None = None
) -> tuple[dict, str]:
    """What the sandbox provider posts back for ``payment``: (payload, signature)."""
    data = sandbox.notification(
        reference=payment.reference,
        amount=payment.amount if amount is None else amount,
        currency=payment.currency,
        status=status,
        ts=ts,
    )
    return data["payload"], data["signature"]


def payment_record_notification(
    *, notification: Notification, provider: str, now: datetime | None = None
) -> Payment:
    """Record a verified provider notification for an order payment. Idempotent.

    Money the provider confirms is always recorded: as the order's payment while the order
    waits for it, else (cancelled, manually or after 15 minutes; or paid already) as a
    refund due. A failure only ends a payment still pending. Lock order: the payment's
    order is found without a lock, locked, then the payment (``billing.locks``).
    """
    now = now or timezone.now()
    lookup = {"reference": notification.reference, "kind": PaymentKind.ONLINE, "provider": provider}
    order_id = locks.order_id_of_payment(**lookup)
    if order_id is None:
        raise BillingError("unknown payment", code="unknown")
    with transaction.atomic():
        order = locks.lock_order(order_id)
        payment = locks.lock_payment(order, **lookup)
        if payment.amount != notification.amount or payment.currency != notification.currency:
            raise BillingError("amount mismatch", code="amount")
        if notification.status != NotificationStatus.SUCCEEDED:
            if payment.status == PaymentRecordStatus.PENDING:
                payment.status = PaymentRecordStatus.FAILED
                payment.provider_payload = notification.raw
                payment.completed_at = now
                payment.save(update_fields=["status", "provider_payload", "completed_at"])
            return payment  # a failure never undoes money received (nor a decided failure)
        if payment.status in MONEY_RECEIVED_STATUSES:
            return payment  # replay: the money is on record once
        return _money_received(
            order,
            payment,
            payload=notification.raw,
            provider_txn_id=notification.provider_txn_id,
            actor=None,
            now=now,
        )


def _money_received(
    order: Order, payment: Payment, *, payload: dict, provider_txn_id: str, actor, now: datetime
) -> Payment:
    """The money of ``payment`` arrived (both rows locked, order first): it pays the order
    while the order waits for it; otherwise it is owed back (待退款)."""
    payment.provider_payload = payload
    payment.provider_txn_id = provider_txn_id[:64]
    payment.confirmed_at = now
    payment.completed_at = now
    payment.reviewed_by = actor
    fields = ["status", "provider_payload", "provider_txn_id", "confirmed_at", "completed_at"]
    fields.append("reviewed_by")
    awaiting = (PaymentStatus.UNPAID, PaymentStatus.AWAITING_CONFIRMATION)
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_status not in awaiting:
        cancelled = order.status == OrderStatus.CANCELLED
        payment.status = PaymentRecordStatus.REFUND_DUE
        payment.refund_reason = (
            _("Paid after the order was cancelled.")
            if cancelled
            else _("The order was already paid.")
        )
        payment.save(update_fields=[*fields, "refund_reason"])
        if cancelled and order.payment_status != PaymentStatus.REFUND_DUE:
            order.payment_status = PaymentStatus.REFUND_DUE
            order.save(update_fields=["payment_status"])
        _event(
            order,
            from_status=order.status,
            actor=actor,
            note=_("Payment %(reference)s received: refund due") % {"reference": payment.reference},
        )
        return payment
    payment.status = PaymentRecordStatus.SUCCEEDED
    payment.save(update_fields=fields)
    previous = order.status
    order.payment_status = PaymentStatus.PAID
    order.paid_at = now
    order.status = OrderStatus.PROCESSING
    order.save(update_fields=["payment_status", "paid_at", "status"])
    _event(
        order,
        from_status=previous,
        actor=actor,
        note=_("Payment %(reference)s received") % {"reference": payment.reference},
    )
    transaction.on_commit(lambda: _paid_count_add(order))
    return payment


@transaction.atomic
def payment_submit_offline(
    *, order_id: int, user, payer_account: str, paid_on: date, transfer_reference: str = ""
) -> Payment:
    """The reseller reports a bank transfer; finance confirms it in the console."""
    order = Order.objects.select_for_update().get(pk=order_id, company_id=user.company_id)
    if (
        order.status != OrderStatus.PENDING_PAYMENT
        or order.payment_method != OrderPaymentMethod.OFFLINE
    ):
        raise BillingError(
            _("This order does not wait for an offline payment."), code="not_payable"
        )
    payer_account = (payer_account or "").strip()
    if not payer_account:
        raise BillingError(
            {"payer_account": [_("Enter the paying bank account.")]}, code="required"
        )
    if paid_on > credit_services.local_today():
        raise BillingError(
            {"paid_on": [_("The payment date cannot be in the future.")]}, code="future"
        )
    if order.payments.filter(kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING).exists():
        raise BillingError(
            _("A transfer for this order is already waiting for confirmation."), code="duplicate"
        )
    payment = _payment_create(
        order=order,
        kind=PaymentKind.OFFLINE,
        provider="bank",
        payer_account=payer_account[:50],
        paid_on=paid_on,
        transfer_reference=(transfer_reference or "").strip()[:60],
    )
    order.payment_status = PaymentStatus.AWAITING_CONFIRMATION
    order.save(update_fields=["payment_status"])
    _event(order, from_status=order.status, actor=user, note=_("Transfer reported"))
    return payment


def _lock_offline_payment(payment_id: int) -> tuple[Order, Payment]:
    """The offline payment ``payment_id`` and its order, locked order first."""
    order_id = locks.order_id_of_payment(pk=payment_id, kind=PaymentKind.OFFLINE)
    if order_id is None:
        raise Payment.DoesNotExist
    order = locks.lock_order(order_id)
    return order, locks.lock_payment(order, pk=payment_id)


@transaction.atomic
def payment_confirm_offline(*, payment_id: int, actor) -> Payment:
    order, payment = _lock_offline_payment(payment_id)
    if payment.status in MONEY_RECEIVED_STATUSES:
        return payment
    if payment.status != PaymentRecordStatus.PENDING:
        raise BillingError(_("This transfer was already rejected."), code="rejected")
    return _money_received(
        order,
        payment,
        payload={"confirmed_by": actor.email},
        provider_txn_id="",
        actor=actor,
        now=timezone.now(),
    )


@transaction.atomic
def payment_reject_offline(*, payment_id: int, actor, reason: str) -> Payment:
    reason = (reason or "").strip()
    if not reason:
        raise BillingError({"reason": [_("A reason is required.")]}, code="reason_required")
    order, payment = _lock_offline_payment(payment_id)
    if payment.status != PaymentRecordStatus.PENDING:
        raise BillingError(
            _("Only transfers waiting for confirmation can be rejected."), code="not_pending"
        )
    payment.status = PaymentRecordStatus.REJECTED
    payment.rejection_reason = reason[:200]
    payment.reviewed_by = actor
    payment.completed_at = timezone.now()
    payment.save(update_fields=["status", "rejection_reason", "reviewed_by", "completed_at"])
    if order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        order.payment_status = PaymentStatus.UNPAID
        order.save(update_fields=["payment_status"])
        _event(order, from_status=order.status, actor=actor, note=reason)
    return payment
