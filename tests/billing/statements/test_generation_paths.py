"""Generation writes history and fails a draft whose adjustments exceed its share, on
every database; on PostgreSQL the in-database path (generation_sql) produces exactly
what the portable Python path produces from the same data."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings

from billing.models import OrderStatus, PaymentStatus, Statement, StatementLine, StatementStatus
from billing.statements.services import generate_statements
from billing.statements.workflow import statement_adjust, statement_confirm
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.factories import UserFactory
from tests.partners.factories import CompanyFactory

from .helpers import Seller, local

pytestmark = pytest.mark.django_db

OCT = "2026-10"


def test_generation_writes_history_with_the_actor():
    Seller().order(at=local(2026, 10, 2))
    staff = UserFactory(is_staff=True)
    generate_statements(period=OCT, actor=staff)
    statement = Statement.objects.get()
    first = statement.history.get()
    assert (first.history_type, first.history_user_id) == ("+", staff.pk)
    assert first.total_payable == statement.total_payable

    generate_statements(period=OCT)
    types = list(statement.history.order_by("history_id").values_list("history_type", flat=True))
    assert types == ["+", "~"]


def test_a_draft_whose_adjustments_exceed_the_new_share_fails_and_stays():
    seller = Seller(CompanyFactory(revenue_share_rate=Decimal("0.1000")))
    order = seller.order(at=local(2026, 10, 2), total="100.00")
    generate_statements(period=OCT)
    statement = Statement.objects.get()
    staff = UserFactory(is_staff=True)
    statement_adjust(statement_id=statement.pk, actor=staff, amount="-10.00", reason="扣减")
    # The order is cancelled: the share falls to 0 and 0 - 10 < 0.
    type(order).objects.filter(pk=order.pk).update(
        status=OrderStatus.CANCELLED, payment_status=PaymentStatus.REFUNDED
    )

    result = generate_statements(period=OCT)

    assert (result["failed"], result["regenerated"]) == (1, 0)
    assert statement.number in result["errors"][0]
    again = Statement.objects.get()
    assert (again.sales_amount, again.total_payable) == (Decimal("100.00"), Decimal("0.00"))
    assert again.lines.get().order_status == OrderStatus.PROCESSING


def _varied_month():
    """Several companies and currencies, every order status, multi-line orders, long
    product names, an adjusted draft, a confirmed statement and a failing draft."""
    staff = UserFactory(is_staff=True)
    long_products = [
        SkuFactory(solution=PublishedSolutionFactory(name=f"方案{'长' * 90}{n}", with_sku=False))
        for n in range(6)
    ]
    first = Seller(CompanyFactory(revenue_share_rate=Decimal("0.0333")))
    first.orders(3, at=local(2026, 10, 1, 0, 5), total="10.01", quantities=(1, 2, 3))
    first.order(at=local(2026, 10, 9), currency="USD", total="99.99")
    first.order(
        at=local(2026, 10, 31, 23, 59),
        status=OrderStatus.CANCELLED,
        payment_status=PaymentStatus.UNPAID,
    )
    second = Seller()
    second.orders(
        2, at=local(2026, 10, 5), total="0.05", quantities=(1,) * 7, products=long_products
    )
    second.order(
        at=local(2026, 10, 6),
        status=OrderStatus.PENDING_PAYMENT,
        payment_status=PaymentStatus.AWAITING_CONFIRMATION,
    )
    third = Seller(CompanyFactory(revenue_share_rate=Decimal("0.5000")))
    paid = third.order(at=local(2026, 10, 7), total="1.00")
    fourth = Seller()
    fourth.order(at=local(2026, 10, 8), total="50.00", status=OrderStatus.COMPLETED)
    outside = Seller()
    outside.order(at=local(2026, 11, 1))  # next month: no statement

    generate_statements(period=OCT, actor=staff)
    # An adjusted draft, a confirmed statement, a draft that will fail, a new order.
    adjusted = Statement.objects.get(company=first.company, currency="CNY")
    statement_adjust(statement_id=adjusted.pk, actor=staff, amount="-0.10", reason="调整")
    confirmed = Statement.objects.get(company=fourth.company)
    statement_confirm(statement_id=confirmed.pk, actor=fourth.admin)
    failing = Statement.objects.get(company=third.company)
    statement_adjust(statement_id=failing.pk, actor=staff, amount="-0.50", reason="扣减")
    type(paid).objects.filter(pk=paid.pk).update(status=OrderStatus.CANCELLED)
    first.order(at=local(2026, 10, 20), total="7.77", quantities=(2,))
    Seller().order(at=local(2026, 10, 21), currency="HKD", total="12.34")
    return staff


def _snapshot() -> dict:
    statements = sorted(
        Statement.objects.values_list(
            "company_id",
            "currency",
            "number",
            "status",
            "order_count",
            "product_count",
            "sales_amount",
            "share_rate",
            "share_amount",
            "adjustment_total",
            "total_payable",
            "company_name",
            "tier_name",
            "business_owner_name",
            "address",
        )
    )
    lines = sorted(
        StatementLine.objects.values_list(
            "statement__number",
            "order_number",
            "order_total",
            "products",
            "order_status",
            "payment_status",
            "quantity",
            "transacted_at",
            "in_sales",
        )
    )
    history = sorted(
        Statement.history.values_list("number", "history_type", "total_payable", "order_count")
    )
    events = sorted(Statement.objects.values_list("number", "events__from_status", "events__note"))
    return {"statements": statements, "lines": lines, "history": history, "events": events}


def _run(in_database: bool, staff) -> tuple[dict, dict]:
    with override_settings(STATEMENTS_GENERATE_IN_DATABASE=in_database), transaction.atomic():
        result = generate_statements(period=OCT, actor=staff)
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return result, snapshot


@pytest.mark.postgres
def test_the_database_path_matches_the_python_path():
    staff = _varied_month()
    python_result, python_rows = _run(False, staff)
    sql_result, sql_rows = _run(True, staff)

    assert python_result["failed"] == 1 and python_result["kept"] == 1
    assert python_result["created"] == 1 and python_result["regenerated"] == 3
    assert sql_result == python_result
    for key in python_rows:
        assert sql_rows[key] == python_rows[key], key
    cut = [row[3] for row in python_rows["lines"] if row[3].endswith("…")]
    assert cut and all(len(products) == 500 for products in cut)
    assert any(row[3] == StatementStatus.CONFIRMED for row in python_rows["statements"])
