"""Quote: server-side pricing of checkout lines, shared by the checkout page, the
e-order step and the submission (``checkout``). No amount posted by a browser is trusted:
every line is priced from the catalog, then the coupon, then the rebate (decision 10).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing.models import Coupon

from . import coupons as coupon_services
from .cart import MAX_LINES, _quantity, parameters_clean
from .errors import BillingError

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
        coupon = coupon_services.coupon_of_company(company_id=company_id, coupon_id=coupon_id)
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
