"""Benchmark of statement generation and the Excel export (``manage.py bench_statements``).

Not a test: it writes a bench company with N one-line orders for a month on the current
database, times ``generate_statements`` for that company and month and a workbook of its
statement, prints seconds and memory, and removes the orders and statement again (unless
``keep``). Memory is the process's peak RSS (``resource.getrusage``) and, with
``trace=True``, the peak of Python allocations per phase (``tracemalloc``, which also
slows the run down, so its seconds are not comparable).
"""

import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import Order, OrderLine, Statement
from partners.models import Company, CompanyRole, EndCustomer, Tier, User

from .excel import write_statements_workbook
from .services import Period, generate_statements

BENCH_COMPANY = "Bench 分账基准测试"
BATCH = 5000


@dataclass
class Phase:
    seconds: float
    peak_traced_mb: float | None
    max_rss_mb: float


def _max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _refs():
    """The bench company, its admin, an end customer and a SKU (created once, reused)."""
    from catalog.models import Sku, Solution

    company, _ = Company.objects.get_or_create(
        name=BENCH_COMPANY,
        defaults={"tier": Tier.objects.order_by("-rank").first(), "address": "上海市"},
    )
    user = company.users.filter(company_role=CompanyRole.ADMIN).first()
    if user is None:
        user = User.objects.create_user(
            email=f"bench-statements-{company.pk}@example.com",
            password=None,
            name="Bench",
            company=company,
            company_role=CompanyRole.ADMIN,
            activated_at=timezone.now(),
        )
    customer, _ = EndCustomer.objects.get_or_create(
        company=company,
        email="bench-customer@example.com",
        defaults={"name": "Bench", "company_name": "Bench Customer"},
    )
    solution, _ = Solution.objects.get_or_create(
        slug="bench-statements", defaults={"name": "Bench Solution"}
    )
    sku, _ = Sku.objects.get_or_create(
        code="B-BEN-CHM-ARK-N-PLAN-STM",
        defaults={"solution": solution, "plan_name": "Bench", "unit_price": Decimal("1.00")},
    )
    return company, user, customer, sku


def bench_orders_create(*, lines: int, period: Period) -> Company:
    """``lines`` one-line orders of the bench company, spread over the month's days."""
    company, user, customer, sku = _refs()
    days = (period.end - period.start).days + 1
    stamp = f"{period.start:%Y%m}"
    created = 0
    while created < lines:
        size = min(BATCH, lines - created)
        with transaction.atomic():
            orders = Order.objects.bulk_create(
                [
                    Order(
                        number=f"BENCH{stamp}{created + i:09d}",
                        company=company,
                        placed_by=user,
                        end_customer=customer,
                        customer_name="Bench",
                        customer_company="Bench Customer",
                        customer_email="bench-customer@example.com",
                        region="cn",
                        currency="CNY",
                        status=["processing", "completed", "cancelled"][(created + i) % 3],
                        payment_status=["paid", "paid", "refunded"][(created + i) % 3],
                        payment_method="online",
                        goods_total=Decimal("188.00"),
                        payable_total=Decimal("188.00"),
                        idempotency_key=f"bench:{stamp}:{created + i}",
                    )
                    for i in range(size)
                ]
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        sku=sku,
                        solution=sku.solution,
                        solution_name=sku.solution.name,
                        sku_code=sku.code,
                        plan_name=sku.plan_name,
                        kind="product",
                        unit_price=Decimal("188.00"),
                        tax_rate=Decimal("6.00"),
                        quantity=1,
                        line_total=Decimal("188.00"),
                    )
                    for order in orders
                ]
            )
            day = period.starts_at + timezone.timedelta(days=(created // BATCH) % days, hours=9)
            Order.objects.filter(pk__in=[o.pk for o in orders]).update(created_at=day)
        created += size
    return company


def bench_cleanup(*, company: Company, period: Period) -> None:
    statements = Statement.objects.filter(company=company, period_start=period.start)
    Statement.history.filter(company_id=company.pk, period_start=period.start).delete()
    statements.delete()
    orders = Order.objects.filter(
        company=company, created_at__gte=period.starts_at, created_at__lt=period.ends_at
    )
    OrderLine.objects.filter(order__in=orders).delete()
    orders.delete()


def _measure(work, *, trace: bool) -> tuple[object, Phase]:
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
    return result, Phase(seconds=seconds, peak_traced_mb=peak, max_rss_mb=_max_rss_mb())


def run_bench(*, lines: int, period: Period, keep: bool = False, trace: bool = False) -> dict:
    bench_cleanup(company=_refs()[0], period=period)
    company, setup = _measure(lambda: bench_orders_create(lines=lines, period=period), trace=False)
    result, generation = _measure(
        lambda: generate_statements(period=period, company_id=company.pk), trace=trace
    )
    ids = list(
        Statement.objects.filter(company=company, period_start=period.start).values_list(
            "pk", flat=True
        )
    )
    with tempfile.TemporaryFile() as handle:
        exported, export = _measure(lambda: write_statements_workbook(ids, handle), trace=trace)
        size = handle.seek(0, 2)
    if not keep:
        bench_cleanup(company=company, period=period)
    return {
        "lines": result["lines"],
        "setup_seconds": setup.seconds,
        "generation": generation,
        "export": export,
        "export_rows": exported.lines,
        "export_bytes": size,
    }
