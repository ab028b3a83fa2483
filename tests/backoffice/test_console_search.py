"""Console search (backoffice.admin.search) and the cost of the big changelists.

The search keeps Django's meaning (every word matches some field, case-insensitively)
but reads related matches as id lists and matches codes by prefix, so it stays on
indexes; these tests pin what it finds, and that the lists' query count stays flat.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.admin import search
from backoffice.admin.statements import statement_months
from billing.models import Order, OrderStatus, RebateEntry
from billing.services.wallet import wallet_grant
from billing.statements.selectors import statement_periods
from partners.models import Company
from tests.billing.statements.helpers import Seller, local, make_statement
from tests.partners.factories import CompanyFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:billing_order_changelist")
COMPANIES = reverse("admin:partners_company_changelist")
REBATE_ENTRIES = reverse("admin:billing_rebateentry_changelist")
STATEMENTS = reverse("admin:billing_statement_changelist")


def _listed(client, url: str, **params) -> list:
    response = client.get(url, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def sellers():
    alpha = Seller(CompanyFactory(name="Bench 渠道伙伴 000123 科技有限公司"))
    beta = Seller(CompanyFactory(name="蓝云 Beta 有限公司"))
    alpha_orders = alpha.orders(2, at=local(2026, 10, 1, 10), status=OrderStatus.COMPLETED)
    beta_orders = beta.orders(2, at=local(2026, 10, 2, 10), status=OrderStatus.COMPLETED)
    Order.objects.filter(pk=beta_orders[0].pk).update(customer_company="华东 000123 客户")
    return alpha, beta, alpha_orders, beta_orders


def test_order_search_finds_related_and_own_fields(staff_client, sellers):
    alpha, beta, alpha_orders, beta_orders = sellers
    # Company name fragment (related) or customer company fragment (own column).
    found = _listed(staff_client, ORDERS, q="000123", status__exact="completed")
    assert {o.pk for o in found} == {*(o.pk for o in alpha_orders), beta_orders[0].pk}
    # Case-insensitive on related names, as Django's icontains.
    found = _listed(staff_client, ORDERS, q="beta")
    assert {o.pk for o in found} == {o.pk for o in beta_orders}
    # The sales user's e-mail (placed_by__email).
    found = _listed(staff_client, ORDERS, q=alpha.admin.email.split("@")[0])
    assert {o.pk for o in found} == {o.pk for o in alpha_orders}


def test_order_numbers_match_from_the_start(staff_client, sellers):
    _alpha, _beta, alpha_orders, _beta_orders = sellers
    number = alpha_orders[0].number
    assert [o.pk for o in _listed(staff_client, ORDERS, q=number)] == [alpha_orders[0].pk]
    prefix = _listed(staff_client, ORDERS, q=number[:-1])
    assert alpha_orders[0].pk in {o.pk for o in prefix}
    # The help text says "start of the order no.": a fragment from the middle does not match.
    assert _listed(staff_client, ORDERS, q=number[-6:]) == []


def test_every_word_must_match_some_field(staff_client, sellers):
    _alpha, beta, _alpha_orders, beta_orders = sellers
    found = _listed(staff_client, ORDERS, q="蓝云 000123")
    assert [o.pk for o in found] == [beta_orders[0].pk]  # Beta's order with that customer
    assert _listed(staff_client, ORDERS, q="蓝云 nothing-like-this") == []
    # A quoted phrase is one word.
    found = _listed(staff_client, ORDERS, q='"Beta 有限"')
    assert {o.pk for o in found} == {o.pk for o in beta_orders}


def test_company_found_once_through_several_matching_users(staff_client):
    company = CompanyFactory(name="Gamma 有限公司")
    PartnerUserFactory(company=company, email="ops-one@gamma.example")
    PartnerUserFactory(company=company, email="ops-two@gamma.example")
    CompanyFactory(name="Delta 有限公司")
    response = staff_client.get(COMPANIES, {"q": "gamma.example"})
    cl = response.context["cl"]
    assert [c.pk for c in cl.result_list] == [company.pk]
    assert cl.result_count == 1
    assert not cl.queryset.query.distinct  # no JOIN, so no DISTINCT over the list


def test_many_related_matches_stay_a_subquery(staff_client, sellers, monkeypatch):
    monkeypatch.setattr(search, "MATERIALISE_UP_TO", 1)
    alpha, beta, alpha_orders, beta_orders = sellers
    # "有限公司" names both companies: more than 1 id, so the ids stay a sub-query.
    found = _listed(staff_client, ORDERS, q="有限公司")
    assert {o.pk for o in found} == {o.pk for o in (*alpha_orders, *beta_orders)}


def test_rebate_codes_match_their_start_in_any_case(staff_client):
    company = CompanyFactory(name="Epsilon 科技", balances=True)
    entry = wallet_grant(
        company_id=company.pk,
        currency="CNY",
        amount=Decimal("10.00"),
        reason="test",
        actor=None,
        idempotency_key="search-test-grant",
    )
    entry = RebateEntry.objects.get(pk=entry.pk)
    prefix = entry.number[:4]
    found = _listed(staff_client, REBATE_ENTRIES, q=prefix.lower())
    assert [e.pk for e in found] == [entry.pk]
    assert [e.pk for e in _listed(staff_client, REBATE_ENTRIES, q="epsilon")] == [entry.pk]


def test_search_fields_with_explicit_lookups_fall_back_to_django():
    assert search.indexed_search_q(Company, ("name__exact",), "x") is None
    assert search.indexed_search_q(Company, ("@name",), "x") is None
    assert search.indexed_search_q(Company, ("name", "users__email"), "x") is not None


def test_statement_search_by_company_and_number(staff_client):
    company = CompanyFactory(name="Zeta 渠道 000123")
    other = CompanyFactory(name="Eta 渠道")
    mine = make_statement(company, status="confirmed")
    theirs = make_statement(other, status="confirmed", number="99001122")
    found = _listed(staff_client, STATEMENTS, q="000123", status__exact="confirmed")
    assert [s.pk for s in found] == [mine.pk]
    assert [s.pk for s in _listed(staff_client, STATEMENTS, q="990011")] == [theirs.pk]


def test_statement_period_filter_lists_months_without_grouping_the_table():
    company = CompanyFactory()
    for year, month in ((2026, 10), (2026, 9), (2025, 12)):
        make_statement(company, year=year, month=month)
    make_statement(CompanyFactory(), year=2026, month=10)
    assert statement_months() == statement_periods()
    assert statement_months() == [date(2026, 10, 1), date(2026, 9, 1), date(2025, 12, 1)]
    assert statement_months(limit=2) == [date(2026, 10, 1), date(2026, 9, 1)]


def test_region_filter_lists_catalog_regions(staff_client, sellers):
    _alpha, _beta, alpha_orders, beta_orders = sellers
    Order.objects.filter(pk=alpha_orders[0].pk).update(region="hk")
    assert [o.pk for o in _listed(staff_client, ORDERS, region="hk")] == [alpha_orders[0].pk]
    html = staff_client.get(ORDERS).content.decode()
    assert "region=hk" in html


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (ORDERS, {"status__exact": "completed"}),
        (ORDERS, {"status__exact": "completed", "q": "000123"}),
        (COMPANIES, {"status__exact": "enabled"}),
        (COMPANIES, {"status__exact": "enabled", "q": "000123"}),
        (REBATE_ENTRIES, {"entry_type__exact": "spend"}),
        (REBATE_ENTRIES, {"entry_type__exact": "spend", "q": "000123"}),
        (STATEMENTS, {"status__exact": "confirmed"}),
        (STATEMENTS, {"status__exact": "confirmed", "q": "000123"}),
    ],
)
def test_big_changelists_run_a_fixed_small_number_of_queries(
    staff_client, sellers, url, params, django_assert_max_num_queries
):
    alpha, beta, *_ = sellers
    for seller in (alpha, beta):
        make_statement(seller.company, status="confirmed")
    staff_client.get(url, params)  # warm the per-user sidebar badges
    with django_assert_max_num_queries(10) as captured:
        first = staff_client.get(url, params)
    assert first.status_code == 200
    # More rows on the page: the same number of queries.
    more = Seller(CompanyFactory(name="Theta 000123 有限公司"))
    more.orders(5, at=local(2026, 10, 3, 10), status=OrderStatus.COMPLETED)
    make_statement(more.company, status="confirmed")
    with django_assert_max_num_queries(len(captured)):
        staff_client.get(url, params)


@pytest.mark.postgres
def test_trigram_indexes_serve_the_icontains_expression():
    """The GIN indexes are on UPPER(col::text), the expression icontains compiles to."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s",
            ["%\\_trgm"],
        )
        indexes = dict(cursor.fetchall())
    for name, column in (
        ("billing_order_customer_company_trgm", "customer_company"),
        ("billing_stmt_company_name_trgm", "company_name"),
        ("partners_company_name_trgm", "name"),
        ("partners_user_email_trgm", "email"),
    ):
        assert f"upper(({column})::text) gin_trgm_ops" in indexes[name]
    sql = str(Order.objects.filter(customer_company__icontains="x").query)
    assert 'UPPER("billing_order"."customer_company"::text) LIKE' in sql
