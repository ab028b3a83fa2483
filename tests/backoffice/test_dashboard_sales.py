"""The dashboard's 12-month sales from the demo history, 销售's own companies only, and
its query bound as 超级管理员 and as 销售."""

import io
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from billing.models import Order
from partners.models import Company, User

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo(db):
    call_command("loaddemo", stdout=io.StringIO())


@pytest.fixture
def other_company_sales(demo):
    """A company no demo staff owns, with paid orders this month (and so this quarter)."""
    from tests.billing.order_helpers import Shop

    shop = Shop(credit_limit="0")
    placed = [shop.place() for _ in range(2)]
    Order.objects.filter(pk__in=[o.pk for o in placed]).update(payment_status="paid")
    assert shop.company.business_owner_id is None and shop.company.customer_manager_id is None
    return shop.company


def _months():
    now = timezone.now().astimezone(SHANGHAI)
    index = now.year * 12 + now.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - 11, index + 1)]


def _expected(company_ids=None):
    """Independent: sales per (currency, local month) summed in Python from every order."""
    months = _months()
    tally: dict[str, list[Decimal]] = {}
    for order in Order.objects.all():
        local = order.created_at.astimezone(SHANGHAI)
        month = date(local.year, local.month, 1)
        if month < months[0] or order.payment_status != "paid" or order.status == "cancelled":
            continue
        if company_ids is not None and order.company_id not in company_ids:
            continue
        row = tally.setdefault(order.currency, [Decimal("0")] * 12)
        row[months.index(month)] += order.payable_total
    return tally


def _figures(client, email):
    client.force_login(User.objects.get(email=email))
    response = client.get("/admin/")
    assert response.status_code == 200
    return response, response.context["figures"]


def test_demo_history_fills_twelve_months_in_every_currency_it_sells(client, demo):
    response, figures = _figures(client, "admin@example.com")
    series = {row["currency"]: row["totals"] for row in figures["sales"]["series"]}
    assert series == _expected()
    assert len(figures["sales"]["labels"]) == 12
    assert all(total > 0 for total in series["CNY"])  # a value in each of the 12 months
    assert "HKD" in series  # one series per currency
    html = response.content.decode()
    assert html.count("data-month=") == 12  # the table behind the chart: one row a month
    # loaddemo is idempotent: a second run adds no order to the history.
    count = Order.objects.count()
    call_command("loaddemo", stdout=io.StringIO())
    assert Order.objects.count() == count


def test_sales_role_sees_its_companies_figures_and_nothing_of_others(client, other_company_sales):
    sales = User.objects.get(email="sales@example.com")
    owned = set(Company.objects.filter(business_owner=sales).values_list("pk", flat=True)) | set(
        Company.objects.filter(customer_manager=sales).values_list("pk", flat=True)
    )
    assert owned and other_company_sales.pk not in owned
    response, figures = _figures(client, "sales@example.com")
    assert figures["scoped"]
    # Non-empty: its companies' 12 months, orders by status, top partners and solutions.
    series = {row["currency"]: row["totals"] for row in figures["sales"]["series"]}
    assert series == _expected(owned)
    assert series != _expected()  # the other company's sales are left out
    assert all(total > 0 for total in series["CNY"])
    shown_partners = {r["company_id"] for g in figures["top_partners"] for r in g["rows"]}
    assert shown_partners and shown_partners <= owned
    assert figures["top_solutions"]
    statuses = {r["status"]: r["count"] for r in figures["orders_by_status"]}
    expected_statuses: dict[str, int] = {}
    for order in Order.objects.filter(company_id__in=owned):
        expected_statuses[order.status] = expected_statuses.get(order.status, 0) + 1
    assert statuses == expected_statuses
    assert {r["pk"] for r in figures["new_partners"]["latest"]} <= owned
    # Credit lines are 财务's (the role matrix): 销售 has no such card.
    assert "credit_near_limit" not in figures
    html = response.content.decode()
    assert other_company_sales.name not in html
    # The superadmin sees the other company among the top partners.
    _response, everything = _figures(client, "admin@example.com")
    all_partners = {r["company_id"] for g in everything["top_partners"] for r in g["rows"]}
    assert other_company_sales.pk in all_partners


@pytest.mark.parametrize("email", ["admin@example.com", "sales@example.com"])
def test_dashboard_renders_in_at_most_15_queries(
    client, other_company_sales, django_assert_max_num_queries, email
):
    client.force_login(User.objects.get(email=email))
    cache.clear()  # cold: the sidebar's cached queue badges are counted too
    with django_assert_max_num_queries(15):
        response = client.get("/admin/")
    assert response.status_code == 200
    assert response.context["figures"]["sales"]["series"]


def test_dashboard_as_a_superadmin_by_role_renders_in_at_most_15_queries(
    client, other_company_sales, django_assert_max_num_queries
):
    """超级管理员 by role (a group, not Django's superuser flag): its group names and
    group permissions come in one query (``partners.auth``)."""
    from django.contrib.auth.models import Group

    from partners.staff_roles import ROLE_GROUP_NAMES, StaffRole
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=False)
    user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[StaffRole.SUPERADMIN]))
    client.force_login(user)
    cache.clear()
    with django_assert_max_num_queries(15):
        response = client.get("/admin/")
    assert response.status_code == 200
    assert response.context["figures"]["sales"]["series"]
    assert "admin/partners/company/" in response.content.decode()  # sees every card


def test_this_months_demo_order_is_never_in_the_future():
    from fixtures.orders_demo import _year_moment

    start = (
        timezone.now()
        .astimezone(SHANGHAI)
        .replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    moment = _year_moment(0, 28, 23, now=start + timedelta(seconds=2))
    assert start <= moment <= start + timedelta(seconds=2)
