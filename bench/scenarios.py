"""The benchmark scenarios. Each returns a JSON-serialisable dict of figures.

In-process (Django test client, same process, warm): console changelists beside the
plain-admin baseline, and the portal pages. Heavy ones run in a fresh subprocess
(``bench.worker``) so their peak memory is their own: statement generation, the Excel
export and the contract PDF. The checkout throughput runs gunicorn (``bench.checkout``).
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def time_get(client, url: str, *, runs: int, warmup: int = 1) -> dict:
    """GET ``url`` ``warmup`` + ``runs`` times; p50/p95 in ms and the queries of each run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Start every page from a collected heap, so one page's garbage is not another's
    # pause (the process has served thousands of requests by then).
    gc.collect()
    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    timings, queries = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        queries.append(len(captured.captured_queries))
    return {
        "url": url,
        "runs": runs,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "queries": max(queries),
        "queries_min": min(queries),
        "bytes": len(response.content),
    }


# --------------------------------------------------------------------------
# Console changelists vs the plain-admin baseline
# --------------------------------------------------------------------------

# (label, console path, baseline path, query string with a filter, search term)
CHANGELISTS = (
    ("orders", "billing/order", "status__exact=completed"),
    ("companies", "partners/company", "status__exact=enabled"),
    ("rebate ledger entries", "billing/rebateentry", "entry_type__exact=spend"),
    ("statements", "billing/statement", "status__exact=confirmed"),
)


def search_term() -> str:
    """A company-name fragment that exists at every scale (company no. 000123 or less)."""
    from partners.models import Company

    count = Company.objects.filter(name__startswith="Bench 渠道伙伴").count()
    return f"{min(123, max(1, count // 2)):06d}"


def bench_admin():
    from partners.models import User

    user = User.objects.filter(email="bench-admin@example.com").first()
    if user is None:
        user = User.objects.create_superuser(
            email="bench-admin@example.com", password=None, name="Bench admin"
        )
    return user


def staff_client(user=None):
    """A client logged in as ``user`` (the bench admin by default), past the console's
    second login step (an authenticator is made for the user and the session marked
    verified, as a real login would after the code)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = user or bench_admin()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def role_user(role: str):
    """A console user in the role group of ``role`` (``partners.staff_roles``).

    超级管理员: ``bench-superadmin@example.com``, made here (staff, not a Django
    superuser: the role's group gives it every permission). 销售: the generated sales
    staff member ``bench-sales-1`` (business owner of 5 % of the companies and customer
    manager of another 5 %, see ``generate.py``), put in the 销售 group here.
    """
    from django.contrib.auth.models import Group

    from partners.models import User
    from partners.staff_roles import ROLE_GROUP_NAMES, StaffRole

    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    if role == StaffRole.SALES:
        user = User.objects.get(email="bench-sales-1@example.com")
    else:
        user = User.objects.filter(email=f"bench-{role}@example.com").first()
        if user is None:
            user = User.objects.create_user(
                email=f"bench-{role}@example.com",
                password=None,
                name=f"Bench {role}",
                is_staff=True,
            )
    user.groups.add(group)
    return user


def changelists(*, runs: int, baseline_runs: int) -> list[dict]:
    client = staff_client()
    term = search_term()
    rows = []
    for label, path, filter_query in CHANGELISTS:
        for variant, query in (
            ("filter", filter_query),
            ("filter + search", f"{filter_query}&q={term}"),
        ):
            console = time_get(client, f"/admin/{path}/?{query}", runs=runs)
            baseline = time_get(
                client, f"/bench-baseline/{path}/?{query}", runs=baseline_runs, warmup=1
            )
            rows.append(
                {
                    "list": label,
                    "variant": variant,
                    "console": console,
                    "baseline": baseline,
                    "speedup_p95": round(baseline["p95_ms"] / max(console["p95_ms"], 0.01), 1),
                }
            )
    return rows


# --------------------------------------------------------------------------
# Portal pages
# --------------------------------------------------------------------------


def portal(*, runs: int) -> list[dict]:
    from django.test import Client
    from django.urls import reverse

    from catalog.models import Category, Solution
    from partners.models import User

    buyer = (
        User.objects.filter(email__startswith="bench-user-", is_active=True).order_by("pk").first()
    )
    client = Client()
    client.force_login(buyer)
    big = (
        Category.objects.filter(parent__isnull=False, slug__startswith="bench-sub-")
        .order_by("pk")
        .first()
    )
    small = (
        Category.objects.filter(parent__isnull=False, slug__startswith="bench-sub-")
        .order_by("-pk")
        .first()
    )
    solutions = Solution.objects.filter(is_published=True).order_by("-paid_order_count", "pk")
    hot, cold = solutions.first(), solutions.last()
    pages = (
        ("home", reverse("portal:home")),
        ("category", reverse("portal:category", args=[big.slug])),
        ("category (other)", reverse("portal:category", args=[small.slug])),
        ("search", reverse("portal:search") + "?q=云桌面"),
        ("search (other)", reverse("portal:search") + "?q=bn-00042"),
        ("solution detail", reverse("portal:solution_detail", args=[hot.slug])),
        ("solution detail (other)", reverse("portal:solution_detail", args=[cold.slug])),
    )
    return [{"page": label, **time_get(client, url, runs=runs, warmup=2)} for label, url in pages]


# --------------------------------------------------------------------------
# Console dashboard by role
# --------------------------------------------------------------------------


def dashboard(*, runs: int) -> list[dict]:
    """The console's home (every work queue, card and chart the role may see), as
    超级管理员 and as 销售 (who counts only the companies they own)."""
    from django.urls import reverse

    from partners.staff_roles import StaffRole

    rows = []
    for label, role in (("超级管理员", StaffRole.SUPERADMIN), ("销售", StaffRole.SALES)):
        client = staff_client(role_user(role))
        rows.append(
            {"role": label, **time_get(client, reverse("admin:index"), runs=runs, warmup=2)}
        )
    return rows


# --------------------------------------------------------------------------
# Portal pages of the partner with the most orders
# --------------------------------------------------------------------------

HEAVY_ORDERS_PAGE = 200


def heavy_partner():
    """The company with the most orders, as (its active administrator, its order count);
    (None, 0) without orders."""
    from django.db.models import Count

    from billing.models import Order
    from partners.models import CompanyRole, User

    top = (
        Order.objects.values("company_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "company_id")
        .first()
    )
    if top is None:
        return None, 0
    user = (
        User.objects.filter(
            company_id=top["company_id"], company_role=CompanyRole.ADMIN, is_active=True
        )
        .order_by("pk")
        .first()
    )
    return user, top["n"]


def portal_heavy(*, runs: int) -> dict:
    """客户订单 (page 1 and page 200, or the last page when there are fewer), two order
    details, 分账管理 and the 我的资产 rebate and credit ledgers (pages 1 and 2 over the
    last 6 months), each pair to show that the query count does not grow with the page.

    The checkout scenario's buyers leave this partner out (``bench.checkout``), so its
    first page of orders is the generated data's, also when the data is reused."""
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from billing.models import Order, OrderStatus
    from partners.models import Company

    user, orders = heavy_partner()
    client = Client()
    client.force_login(user)
    company = Company.objects.get(pk=user.company_id)
    # Two order details in the same state (what the page shows depends on it: a
    # completed order offers its invoice and reviews), the most lines and the fewest.
    own = Order.objects.filter(company_id=company.pk)
    status = (
        own.values("status").annotate(n=Count("pk")).order_by("-n").first()["status"]
        if not own.filter(status=OrderStatus.COMPLETED).exists()
        else OrderStatus.COMPLETED
    )
    by_lines = (
        own.filter(status=status)
        .annotate(n=Count("lines"))
        .order_by("-n", "-created_at", "-pk")
        .values_list("number", flat=True)
    )
    most = by_lines.first()
    fewest = by_lines.order_by("n", "-created_at", "-pk").first()
    orders_url = reverse("portal:account_orders")
    statements_url = reverse("portal:account_statements")
    rebate_url = reverse("portal:assets_rebate") + "?currency=CNY&period=6m"
    credit_url = reverse("portal:assets_credit") + "?currency=CNY&period=6m"
    pages = (
        ("orders", "page 1", orders_url),
        ("orders", f"page {HEAVY_ORDERS_PAGE}", f"{orders_url}?page={HEAVY_ORDERS_PAGE}"),
        ("order detail", "most lines", reverse("portal:account_order_detail", args=[most])),
        ("order detail", "fewest lines", reverse("portal:account_order_detail", args=[fewest])),
        ("statements", "page 1", statements_url),
        ("statements", "page 2", f"{statements_url}?page=2"),
        ("rebate ledger", "page 1", rebate_url),
        ("rebate ledger", "page 2", f"{rebate_url}&page=2"),
        ("credit ledger", "page 1", credit_url),
        ("credit ledger", "page 2", f"{credit_url}&page=2"),
    )
    return {
        "company": company.name,
        "orders": orders,
        "pages": [
            {"page": page, "variant": variant, **time_get(client, url, runs=runs, warmup=2)}
            for page, variant, url in pages
        ],
    }


# --------------------------------------------------------------------------
# Subprocess scenarios (bench.worker)
# --------------------------------------------------------------------------


# The statements and lines of a month in two bare ``INSERT … SELECT``: the same rows in
# the same tables as generation (totals, snapshot columns, one line per order with its
# quantity and products), without the history rows, events, regeneration rules or temp
# tables. Numbers get a prefix no real statement has (the rows are rolled back).
BARE_STATEMENTS_SQL = """
INSERT INTO billing_statement (number, company_id, currency, period_start, period_end,
    status, order_count, product_count, sales_amount, share_rate, share_amount,
    adjustment_total, total_payable, company_name, tier_name, business_owner_name, address,
    voucher, voucher_name, voucher_content_type, voucher_sha256, voucher_reference,
    dispute_reason, generated_at, created_at)
SELECT '99991231' || lpad((row_number() OVER (ORDER BY g.company_id, g.currency))::text, 6, '0'),
       g.company_id, g.currency, %(period_start)s, %(period_end)s, 'draft', g.orders, g.qty,
       g.sales, r.rate, round(g.sales * r.rate, 2), 0, round(g.sales * r.rate, 2),
       left(c.name, 100), left(t.name, 50),
       left(coalesce(nullif(u.name, ''), u.email, ''), 100), left(c.address, 200),
       '', '', '', '', '', '', now(), now()
FROM (
    SELECT o.company_id, o.currency, count(*) AS orders, coalesce(sum(l.qty), 0) AS qty,
           coalesce(sum(o.payable_total) FILTER (
               WHERE o.payment_status = 'paid'
                 AND o.status IN ('processing', 'delivered', 'completed')), 0) AS sales
    FROM billing_order o
    LEFT JOIN LATERAL (SELECT sum(quantity) AS qty FROM billing_orderline
                       WHERE order_id = o.id) l ON true
    WHERE o.created_at >= %(a)s AND o.created_at < %(b)s
    GROUP BY o.company_id, o.currency
) g
JOIN partners_company c ON c.id = g.company_id
JOIN partners_tier t ON t.id = c.tier_id
LEFT JOIN partners_user u ON u.id = c.business_owner_id
CROSS JOIN LATERAL (SELECT coalesce(c.revenue_share_rate, t.revenue_share_rate) AS rate) r
"""
BARE_LINES_SQL = """
INSERT INTO billing_statementline (statement_id, order_id, order_number, order_total,
    products, order_status, payment_status, quantity, transacted_at, in_sales)
SELECT s.id, o.id, o.number, o.payable_total, left(coalesce(l.names, ''), 500), o.status,
       o.payment_status, coalesce(l.qty, 0), o.created_at,
       o.payment_status = 'paid' AND o.status IN ('processing', 'delivered', 'completed')
FROM billing_order o
JOIN billing_statement s ON s.company_id = o.company_id AND s.currency = o.currency
     AND s.period_start = %(period_start)s
LEFT JOIN LATERAL (
    SELECT sum(quantity) AS qty,
           string_agg(DISTINCT solution_name, '、') FILTER (WHERE solution_name <> '') AS names
    FROM billing_orderline WHERE order_id = o.id
) l ON true
WHERE o.created_at >= %(a)s AND o.created_at < %(b)s
"""


def statements_bare_insert(month) -> dict:
    """Write the month's statements and lines with the bare SQL, time it, roll it back.

    Run while the month has no statement (the statements' unique company, currency and
    month would refuse them otherwise)."""
    from django.db import connection, transaction

    params = {
        "a": month.starts_at,
        "b": month.ends_at,
        "period_start": month.start,
        "period_end": month.end,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(BARE_STATEMENTS_SQL, params)
        statements = cursor.rowcount
        cursor.execute(BARE_LINES_SQL, params)
        lines = cursor.rowcount
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "statements": statements, "lines": lines}


def statements_generation(*, period: str) -> dict:
    """Generate one month's statements from scratch; beside it, the bare SQL aggregate."""
    from django.db import connection
    from django.urls import reverse

    from billing.models import Statement, StatementLine
    from billing.statements.rollup import rollup_rebuild
    from billing.statements.services import generate_statements, period_parse

    month = period_parse(period)
    # A previous run's statements of this month go first (lines and events cascade).
    StatementLine.objects.filter(statement__period_start=month.start).delete()
    Statement.objects.filter(period_start=month.start).delete()
    rollup_rebuild()  # the deletes bypass the services that keep the header rollup exact

    # The bare baseline, twice (the first also warms the cache for generation); the faster.
    bare = [statements_bare_insert(month) for _ in range(2)]
    bare_seconds = min(b["seconds"] for b in bare)

    # A worker process that has run a task before has its URL configuration loaded; this
    # fresh one would load it at the first notice's link (~1 s: every admin's get_urls).
    reverse("portal:account_statement_detail", args=[1])

    rss_before = max_rss_mb()
    started = time.perf_counter()
    result = generate_statements(period=month)
    seconds = time.perf_counter() - started
    rss_peak = max_rss_mb()

    # The same totals in bare SQL, in two forms (per-order subquery and join + group);
    # the faster one is the baseline.
    aggregate_sqls = (
        """
        SELECT o.company_id, o.currency, count(*), sum(l.qty),
               coalesce(sum(o.payable_total) FILTER (
                   WHERE o.payment_status = 'paid'
                     AND o.status IN ('processing', 'delivered', 'completed')), 0)
        FROM billing_order o
        JOIN LATERAL (SELECT sum(quantity) AS qty FROM billing_orderline
                      WHERE order_id = o.id) l ON true
        WHERE o.created_at >= %(a)s AND o.created_at < %(b)s
        GROUP BY o.company_id, o.currency
        """,
        """
        SELECT o.company_id, o.currency, count(*), sum(l.qty),
               coalesce(sum(o.payable_total) FILTER (
                   WHERE o.payment_status = 'paid'
                     AND o.status IN ('processing', 'delivered', 'completed')), 0)
        FROM billing_order o
        LEFT JOIN (SELECT ol.order_id, sum(ol.quantity) AS qty
                   FROM billing_orderline ol JOIN billing_order m ON m.id = ol.order_id
                   WHERE m.created_at >= %(a)s AND m.created_at < %(b)s
                   GROUP BY ol.order_id) l ON l.order_id = o.id
        WHERE o.created_at >= %(a)s AND o.created_at < %(b)s
        GROUP BY o.company_id, o.currency
        """,
    )
    sql_timings = []
    for aggregate_sql in aggregate_sqls:
        for _ in range(3):
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(aggregate_sql, {"a": month.starts_at, "b": month.ends_at})
                groups = cursor.fetchall()
                sql_timings.append(time.perf_counter() - started)
    sql_seconds = min(sql_timings)

    # The statements' totals must equal the aggregate's.
    totals = {
        (company_id, currency): (orders, qty or 0, sales)
        for company_id, currency, orders, qty, sales in groups
    }
    mismatches = sum(
        1
        for s in Statement.objects.filter(period_start=month.start)
        if totals.get((s.company_id, s.currency))
        != (s.order_count, s.product_count, s.sales_amount)
    )
    return {
        "period": period,
        "statements": result["statements"],
        "lines": result["lines"],
        "failed": result["failed"],
        "seconds": round(seconds, 2),
        "sql_aggregate_seconds": round(sql_seconds, 3),
        "ratio_to_sql": round(seconds / max(sql_seconds, 1e-6), 1),
        "bare_insert_seconds": round(bare_seconds, 3),
        "bare_statements": bare[0]["statements"],
        "bare_lines": bare[0]["lines"],
        "ratio_to_bare": round(seconds / max(bare_seconds, 1e-6), 2),
        "peak_rss_mb": round(rss_peak, 1),
        "rss_before_mb": round(rss_before, 1),
        "total_mismatches": mismatches,
    }


def excel_export(*, lines: int) -> dict:
    """The Excel workbook of the statements holding at least ``lines`` lines."""
    from django.db.models import Count

    from billing.models import Statement
    from billing.statements.excel import write_statements_workbook

    ids, total = [], 0
    for pk, count in (
        Statement.objects.annotate(n=Count("lines"))
        .filter(n__gt=0)
        .order_by("-n", "pk")
        .values_list("pk", "n")
        .iterator(chunk_size=2000)
    ):
        ids.append(pk)
        total += count
        if total >= lines:
            break
    rss_before = max_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "statements.xlsx"
        started = time.perf_counter()
        result = write_statements_workbook(ids, target)
        seconds = time.perf_counter() - started
        size = target.stat().st_size
    return {
        "statements": result.statements,
        "lines": result.lines,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(max_rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
        "file_kib": size // 1024,
    }


def orders_export(*, orders: int) -> dict:
    """The console's Excel export of ``orders`` orders through its background path: an
    ``ExportJob`` as the orders list records it for a large export (as 超级管理员, every
    column, the list filtered by 下单时间 from the day that holds the ``orders``-th newest
    order; all orders when there are fewer), then the task function the worker runs
    (``run_export_job``). The job and its file are deleted afterwards."""
    from django.conf import settings
    from django.utils import timezone

    from backoffice.admin.exports import run_export_job
    from backoffice.core.models import ExportJob, ExportJobStatus
    from billing.models import Order
    from partners.staff_roles import StaffRole

    user = role_user(StaffRole.SUPERADMIN)
    newest = Order.objects.order_by("-created_at", "-pk").values_list("created_at", flat=True)
    query: dict[str, list[str]] = {}
    if Order.objects.count() > orders:
        day = timezone.localtime(newest[orders - 1]).date()
        query = {"created_at_from": [day.isoformat()]}
    job = ExportJob.objects.create(
        requested_by=user,
        model_label="billing.order",
        title="订单",
        filename="订单-bench.xlsx",
        language=settings.LANGUAGE_CODE,
        query=query,
    )
    rss_before = max_rss_mb()
    try:
        started = time.perf_counter()
        rows = run_export_job(job.pk)
        seconds = time.perf_counter() - started
        rss_peak = max_rss_mb()
        job.refresh_from_db()
        if job.status != ExportJobStatus.DONE:
            raise RuntimeError(f"the export job ended {job.status}: {job.error}")
        size = job.file.size
    finally:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return {
        "orders": rows,
        "query": query,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(rss_peak, 1),
        "rss_before_mb": round(rss_before, 1),
        "file_kib": size // 1024,
    }


def seed_template():
    """The seeded contract template (its migration's clauses), unsaved: no database needed."""
    import importlib

    from contracts.models import ContractTemplate

    seed = importlib.import_module("contracts.migrations.0002_seed_template")
    return ContractTemplate(
        name="bench",
        version=1,
        clauses=seed.CLAUSES,
        payment_terms_online=seed.PAYMENT_TERMS["online"],
        payment_terms_offline=seed.PAYMENT_TERMS["offline"],
        payment_terms_credit=seed.PAYMENT_TERMS["credit"],
    )


def contract_pdf(*, runs: int) -> dict:
    from backoffice.core.fonts import cjk_font
    from contracts.pdf import render_contract_pdf
    from contracts.services import contract_sample_data

    template = seed_template()
    started = time.perf_counter()
    cjk_font()
    font_ms = (time.perf_counter() - started) * 1000
    out = {"font_registration_ms": round(font_ms, 1), "runs": runs}
    for label, products, services in (("2 lines", 1, 1), ("200 lines", 150, 50)):
        data = contract_sample_data(product_lines=products, service_lines=services)
        render_contract_pdf(data, template)  # warm-up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            render_contract_pdf(data, template)
            timings.append((time.perf_counter() - started) * 1000)
        out[label] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
        }
    return out


def last_full_month_key(now: datetime | None = None) -> str:
    from django.utils import timezone

    from .generate import last_full_month

    return f"{last_full_month(now or timezone.now()):%Y-%m}"
