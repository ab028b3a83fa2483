"""Checkout: placing an order (the cart is ``billing.services.cart``, pricing
``billing.services.quote``).

``checkout_place_order`` is one transaction: it re-prices every line from the
catalog, redeems the coupon, spends the rebate, charges the credit line, agrees
the contract and stores the order with snapshots (its PDF is rendered after the
commit). Its idempotency key is unique per company and bound to the payload
(``submissions``): a double click or a retried request yields one order, the same
key with another payload a conflict.

Placing an order runs in the phases of Saleor's checkout completion, each a function:
validate (inputs, prices, coupon, rebate; no lock) → lock (every row lock, in the order
of ``billing.locks``) → post (the ledger entries) → record (order, lines, contract,
event).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing import locks
from billing.models import (
    CartLine,
    Coupon,
    CreditAccount,
    DelegatedCreditLine,
    Order,
    OrderLine,
    OrderPaymentMethod,
    OrderStatus,
    PaymentStatus,
    RebateWallet,
)
from billing.webhooks import order_event

from . import coupons as coupon_services
from . import credit as credit_services
from . import delegated as delegated_services
from . import wallet as wallet_services
from .checkout_cache import checkout_quote_forget, checkout_quote_recall, prices_unchanged
from .errors import BillingError
from .orders import _event, _paid_count_add
from .quote import LineInput, PricedLine, Quote, checkout_quote  # noqa: F401 - re-exported
from .submissions import submission_fingerprint, submission_replay

# --------------------------------------------------------------------------
# Placing the order
# --------------------------------------------------------------------------


def _contract_customer(customer) -> dict:
    """The end customer as the e-order's merge data holds it."""
    return {
        "name": str(customer.name or ""),
        "company": str(customer.company_name or ""),
        "email": str(customer.email or ""),
        "phone": str(customer.phone or ""),
        "address": str(customer.address or ""),
    }


def _customer_snapshot(customer) -> dict:
    return {
        "customer_name": customer.name,
        "customer_company": customer.company_name,
        "customer_email": customer.email,
        "customer_phone": customer.phone,
        "customer_address": customer.address,
    }


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


@dataclass
class _Checkout:
    """One 同意 as it goes through the phases: the request, then what each phase adds."""

    user: object
    lines: list[LineInput]
    end_customer_id: int
    payment_method: str
    idempotency_key: str
    coupon_id: int | None
    rebate_amount: object
    use_credit: bool
    credit_code: str
    expected_payable: Decimal | None
    expected_close_date: date | None
    remarks: str
    cart_line_ids: list[int] | None
    fingerprint: str = field(init=False)
    customer: object = None
    now: datetime | None = None
    number: str = ""
    contract_number: str = ""
    code_refused: bool = False
    cached: object = None  # checkout_cache.CachedQuote of the e-order step, if any
    contract_data: dict | None = None

    def __post_init__(self) -> None:
        self.fingerprint = submission_fingerprint(
            lines=self.lines,
            end_customer_id=self.end_customer_id,
            payment_method=self.payment_method,
            coupon_id=self.coupon_id,
            rebate_amount=self.rebate_amount,
            use_credit=self.use_credit,
            remarks=self.remarks,
            expected_close_date=self.expected_close_date,
        )

    @property
    def company_id(self) -> int:
        return self.user.company_id

    def ledger_key(self, ledger: str) -> str:
        """The idempotency key of this checkout's posting on ``ledger``."""
        return f"order:{self.company_id}:{self.idempotency_key}:{ledger}"


@dataclass
class _Locked:
    """The rows checkout's lock phase holds, for the post phase to write on."""

    coupon: Coupon | None = None
    wallet: RebateWallet | None = None
    account: CreditAccount | None = None
    line: DelegatedCreditLine | None = None  # a sub-reseller's delegated line


def _validate_inputs(checkout: _Checkout) -> None:
    """Phase 1 (validate), before the transaction: the payment method, the remarks and the
    end customer; then the order and contract numbers, each taken in one short UPDATE.

    Both numbers are taken before the order's transaction: inside it, every checkout in
    the system would queue on the two counter rows while the contract PDF renders. A
    refused checkout leaves its numbers unused (numbers are unique, not gap-free:
    decision 8).
    """
    from backoffice.core.numbering import next_number
    from contracts.services import contract_number_next
    from partners.models import EndCustomer

    if checkout.payment_method not in OrderPaymentMethod.values:
        raise BillingError(_("Choose a payment method."), code="payment_method")
    checkout.remarks = (checkout.remarks or "").strip()
    if len(checkout.remarks) > 150:
        raise BillingError({"remarks": [_("Remarks: at most 150 characters.")]}, code="remarks")
    customer = checkout.customer  # read by the caller in this request, or None
    if customer is None or (customer.pk, customer.company_id) != (
        checkout.end_customer_id,
        checkout.company_id,
    ):
        customer = EndCustomer.objects.filter(
            pk=checkout.end_customer_id, company_id=checkout.company_id
        ).first()
    checkout.customer = customer
    if checkout.customer is None:
        raise BillingError({"end_customer": [_("Choose one of your customers.")]}, code="customer")
    checkout.now = timezone.now()
    checkout.number = next_number(key="order", prefix_format="%Y%m%d%H%M%S", now=checkout.now)
    checkout.contract_number = contract_number_next(now=checkout.now)


def _validate(checkout: _Checkout) -> Quote:
    """Phase 1 (validate), in the transaction after the key is claimed, without a lock:
    re-price the lines from the catalog, check the coupon and the rebate
    (``checkout_quote``), and refuse a payable amount that changed since the page.

    With the e-order step's quote (``checkout_cache``) and unchanged catalog prices, that
    quote is used; the coupon is then re-checked on its locked row (``_lock``)."""
    cached = checkout.cached
    if cached is not None and prices_unchanged(cached.quote):
        quote = cached.quote
        if cached.contract_data["end_customer"] == _contract_customer(checkout.customer):
            checkout.contract_data = cached.contract_data
    else:
        checkout.cached = None
        quote = checkout_quote(
            company_id=checkout.company_id,
            lines=checkout.lines,
            coupon_id=checkout.coupon_id,
            rebate_amount=checkout.rebate_amount,
            use_credit=checkout.use_credit,
        )
    expected = checkout.expected_payable
    if expected is not None and to_money(expected) != quote.payable_total:
        raise BillingError(
            _(
                "Prices or discounts changed since you opened this page: the amount payable is now %(amount)s."
                " Review the order and submit again."
            )
            % {"amount": format_money(quote.payable_total, quote.currency)},
            code="stale",
        )
    return quote


def _lock(checkout: _Checkout, quote: Quote) -> _Locked:
    """Phase 2 (lock): every row lock of the checkout, in the order of ``billing.locks``:
    the credit-pay code (consumed here, a wrong code is remembered for the retry outside
    the transaction), then the coupon, the rebate wallet and the credit account."""
    if checkout.use_credit and quote.credit_amount > 0:
        try:
            credit_services.credit_code_verify(
                user=checkout.user,
                purpose=f"checkout:{checkout.idempotency_key}",
                code=checkout.credit_code,
            )
        except BillingError:
            checkout.code_refused = True
            raise
    locked = _Locked()
    if quote.coupon is not None:
        locked.coupon = locks.lock_coupon(coupon_id=quote.coupon.pk, company_id=checkout.company_id)
        if checkout.cached is not None:
            _coupon_recheck(checkout, quote, locked.coupon)
    if quote.rebate_amount > 0:
        locked.wallet = wallet_services.wallet_lock(
            company_id=checkout.company_id, currency=quote.currency
        )
    if quote.credit_amount > 0:
        if delegated_services.delegated_line_of(
            company_id=checkout.company_id, currency=quote.currency
        ):
            # A sub-reseller on delegated credit: its distributor's account, then its line.
            locked.account, locked.line = delegated_services.delegated_lock(
                company_id=checkout.company_id, currency=quote.currency
            )
        else:
            locked.account = credit_services.credit_account_lock(
                company_id=checkout.company_id, currency=quote.currency
            )
    return locked


def _coupon_recheck(checkout: _Checkout, quote: Quote, coupon: Coupon | None) -> None:
    """A remembered quote's coupon, re-checked on its locked row: still the company's,
    still applicable (unused, valid now) and still worth the same discount."""
    if coupon is None:
        raise BillingError(_("Coupon not found."), code="coupon")
    problem, discount = coupon_services.coupon_evaluate(
        coupon, quote.cart_lines(), checkout.now or timezone.now()
    )
    if problem:
        raise BillingError(problem, code="coupon")
    if discount != quote.coupon_discount:
        raise BillingError(
            _(
                "Prices or discounts changed since you opened this page: the amount payable is now %(amount)s."
                " Review the order and submit again."
            )
            % {
                "amount": format_money(
                    quote.payable_total + quote.coupon_discount - discount, quote.currency
                )
            },
            code="stale",
        )


def _post(checkout: _Checkout, quote: Quote, locked: _Locked) -> None:
    """Phase 3 (post): the ledger entries on the locked rows: redeem the coupon, spend the
    rebate, charge the credit line. Each posting's key derives from the checkout's key."""
    if quote.coupon is not None:
        coupon_services.coupon_redeem(
            coupon_id=quote.coupon.pk,
            company_id=checkout.company_id,
            order_number=checkout.number,
            lines=quote.cart_lines(),
            now=checkout.now,
            coupon=locked.coupon,
        )
    if quote.rebate_amount > 0:
        wallet_services.wallet_spend(
            company_id=checkout.company_id,
            currency=quote.currency,
            amount=quote.rebate_amount,
            order_number=checkout.number,
            actor=checkout.user,
            idempotency_key=checkout.ledger_key("rebate"),
            wallet=locked.wallet,
        )
    if quote.credit_amount > 0 and locked.line is not None:
        delegated_services.delegated_charge(
            account=locked.account,
            line=locked.line,
            amount=quote.credit_amount,
            order_number=checkout.number,
            actor=checkout.user,
            idempotency_key=checkout.ledger_key("credit"),
        )
    elif quote.credit_amount > 0:
        credit_services.credit_charge(
            company_id=checkout.company_id,
            currency=quote.currency,
            amount=quote.credit_amount,
            order_number=checkout.number,
            actor=checkout.user,
            idempotency_key=checkout.ledger_key("credit"),
            account=locked.account,
        )


def _record(checkout: _Checkout, quote: Quote) -> Order:
    """Phase 4 (record): the order with its customer snapshot, its lines, the agreed
    contract (its PDF is rendered on commit), the first event; the cart lines go."""
    from contracts.services import contract_agree

    user, customer, now = checkout.user, checkout.customer, checkout.now
    paid = quote.amount_due == 0
    data = checkout.contract_data or checkout_contract_data(
        user=user,
        quote=quote,
        customer=customer,
        payment_method=checkout.payment_method,
        use_credit=checkout.use_credit,
    )
    # The contract first, so the order is inserted with it (no second UPDATE and history row).
    contract = contract_agree(
        data=data,
        company=user.company,
        agreed_by=user,
        order_number=checkout.number,
        number=checkout.contract_number,
    )
    order = Order.objects.create(
        number=checkout.number,
        company_id=checkout.company_id,
        placed_by=user,
        end_customer=customer,
        **_customer_snapshot(customer),
        region=quote.region,
        currency=quote.currency,
        status=OrderStatus.PROCESSING if paid else OrderStatus.PENDING_PAYMENT,
        payment_status=PaymentStatus.PAID if paid else PaymentStatus.UNPAID,
        payment_method=checkout.payment_method,
        goods_total=quote.goods_total,
        coupon_discount=quote.coupon_discount,
        rebate_amount=quote.rebate_amount,
        credit_amount=quote.credit_amount,
        payable_total=quote.payable_total,
        coupon=quote.coupon,
        expected_close_date=checkout.expected_close_date,
        remarks=checkout.remarks,
        idempotency_key=checkout.idempotency_key,
        paid_at=now if paid else None,
        contract=contract,
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
    _event(order, from_status="", actor=user, note=_("Order placed"))
    if paid:
        order_event(order, type="order.paid")
    if checkout.cart_line_ids:
        CartLine.objects.filter(user=user, pk__in=checkout.cart_line_ids).delete()
    return order


def _replayed(checkout: _Checkout) -> Order | None:
    """The order already placed with this key and payload (a conflict for another payload)."""
    return submission_replay(
        company_id=checkout.company_id,
        key=checkout.idempotency_key,
        fingerprint=checkout.fingerprint,
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
    end_customer=None,
) -> Order:
    """同意: create the order in one transaction, or change nothing at all.

    ``end_customer``: the customer the caller already read (``end_customer_id``'s row),
    to save reading it again. The e-order step's quote remembered under this key and
    payload (``checkout_cache``) saves re-pricing what cannot have changed.

    The phases of Saleor's checkout completion: ``_validate`` (``_validate_inputs`` before
    the transaction), ``_lock``, ``_post``, ``_record``. The idempotency key frames them: a
    replay returns the first order before anything, and the key is claimed as the
    transaction's first statement, so a concurrent twin waits there and then replays.
    """
    if not user.company_id:
        raise BillingError(_("Only partner users can order."), code="not_partner")
    checkout = _Checkout(
        user=user,
        lines=lines,
        end_customer_id=end_customer_id,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        coupon_id=coupon_id,
        rebate_amount=rebate_amount,
        use_credit=use_credit,
        credit_code=credit_code,
        expected_payable=expected_payable,
        expected_close_date=expected_close_date,
        remarks=remarks,
        cart_line_ids=cart_line_ids,
    )
    checkout.customer = end_customer
    existing = _replayed(checkout)
    if existing is not None:
        return existing
    _validate_inputs(checkout)
    checkout.cached = checkout_quote_recall(
        company_id=checkout.company_id,
        idempotency_key=idempotency_key,
        fingerprint=checkout.fingerprint,
    )
    try:
        with transaction.atomic():
            locks.claim_checkout_key(
                company_id=checkout.company_id,
                key=idempotency_key,
                fingerprint=checkout.fingerprint,
            )
            quote = _validate(checkout)
            locked = _lock(checkout, quote)
            _post(checkout, quote, locked)
            order = _record(checkout, quote)
    except IntegrityError:
        existing = _replayed(checkout)
        if existing is not None:  # the same submission won a concurrent race
            return existing
        raise
    except BillingError:
        if checkout.code_refused:
            # The order's rollback also undid a wrong attempt's count: verify again outside
            # it, so the attempt is counted (committed) and the attempt limit holds.
            credit_services.credit_code_verify(
                user=user, purpose=f"checkout:{idempotency_key}", code=credit_code
            )
        raise
    if checkout.cached is not None:
        checkout_quote_forget(company_id=checkout.company_id, idempotency_key=idempotency_key)
    if quote.amount_due == 0:
        _paid_count_add(order)
    return order
