"""Builders for statement tests: orders inserted directly (fast), at chosen local times.

``Seller`` is a company with its 管理员, an end customer and two SKUs. ``order()`` makes
one order with its lines; ``orders()`` bulk-inserts many. ``created_at`` is auto_now_add,
so it is set with ``.update()`` after the insert.
"""

import itertools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.models import Order, OrderLine, OrderStatus, PaymentStatus
from partners.models import Company
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.partners.factories import CompanyFactory, EndCustomerFactory, admin_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def local(*args) -> datetime:
    """An aware Asia/Shanghai datetime: local(2026, 10, 31, 23, 59, 59)."""
    return datetime(*args, tzinfo=SHANGHAI)


class Seller:
    def __init__(self, company: Company | None = None, *, solution="Power 365", other="ABUS"):
        self.company = company or CompanyFactory()
        self.admin = admin_of(self.company)
        self.customer = EndCustomerFactory(company=self.company)
        self.solution = PublishedSolutionFactory(name=solution, with_sku=False)
        self.sku = SkuFactory(solution=self.solution)
        self.other_solution = PublishedSolutionFactory(name=other, with_sku=False)
        self.other_sku = SkuFactory(solution=self.other_solution)

    def _order(self, *, total, status, payment_status, currency) -> Order:
        n = next(_numbers)
        total = Decimal(total)
        return Order(
            number=f"2026{n:013d}",
            company=self.company,
            placed_by=self.admin,
            end_customer=self.customer,
            customer_name="test2",
            customer_company="BlueCloud_O",
            customer_email="customer@example.com",
            region="cn",
            currency=currency,
            status=status,
            payment_status=payment_status,
            payment_method="online",
            goods_total=total,
            payable_total=total,
            idempotency_key=f"stmt-test-{n}",
        )

    def _lines(self, order: Order, quantities: tuple[int, ...], products) -> list[OrderLine]:
        skus = products or [self.sku, self.other_sku]
        lines = []
        for index, quantity in enumerate(quantities):
            sku = skus[index % len(skus)]
            lines.append(
                OrderLine(
                    order=order,
                    sku=sku,
                    solution=sku.solution,
                    solution_name=sku.solution.name,
                    sku_code=sku.code,
                    plan_name=sku.plan_name,
                    kind="product",
                    unit_price=Decimal("1.00"),
                    tax_rate=Decimal("6.00"),
                    quantity=quantity,
                    line_total=Decimal("1.00") * quantity,
                )
            )
        return lines

    def orders(
        self,
        count: int,
        *,
        at: datetime,
        total="100.00",
        status=OrderStatus.PROCESSING,
        payment_status=PaymentStatus.PAID,
        currency="CNY",
        quantities: tuple[int, ...] = (1,),
        products=None,
    ) -> list[Order]:
        orders = Order.objects.bulk_create(
            [
                self._order(
                    total=total, status=status, payment_status=payment_status, currency=currency
                )
                for _ in range(count)
            ]
        )
        OrderLine.objects.bulk_create(
            [line for order in orders for line in self._lines(order, quantities, products)]
        )
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(created_at=at)
        for order in orders:
            order.created_at = at
        return orders

    def order(self, *, at: datetime, **kwargs) -> Order:
        return self.orders(1, at=at, **kwargs)[0]


def make_statement(company: Company, *, month: int = 10, year: int = 2026, **kwargs):
    """A statement row (``StatementFactory``, no orders), for list and permission tests."""
    import calendar
    from datetime import date

    from django.utils import timezone

    from tests.billing.factories import StatementFactory

    n = next(_numbers)
    last = calendar.monthrange(year, month)[1]
    defaults = {
        "number": f"20261101{n:06d}",
        "status": "draft",
        "order_count": 17,
        "product_count": 17,
        "sales_amount": Decimal("27640.80"),
        "share_amount": Decimal("1382.04"),
        "share_rate": Decimal("0.0500"),
        "total_payable": Decimal("1382.04"),
        "tier_name": "金牌级",
        "business_owner_name": "赵益康",
        "generated_at": timezone.now(),
    }
    defaults.update(kwargs)
    if defaults["status"] in ("confirmed", "paid", "completed"):
        defaults.setdefault("confirmed_at", timezone.now())
    return StatementFactory(
        company=company,
        period_start=date(year, month, 1),
        period_end=date(year, month, last),
        **defaults,
    )
