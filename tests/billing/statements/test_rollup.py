"""The statements' per-month rollup (``StatementRollup``): kept exact by generation (both
paths) and every status move, checked by ``check_ledgers``, and read by the console
list's header totals only when its filters are month, status and currency."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import override_settings
from django.urls import reverse

from billing.models import OrderStatus, Statement, StatementRollup, StatementStatus
from billing.statements.rollup import rollup_rebuild
from billing.statements.selectors import (
    statement_rollup_mismatches,
    statement_totals,
    statement_totals_of_months,
)
from billing.statements.services import generate_statements, period_parse
from billing.statements.workflow import (
    Resolution,
    statement_adjust,
    statement_confirm,
    statement_dispute,
    statement_resolve,
)
from tests.factories import UserFactory, sales_staff
from tests.partners.factories import CompanyFactory

from .helpers import Seller, local

pytestmark = pytest.mark.django_db

S = StatementStatus
CHANGELIST = "admin:billing_statement_changelist"


def assert_exact() -> None:
    """The rollup equals the statements, and its totals equal the rows' for every filter
    the console answers from it."""
    assert statement_rollup_mismatches() == []
    for month in sorted(set(Statement.objects.values_list("period_start", flat=True))):
        for status in [None, *S.values]:
            for currency in [None, "CNY", "USD", "HKD"]:
                rows = Statement.objects.filter(period_start=month)
                if status:
                    rows = rows.filter(status=status)
                if currency:
                    rows = rows.filter(currency=currency)
                assert statement_totals_of_months(
                    period_start=month, status=status, currency=currency
                ) == statement_totals(rows), (month, status, currency)
    assert statement_totals_of_months() == statement_totals(Statement.objects.all())


@pytest.mark.parametrize("in_database", [True, False])
def test_rollup_stays_exact_through_generation_and_the_workflow(in_database):
    staff = UserFactory(is_staff=True)
    a = Seller(CompanyFactory(revenue_share_rate=Decimal("0.1000")))
    b, c = Seller(), Seller()
    a.orders(2, at=local(2026, 10, 3), total="100.00", quantities=(1, 2))
    a.order(at=local(2026, 10, 4), total="182400.00", currency="USD")
    b.orders(3, at=local(2026, 10, 5), total="10.00")
    cancelled = c.order(at=local(2026, 10, 6), total="7.77")
    c.order(at=local(2026, 9, 6), total="1.11")
    with override_settings(STATEMENTS_GENERATE_IN_DATABASE=in_database):
        generate_statements(period="2026-10", actor=staff)
        generate_statements(period="2026-09", actor=staff)
        assert_exact()

        a_cny = Statement.objects.get(company=a.company, currency="CNY")
        statement_adjust(statement_id=a_cny.pk, actor=staff, amount="-1.00", reason="调整")
        statement_confirm(statement_id=a_cny.pk, actor=a.admin)
        assert_exact()
        b_cny = Statement.objects.get(company=b.company)
        statement_dispute(statement_id=b_cny.pk, actor=b.admin, reason="金额不对")
        assert_exact()
        b.order(at=local(2026, 10, 30), total="5.00", quantities=(4,))
        statement_resolve(statement_id=b_cny.pk, actor=staff, resolution=Resolution.REGENERATE)
        assert Statement.objects.get(pk=b_cny.pk).order_count == 4
        assert_exact()

        # A rerun regenerates the drafts (new orders, a cancelled one), keeps the rest.
        type(cancelled).objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
        b.order(at=local(2026, 10, 31), total="6.00")
        Seller().order(at=local(2026, 10, 12), currency="HKD", total="12.34")
        result = generate_statements(period="2026-10", actor=staff)
        assert (result["created"], result["kept"]) == (1, 1)
        assert_exact()
        statement_dispute(statement_id=b_cny.pk, actor=b.admin, reason="再核对")
        statement_resolve(statement_id=b_cny.pk, actor=staff, resolution=Resolution.CONFIRM)
        assert_exact()
    call_command("check_ledgers", stdout=None)


def test_check_ledgers_reports_a_rollup_that_drifted():
    Seller().order(at=local(2026, 10, 3), total="10.00")
    generate_statements(period="2026-10")
    call_command("check_ledgers", stdout=None)
    StatementRollup.objects.update(order_count=F("order_count") + 1)
    assert len(statement_rollup_mismatches()) == 1
    with pytest.raises(CommandError):
        call_command("check_ledgers", stdout=None)
    rollup_rebuild()
    assert statement_rollup_mismatches() == []


@pytest.fixture
def month():
    gold = CompanyFactory(name="BlueCloud_D")
    a, b = Seller(gold), Seller(CompanyFactory(name="TestCompany-A"))
    a.orders(2, at=local(2026, 10, 3), total="100.00")
    a.order(at=local(2026, 10, 4), total="182400.00", currency="USD")
    b.orders(3, at=local(2026, 10, 5), total="10.00")
    generate_statements(period="2026-10")
    return a, b


def orders_card(client, **query) -> str:
    html = client.get(reverse(CHANGELIST), query).content.decode()
    start = html.index('data-total="orders">') + len('data-total="orders">')
    return html[start : html.index("<", start)]


def test_header_totals_read_the_rollup_for_month_status_and_currency_only(staff_client, month):
    a, b = month
    assert orders_card(staff_client) == "6 单"
    # A drifted rollup shows where the figures come from (never in real life: check_ledgers).
    StatementRollup.objects.filter(currency="CNY").update(order_count=F("order_count") + 100)
    assert orders_card(staff_client) == "106 单"
    assert orders_card(staff_client, period="2026-10") == "106 单"
    assert orders_card(staff_client, period="2026-10", currency__exact="USD") == "1 单"
    assert orders_card(staff_client, status__exact=S.DRAFT, currency__exact="CNY") == "105 单"
    assert orders_card(staff_client, period="2026-09") == "0 单"
    assert orders_card(staff_client, period="bad") == "0 单"
    assert orders_card(staff_client, status__exact=S.DISPUTED) == "0 单"
    # Beyond the rollup's keys: the filtered rows are summed.
    assert orders_card(staff_client, q="BlueCloud") == "3 单"
    assert orders_card(staff_client, company__id__exact=b.company.pk) == "3 单"
    tier = a.company.tier_id
    in_tier = sum(
        Statement.objects.filter(company__tier=tier).values_list("order_count", flat=True)
    )
    assert orders_card(staff_client, company__tier__id__exact=tier) == f"{in_tier} 单"
    assert orders_card(staff_client, period="2026-10", q="") == "106 单"


def test_a_sales_persons_totals_are_their_own_companies_rows(client, month):
    a, _b = month
    sales = sales_staff()
    type(a.company).objects.filter(pk=a.company.pk).update(business_owner=sales)
    StatementRollup.objects.update(order_count=F("order_count") + 100)
    client.force_login(sales)
    assert orders_card(client) == "3 单"
    assert orders_card(client, period="2026-10") == "3 单"


def test_the_migrations_fill_equals_a_rebuild(month):
    from importlib import import_module

    from django.db import connection

    fill = import_module("billing.migrations.0022_statement_rollup").FILL
    expected = sorted(StatementRollup.objects.values_list())
    StatementRollup.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(fill)
    assert statement_rollup_mismatches() == []
    assert len(expected) == StatementRollup.objects.count()
    assert period_parse("2026-10").start in {row[1] for row in expected}
