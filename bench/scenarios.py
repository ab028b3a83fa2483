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


def staff_client():
    """A client logged in as the bench admin, past the console's second login step (an
    authenticator is made for the bench user and the session marked verified, as a
    real login would after the code)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = bench_admin()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


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
# Subprocess scenarios (bench.worker)
# --------------------------------------------------------------------------


def statements_generation(*, period: str) -> dict:
    """Generate one month's statements from scratch; beside it, the bare SQL aggregate."""
    from django.db import connection

    from billing.models import Statement, StatementLine
    from billing.statements.services import generate_statements, period_parse

    month = period_parse(period)
    # A previous run's statements of this month go first (lines and events cascade).
    StatementLine.objects.filter(statement__period_start=month.start).delete()
    Statement.objects.filter(period_start=month.start).delete()

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
