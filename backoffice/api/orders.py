"""Orders: list (the company's and, read-only, its sub-resellers'), detail, the contract
PDF (scope ``orders:read``); place, cancel, the credit-pay code (``orders:write``).

Placing goes through ``checkout_place_order``, the portal's 同意, with the request's
``Idempotency-Key``: the service claims (company, key) with the payload's fingerprint
under a unique constraint as its transaction's first statement, so the same key and body
returns the first order (also for concurrent twins) and another body answers 409.
"""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status

from backoffice.core.files import private_file_response
from billing.models import Order, OrderPaymentMethod, OrderStatus
from billing.selectors import orders as order_selectors
from billing.services.checkout import checkout_place_order
from billing.services.credit import credit_code_send
from billing.services.orders import order_cancel
from contracts.selectors import contracts_visible_to
from contracts.services import contract_render_pdf
from partners.models import ApiScope
from partners.selectors import visible_company_ids

from .auth import scoped
from .catalog import LineIn, line_inputs
from .errors import Problem
from .pagination import page_of

router = Router(tags=["orders"])

IDEMPOTENCY_MAX = 80


class OrderLineOut(Schema):
    sku_code: str
    solution_name: str
    plan_name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    parameters: dict


class OrderOut(Schema):
    number: str
    company_id: int
    status: str
    payment_status: str
    payment_method: str
    region: str
    currency: str
    goods_total: Decimal
    coupon_discount: Decimal
    rebate_amount: Decimal
    credit_amount: Decimal
    payable_total: Decimal
    customer_name: str
    customer_company: str
    end_customer_id: int | None
    contract_id: int | None
    remarks: str
    created_at: datetime
    paid_at: datetime | None
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderFilters(Schema):
    status: OrderStatus | None = None
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    region: str = ""
    cursor: str | None = None
    limit: int = 20


class OrderIn(Schema):
    lines: list[LineIn]
    end_customer_id: int
    payment_method: OrderPaymentMethod
    coupon_id: int | None = None
    rebate_amount: Decimal = Decimal("0")
    use_credit: bool = False
    credit_code: str = ""
    expected_payable: Decimal | None = None
    expected_close_date: date | None = None
    remarks: str = ""


class CancelIn(Schema):
    reason: str = ""


class Message(Schema):
    detail: str


def _idempotency_key(value: str | None) -> str:
    value = (value or "").strip()
    if not value or len(value) > IDEMPOTENCY_MAX:
        raise Problem(
            400,
            "idempotency_key_required",
            _("Send an Idempotency-Key header (1 to %(max)d characters).")
            % {"max": IDEMPOTENCY_MAX},
        )
    return value


def _visible(request: HttpRequest, number: str) -> Order:
    order = order_selectors.order_detail(
        company_ids=visible_company_ids(user=request.user), number=number
    )
    if order is None:
        raise Http404
    return order


@router.get("", response=OrderPage, auth=scoped(ApiScope.ORDERS_READ))
def orders(request: HttpRequest, filters: Query[OrderFilters]):
    queryset = order_selectors.orders_list(
        company_ids=visible_company_ids(user=request.user),
        search=filters.q,
        status=filters.status or "",
        date_from=filters.date_from,
        date_to=filters.date_to,
        region=filters.region,
    )
    return page_of(queryset, cursor=filters.cursor, limit=filters.limit)


@router.post("", response={201: OrderOut}, auth=scoped(ApiScope.ORDERS_WRITE))
def order_place(
    request: HttpRequest,
    body: OrderIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
):
    """Place an order (the portal's 同意). Credit pay: first POST /orders/credit-code with
    the same Idempotency-Key, then this with ``use_credit`` and the mailed ``credit_code``."""
    order = checkout_place_order(
        user=request.user,
        lines=line_inputs(body.lines),
        end_customer_id=body.end_customer_id,
        payment_method=body.payment_method,
        idempotency_key=_idempotency_key(idempotency_key),
        coupon_id=body.coupon_id,
        rebate_amount=body.rebate_amount,
        use_credit=body.use_credit,
        credit_code=body.credit_code,
        expected_payable=body.expected_payable,
        expected_close_date=body.expected_close_date,
        remarks=body.remarks,
    )
    return Status(201, _visible(request, order.number))


@router.post("/credit-code", response={202: Message}, auth=scoped(ApiScope.ORDERS_WRITE))
def order_credit_code(
    request: HttpRequest, idempotency_key: str = Header(..., alias="Idempotency-Key")
):
    """Step 1 of credit pay: mail the 6-digit code to the key's 管理员 for this order's key."""
    key = _idempotency_key(idempotency_key)
    credit_code_send(user=request.user, purpose=f"checkout:{key}")
    return Status(
        202,
        {
            "detail": _("A verification code was sent to %(email)s. It is valid for 10 minutes.")
            % {"email": request.user.email}
        },
    )


@router.get("/{number}", response=OrderOut, auth=scoped(ApiScope.ORDERS_READ))
def order(request: HttpRequest, number: str):
    return _visible(request, number)


@router.post("/{number}/cancel", response=OrderOut, auth=scoped(ApiScope.ORDERS_WRITE))
def order_cancel_endpoint(request: HttpRequest, number: str, body: CancelIn | None = None):
    """Cancel an unpaid order of the key's own company (coupon, rebate and credit return)."""
    own = order_selectors.order_for_user(company_ids=[request.user.company_id], number=number)
    if own is None:
        raise Http404
    order_cancel(order_id=own.pk, actor=request.user, reason=(body.reason if body else ""))
    return _visible(request, number)


@router.get("/{number}/contract.pdf", auth=scoped(ApiScope.ORDERS_READ))
def order_contract(request: HttpRequest, number: str):
    """The agreed e-contract of a visible order, as a PDF."""
    found = _visible(request, number)
    contract = contracts_visible_to(request.user).filter(pk=found.contract_id).first()
    if contract is None:
        raise Http404
    if not contract.pdf:
        contract = contract_render_pdf(contract_id=contract.pk)
    return private_file_response(
        contract.pdf, filename=contract.pdf_filename, content_type="application/pdf"
    )
