"""Dashboard figures equal independent queries on the demo data; the query count is fixed."""

import io
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from billing.models import (
    CreditAccount,
    OnlineRepayment,
    Order,
    OrderLine,
    Payment,
    PendingPosting,
    Repayment,
    Statement,
)
from catalog.models import ConsultationTicket, TrialRequest
from partners.models import Company, RegistrationApplication, User

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo(db):
    call_command("loaddemo", stdout=io.StringIO())


def _dashboard(client, email="admin@example.com"):
    client.force_login(User.objects.get(email=email))
    response = client.get("/admin/")
    assert response.status_code == 200
    return response


def _month_start_utc():
    now = timezone.now().astimezone(SHANGHAI)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _paid_this_month_sql():
    """Independent: raw SQL on the order table, Asia/Shanghai month start computed here."""
    start = _month_start_utc()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT currency, SUM(payable_total), COUNT(*) FROM billing_order "
            "WHERE created_at >= %s AND payment_status = 'paid' AND status != 'cancelled' "
            "GROUP BY currency ORDER BY currency",
            [start],
        )
        return [(c, Decimal(str(t)).quantize(Decimal("0.01")), n) for c, t, n in cursor.fetchall()]


def test_work_queue_counts_match_independent_queries(client, demo):
    queues = {str(t): (c, link) for t, c, link in _dashboard(client).context["work_queues"]}
    expected = {
        "待审核注册申请": RegistrationApplication.objects.filter(status="pending").count(),
        "待确认线下还款": Repayment.objects.filter(status="submitted").count(),
        "逾期账单": _count("billing_bill", "overdue"),
        "待开票": _count("billing_invoicerequest", "pending"),
        "未关闭工单": sum(1 for t in ConsultationTicket.objects.all() if t.status != "closed"),
        "试用申请": sum(1 for t in TrialRequest.objects.all() if t.status != "closed"),
        "有争议的分账单": sum(1 for s in Statement.objects.all() if s.status == "disputed"),
        "待复核财务操作": sum(1 for p in PendingPosting.objects.all() if p.status == "pending"),
        "待退款付款": sum(1 for p in Payment.objects.all() if p.status == "refund_due"),
        "待退款线上还款": sum(1 for r in OnlineRepayment.objects.all() if r.status == "refund_due"),
        "未匹配银行流水": _count("billing_bankstatementline", "unmatched"),
    }
    counts = {title: count for title, (count, _link) in queues.items()}
    for title, count in expected.items():
        matches = [key for key in counts if title in key or key in title]
        assert matches, (title, list(counts))
        assert counts[matches[0]] == count, title
    assert len(queues) == 12
    # The demo has one pending application: its queue link opens the filtered list, where
    # the row's 确认 approves it (queue → 确认, tests/e2e/test_console_queues.py).
    app = RegistrationApplication.objects.get(status="pending")
    repayment = Repayment.objects.get(status="submitted")
    links = {link for _count, link in queues.values()}
    assert app.pk and "/admin/partners/registrationapplication/?status=pending" in links
    assert repayment.pk and "/admin/billing/repayment/?status=submitted" in links


COUNT_SQL = {
    "billing_bill": "SELECT COUNT(*) FROM billing_bill WHERE status = %s",
    "billing_invoicerequest": "SELECT COUNT(*) FROM billing_invoicerequest WHERE status = %s",
    "billing_bankstatementline": "SELECT COUNT(*) FROM billing_bankstatementline WHERE status = %s",
}


def _count(table: str, status: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL[table], [status])
        return cursor.fetchone()[0]


@pytest.fixture
def orders(demo):
    """Orders placed through checkout, then set paid/unpaid/cancelled/last month."""
    from billing.services.checkout import LineInput
    from tests.billing.order_helpers import Shop
    from tests.catalog.factories import PublishedSolutionFactory, SkuFactory

    shop = Shop(credit_limit="0")
    other = SkuFactory(solution=PublishedSolutionFactory(name="Other"), unit_price=Decimal("9"))
    placed = [shop.place() for _ in range(3)]
    placed.append(shop.place(lines=[LineInput(other.pk, 1)]))
    placed.append(shop.place(lines=[LineInput(other.pk, 2)]))
    unpaid, cancelled, last_month = shop.place(), shop.place(), shop.place()
    paid = [*placed, cancelled, last_month]
    Order.objects.filter(pk__in=[o.pk for o in paid]).update(payment_status="paid")
    Order.objects.filter(pk=cancelled.pk).update(status="cancelled")
    Order.objects.filter(pk=last_month.pk).update(
        created_at=_month_start_utc() - timedelta(minutes=1)
    )
    return {"paid": placed, "unpaid": unpaid, "cancelled": cancelled, "last_month": last_month}


def _local_months(count=12):
    """The first day of the last ``count`` Asia/Shanghai months, oldest first (computed here)."""
    now = timezone.now().astimezone(SHANGHAI)
    index = now.year * 12 + now.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _sales_by_month_python(company_ids=None):
    """Independent: every order row, filtered and grouped in Python by its local month."""
    months = _local_months()
    tally: dict[tuple[str, date], Decimal] = {}
    for order in Order.objects.all():
        local = order.created_at.astimezone(SHANGHAI)
        month = date(local.year, local.month, 1)
        if (
            month >= months[0]
            and order.payment_status == "paid"
            and order.status != "cancelled"
            and (company_ids is None or order.company_id in company_ids)
        ):
            key = (order.currency, month)
            tally[key] = tally.get(key, Decimal("0")) + order.payable_total
    currencies = sorted({currency for currency, _month in tally})
    return {c: [tally.get((c, m), Decimal("0")) for m in months] for c in currencies}


def _shown_series(figures):
    return {row["currency"]: row["totals"] for row in figures["sales"]["series"]}


def test_monthly_sales_match_python_over_12_months(client, orders):
    response = _dashboard(client)
    figures = response.context["figures"]
    labels = [f"{m:%Y-%m}" for m in _local_months()]
    assert figures["sales"]["labels"] == labels
    assert _shown_series(figures) == _sales_by_month_python()
    html = response.content.decode()
    assert '<canvas class="chart"' in html and 'data-type="line"' in html
    assert 'data-months="12"' in html


def _quarter_start_local():
    now = timezone.now().astimezone(SHANGHAI)
    first_month = (now.month - 1) // 3 * 3 + 1
    return now.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _counts_as_sale(order, since):
    return (
        order.created_at >= since and order.payment_status == "paid" and order.status != "cancelled"
    )


def test_top_solutions_match_python_count(client, orders):
    figures = _dashboard(client).context["figures"]
    start = _quarter_start_local()
    tally: dict[int, int] = {}
    for line in OrderLine.objects.select_related("order"):
        if _counts_as_sale(line.order, start):
            tally[line.solution_id] = tally.get(line.solution_id, 0) + 1
    shown = [(r["solution_id"], r["lines"]) for r in figures["top_solutions"]]
    assert shown and len(shown) == min(5, len(tally))
    for solution_id, lines in shown:
        assert tally[solution_id] == lines
    assert [lines for _s, lines in shown] == sorted(tally.values(), reverse=True)[: len(shown)]


def test_top_partners_and_orders_by_status_match_python(client, orders):
    figures = _dashboard(client).context["figures"]
    start = _quarter_start_local()
    totals: dict[tuple[str, int], Decimal] = {}
    for order in Order.objects.all():
        if _counts_as_sale(order, start):
            key = (order.currency, order.company_id)
            totals[key] = totals.get(key, Decimal("0")) + order.payable_total
    for group in figures["top_partners"]:
        expected = sorted(
            ((cid, total) for (cur, cid), total in totals.items() if cur == group["currency"]),
            key=lambda item: (-item[1], item[0]),
        )[:5]
        assert [(r["company_id"], r["total"]) for r in group["rows"]] == expected
    assert {g["currency"] for g in figures["top_partners"]} == {c for c, _id in totals}
    statuses: dict[str, int] = {}
    for order in Order.objects.all():
        statuses[order.status] = statuses.get(order.status, 0) + 1
    assert {r["status"]: r["count"] for r in figures["orders_by_status"]} == statuses


def test_new_partners_match(client, demo):
    old = Company.objects.order_by("pk").first()
    Company.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=45))
    figures = _dashboard(client).context["figures"]
    since = timezone.now() - timedelta(days=30)
    recent = sorted(
        (c for c in Company.objects.all() if c.created_at >= since),
        key=lambda c: (c.created_at, c.pk),
        reverse=True,
    )
    assert figures["new_partners"]["count"] == len(recent)
    assert [row["pk"] for row in figures["new_partners"]["latest"]] == [c.pk for c in recent[:5]]
    assert old.pk not in [row["pk"] for row in figures["new_partners"]["latest"]]


def test_credit_near_limit_match(client, demo):
    # Push one account to 80 % and one to 50 %: only the first is listed.
    # (Accounts that delegate none of their line: a distributor's allocations must fit.)
    accounts = list(CreditAccount.objects.filter(delegated_limit=0).order_by("pk")[:2])
    CreditAccount.objects.filter(pk=accounts[0].pk).update(
        credit_limit=Decimal("1000"), used=Decimal("800")
    )
    CreditAccount.objects.filter(pk=accounts[1].pk).update(
        credit_limit=Decimal("1000"), used=Decimal("500")
    )
    figures = _dashboard(client).context["figures"]
    near = [
        a
        for a in CreditAccount.objects.all()
        if a.credit_limit > 0 and a.used / a.credit_limit >= Decimal("0.7")
    ]
    near.sort(key=lambda a: (-(a.used / a.credit_limit), a.pk))
    shown = [row["pk"] for row in figures["credit_near_limit"]]
    assert shown == [a.pk for a in near[:5]]
    assert accounts[0].pk in shown and accounts[1].pk not in shown
    row = next(r for r in figures["credit_near_limit"] if r["pk"] == accounts[0].pk)
    assert row["percent"] == 80


def test_dashboard_query_count_is_constant(client, orders, django_assert_max_num_queries):
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    admin = User.objects.get(email="admin@example.com")
    client.force_login(admin)
    cache.clear()  # the sidebar's queue badges are cached briefly: measure both pages cold
    with CaptureQueriesContext(connection) as before:
        client.get("/admin/")
    # Grow every figure's data: more companies, tickets and trial requests.
    for n in range(15):
        Company.objects.create(name=f"Extra Co {n}", tier=Company.objects.first().tier)
        ConsultationTicket.objects.create(
            name="x", email="x@example.com", company_name="x", subject="s", details="d"
        )
        TrialRequest.objects.create(name="x", email="x@example.com", company_name="x")
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        client.get("/admin/")
    assert len(after) == len(before)
    with django_assert_max_num_queries(15):
        client.get("/admin/")


@pytest.mark.parametrize(
    ("email", "shown", "hidden"),
    [
        ("finance@example.com", "Offline repayments", "Pending registrations"),
        ("ops@example.com", "Pending registrations", None),
    ],
)
def test_queues_follow_view_permissions(client, demo, settings, email, shown, hidden):
    client.cookies["django_language"] = "en"
    response = _dashboard(client, email)
    titles = [str(t) for t, _c, _l in response.context["work_queues"]]
    assert any(shown in t for t in titles), titles
    if hidden:
        user = User.objects.get(email=email)
        if not user.has_perm("partners.view_registrationapplication"):
            assert not any(hidden in t for t in titles)
