"""Catalog (scope ``catalog:read``): published solutions, their SKUs, search, and a price
quote for lines (``billing.services.checkout.checkout_quote``, as the checkout page)."""

from datetime import datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from billing.selectors.orders import sku_on_sale
from billing.services.checkout import LineInput, checkout_quote
from catalog import selectors as catalog_selectors
from catalog.models import Solution
from partners.models import ApiScope

from .auth import scoped
from .pagination import page_of

router = Router(tags=["catalog"])
CENT = Decimal("0.01")


class SkuOut(Schema):
    id: int
    code: str
    plan_name: str
    region: str
    currency: str
    unit_price: Decimal
    tax_rate: Decimal
    kind: str
    parameters: list | dict


class SolutionOut(Schema):
    id: int
    slug: str
    name: str
    summary: str
    provider: str
    from_price: Decimal | None = None
    from_currency: str | None = None
    created_at: datetime

    @staticmethod
    def resolve_from_price(obj) -> Decimal | None:
        """The lowest SKU price, to the cent (SQLite's MIN carries extra digits)."""
        price = getattr(obj, "from_price", None)
        return None if price is None else Decimal(price).quantize(CENT)


class SolutionDetailOut(SolutionOut):
    description: str
    skus: list[SkuOut]

    @staticmethod
    def resolve_skus(obj) -> list:
        return list(obj.active_skus)


class SolutionPage(Schema):
    items: list[SolutionOut]
    next_cursor: str | None


class SearchPage(Schema):
    items: list[SolutionOut]
    page: int
    pages: int
    count: int


class LineIn(Schema):
    sku_id: int
    quantity: int
    parameters: dict[str, str] = {}


class QuoteIn(Schema):
    lines: list[LineIn]
    coupon_id: int | None = None
    rebate_amount: Decimal = Decimal("0")
    use_credit: bool = False


class QuoteLineOut(Schema):
    sku_id: int
    sku_code: str
    quantity: int
    line_total: Decimal


class QuoteOut(Schema):
    currency: str
    region: str
    lines: list[QuoteLineOut]
    goods_total: Decimal
    coupon_discount: Decimal
    rebate_amount: Decimal
    payable_total: Decimal
    credit_amount: Decimal
    amount_due: Decimal


def line_inputs(lines: list[LineIn]) -> list[LineInput]:
    return [LineInput(line.sku_id, line.quantity, dict(line.parameters)) for line in lines]


@router.get("/solutions", response=SolutionPage, auth=scoped(ApiScope.CATALOG_READ))
def solutions(request: HttpRequest, cursor: str | None = None, limit: int = 20):
    queryset = catalog_selectors.with_card_data(catalog_selectors.published())
    return page_of(queryset, cursor=cursor, limit=limit)


@router.get("/solutions/{slug}", response=SolutionDetailOut, auth=scoped(ApiScope.CATALOG_READ))
def solution(request: HttpRequest, slug: str):
    try:
        found = catalog_selectors.solution_detail(slug)
    except Solution.DoesNotExist as exc:
        raise Http404 from exc
    return found


@router.get("/skus/{code}", response=SkuOut, auth=scoped(ApiScope.CATALOG_READ))
def sku(request: HttpRequest, code: str):
    found = sku_on_sale(code=code)
    if found is None:
        raise Http404
    return found


class SearchQuery(Schema):
    q: str
    page: int = 1


@router.get("/search", response=SearchPage, auth=scoped(ApiScope.CATALOG_READ))
def search(request: HttpRequest, params: Query[SearchQuery]):
    page = catalog_selectors.search_solutions(params.q, page=params.page)
    return {
        "items": list(page.object_list),
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
    }


@router.post("/quote", response=QuoteOut, auth=scoped(ApiScope.CATALOG_READ))
def quote(request: HttpRequest, body: QuoteIn):
    """Price lines now, with the coupon, rebate and credit as the checkout would."""
    priced = checkout_quote(
        company_id=request.auth.company_id,
        lines=line_inputs(body.lines),
        coupon_id=body.coupon_id,
        rebate_amount=body.rebate_amount,
        use_credit=body.use_credit,
        require_parameters=False,
    )
    return {
        "currency": priced.currency,
        "region": priced.region,
        "lines": [
            {
                "sku_id": p.sku.pk,
                "sku_code": p.sku.code,
                "quantity": p.quantity,
                "line_total": p.line_total,
            }
            for p in priced.lines
        ],
        "goods_total": priced.goods_total,
        "coupon_discount": priced.coupon_discount,
        "rebate_amount": priced.rebate_amount,
        "payable_total": priced.payable_total,
        "credit_amount": priced.credit_amount,
        "amount_due": priced.amount_due,
    }
