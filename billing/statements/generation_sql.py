"""Statement generation on PostgreSQL, entirely inside the database.

``services.generate_statements`` calls ``generate_month`` on PostgreSQL after taking
the month's generator lock and locking the month's statements; on other databases it
runs its portable Python path, which is the reference for what this module computes
(the test suite runs both: SQLite and PostgreSQL). No order, line or statement crosses
into Python, and no temporary table is written:

1. a *plan* reads the month's orders (not their lines) against the statements: which
   (company, currency) pairs need a new statement, which drafts are regenerated, which
   are kept (disputed, confirmed or later) and which drafts fail (adjustments exceed the
   new share); the new statements' block of numbers is then reserved;
2. the regenerated drafts' old lines are deleted;
3. **one writing statement** builds the month's lines of the targeted pairs once (orders
   and their lines, read once), derives each statement's totals from exactly those
   lines, and from the same pass inserts the new statements, updates the drafts, and
   writes their history rows, their events, the per-month rollup's deltas
   (``billing.statements.rollup``) and the lines. So a month of 20,000 statements and
   42,000 lines costs four statements of SQL, not 150,000 model objects.

What it must match in the Python path:
- lines: one per order created in the month; 关联商品 = the order's distinct non-empty
  solution names in the order of their first line, joined by ``PRODUCTS_SEPARATOR``,
  cut to ``PRODUCTS_MAX_LENGTH`` with "…"; quantity = the sum of the line quantities;
- totals tallied from exactly those lines; share = round(sales × rate, 2) half up;
- snapshot: company name[:100], tier name[:50], business owner (name or e-mail)[:100],
  address[:200], the company's rate or else its tier's;
- drafts regenerate in place (their number and adjustments kept); disputed, confirmed
  and later ones are kept; a draft whose adjustments would exceed its new share fails
  and is left as it was.

The plan and the writing statement are two statements of one transaction; an order
that commits between them is either in both or, for a pair the plan did not target,
left for the next run (as an order placed after the run). A draft the writing statement
finds failing although the plan did not (an order cancelled in between) aborts the run
(``GenerationRaced``), so nothing half-written is kept; the run can simply be repeated.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from billing.models import Statement, StatementStatus

from .constants import (
    NUMBER_DIGITS,
    PRODUCTS_MAX_LENGTH,
    PRODUCTS_SEPARATOR,
    SALES_ORDER_STATUSES,
    SALES_PAYMENT_STATUS,
)
from .rollup import upsert_sql

HISTORY_ONLY = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


class GenerationRaced(RuntimeError):
    """A draft's orders changed between the plan and the write: the run is rolled back."""


def _history_columns() -> list[str]:
    """Columns the history table copies from the statement (read from the models, so a
    new field needs no change here)."""
    history = Statement.history.model
    own = {field.column for field in Statement._meta.concrete_fields}
    return [
        field.column
        for field in history._meta.concrete_fields
        if field.column not in HISTORY_ONLY and field.column in own
    ]


def generate_month(
    *,
    period,
    company_id: int | None,
    actor_id: int | None,
    now: datetime,
    day: str,
    result: dict,
) -> list[tuple[int, Decimal]]:
    """Write the month's statements; update ``result`` in place. ``day`` is the number
    prefix (``yyyyMMdd`` of ``now`` in Shanghai). Returns (statement id, new share) of
    the drafts that failed (adjustments exceed the new share), for the caller's messages.

    The caller holds the month's generator lock and the statements' row locks, inside
    a transaction.
    """
    from backoffice.core.numbering import sequence_next

    params = {
        "start": period.starts_at,
        "end": period.ends_at,
        "period_start": period.start,
        "period_end": period.end,
        "company": company_id,
        "now": now,
        "actor": actor_id,
        "paid": SALES_PAYMENT_STATUS,
        "sales_statuses": list(SALES_ORDER_STATUSES),
        "sep": PRODUCTS_SEPARATOR,
        "max": PRODUCTS_MAX_LENGTH,
        "draft": StatementStatus.DRAFT,
        "generated": _("Generated"),
        "regenerated": _("Regenerated"),
        "digits": NUMBER_DIGITS,
        "day": day,
    }
    company_filter = "AND o.company_id = %(company)s" if company_id is not None else ""
    in_sales = "(o.payment_status = %(paid)s AND o.status = ANY(%(sales_statuses)s))"
    with connection.cursor() as cursor:
        # 1. The plan: orders only (no lines), against the month's statements.
        cursor.execute(
            f"""
            WITH pairs AS (
                SELECT o.company_id, o.currency, s.id, s.status, s.order_count,
                       s.adjustment_total,
                       round(coalesce(sum(o.payable_total) FILTER (WHERE {in_sales}), 0)
                             * coalesce(c.revenue_share_rate, t.revenue_share_rate), 2) AS share
                FROM billing_order o
                JOIN partners_company c ON c.id = o.company_id
                JOIN partners_tier t ON t.id = c.tier_id
                LEFT JOIN billing_statement s ON s.company_id = o.company_id
                     AND s.currency = o.currency AND s.period_start = %(period_start)s
                WHERE o.created_at >= %(start)s AND o.created_at < %(end)s {company_filter}
                GROUP BY o.company_id, o.currency, s.id, c.id, t.id
            )
            SELECT
                coalesce(array_agg(company_id ORDER BY company_id, currency)
                         FILTER (WHERE id IS NULL), '{{}}'),
                coalesce(array_agg(currency ORDER BY company_id, currency)
                         FILTER (WHERE id IS NULL), '{{}}'),
                coalesce(array_agg(id ORDER BY id)
                         FILTER (WHERE status = %(draft)s AND share + adjustment_total >= 0),
                         '{{}}'),
                coalesce(array_agg(id ORDER BY id)
                         FILTER (WHERE status = %(draft)s AND share + adjustment_total < 0),
                         '{{}}'),
                coalesce(array_agg(share ORDER BY id)
                         FILTER (WHERE status = %(draft)s AND share + adjustment_total < 0),
                         '{{}}'),
                count(*) FILTER (WHERE id IS NOT NULL AND status <> %(draft)s),
                coalesce(sum(order_count)
                         FILTER (WHERE id IS NOT NULL AND status <> %(draft)s), 0)
            FROM pairs
            """,  # noqa: S608 - the only interpolations are fixed SQL fragments
            params,
        )
        new_companies, new_currencies, regenerate, failed_ids, failed_shares, kept, kept_lines = (
            cursor.fetchone()
        )
        failed = list(zip(failed_ids, failed_shares, strict=True))
        result["kept"] += int(kept)
        result["statements"] += int(kept)
        result["lines"] += int(kept_lines)
        if not new_companies and not regenerate:
            return failed

        params.update(
            new_companies=list(new_companies),
            new_currencies=list(new_currencies),
            regenerate=list(regenerate),
            first=(
                sequence_next(key=f"statement:{day}", count=len(new_companies))
                if new_companies
                else 0
            ),
        )
        # 2. The regenerated drafts' old lines (not in the writing statement: its parts
        # run in no set order, and the new lines reuse the old lines' unique keys).
        if regenerate:
            cursor.execute(
                "DELETE FROM billing_statementline WHERE statement_id = ANY(%(regenerate)s)",
                params,
            )
        # 3. One pass: the lines, their totals, the statements, history, events, rollup.
        columns = _history_columns()
        history_table = Statement.history.model._meta.db_table
        # The rollup's deltas: the written rows' new figures, less the regenerated drafts'
        # old ones (plan rows the UPDATE takes, by its own condition). Two aggregates, no
        # join: the CTEs carry no statistics, and a join of two of them plans as a loop.
        rollup = upsert_sql(
            """
            SELECT period_start, currency, status, sum(n), sum(orders), sum(products),
                   sum(sales)
            FROM (
                SELECT period_start, currency, status, CASE WHEN is_new THEN 1 ELSE 0 END AS n,
                       order_count AS orders, product_count AS products, sales_amount AS sales
                FROM written
                UNION ALL
                SELECT %(period_start)s, currency, %(draft)s, 0, -old_orders, -old_products,
                       -old_sales
                FROM plan WHERE NOT is_new AND share + adjustment >= 0
            ) d
            GROUP BY period_start, currency, status
            ORDER BY period_start, currency, status
            """
        )
        cursor.execute(
            f"""
            WITH targets AS (
                SELECT n.company_id, n.currency, NULL::bigint AS statement_id, true AS is_new,
                       n.seq
                FROM unnest(%(new_companies)s::bigint[], %(new_currencies)s::varchar[])
                     WITH ORDINALITY AS n(company_id, currency, seq)
                UNION ALL
                SELECT s.company_id, s.currency, s.id, false, NULL
                FROM billing_statement s WHERE s.id = ANY(%(regenerate)s::bigint[])
            ), month_orders AS (
                SELECT o.*, t.statement_id FROM billing_order o
                JOIN targets t ON t.company_id = o.company_id AND t.currency = o.currency
                WHERE o.created_at >= %(start)s AND o.created_at < %(end)s {company_filter}
            ), names AS (
                SELECT l.order_id, l.solution_name, min(l.id) AS first_id,
                       sum(l.quantity) AS qty
                FROM billing_orderline l JOIN month_orders o ON o.id = l.order_id
                GROUP BY l.order_id, l.solution_name
            ), products AS (
                SELECT order_id, sum(qty) AS qty,
                       string_agg(solution_name, %(sep)s ORDER BY first_id)
                           FILTER (WHERE solution_name <> '') AS names
                FROM names GROUP BY order_id
            ), lines AS MATERIALIZED (
                SELECT o.company_id, o.currency, o.id AS order_id, o.number, o.payable_total,
                       o.status, o.payment_status, o.created_at, {in_sales} AS in_sales,
                       CASE WHEN length(p.names) > %(max)s
                            THEN left(p.names, %(max)s - 1) || '…'
                            ELSE coalesce(p.names, '') END AS products,
                       coalesce(p.qty, 0) AS qty
                FROM month_orders o LEFT JOIN products p ON p.order_id = o.id
            ), totals AS (
                SELECT company_id, currency, count(*) AS orders, sum(qty) AS products,
                       coalesce(sum(payable_total) FILTER (WHERE in_sales), 0) AS sales
                FROM lines GROUP BY company_id, currency
            ), plan AS (
                SELECT t.company_id, t.currency, t.statement_id, t.is_new, t.seq,
                       g.orders, g.products, g.sales, r.rate, round(g.sales * r.rate, 2) AS share,
                       left(c.name, 100) AS company_name, left(tr.name, 50) AS tier_name,
                       left(coalesce(nullif(u.name, ''), u.email, ''), 100) AS owner_name,
                       left(c.address, 200) AS address, s.order_count AS old_orders,
                       s.product_count AS old_products, s.sales_amount AS old_sales,
                       coalesce(s.adjustment_total, 0) AS adjustment
                FROM targets t
                JOIN totals g ON g.company_id = t.company_id AND g.currency = t.currency
                JOIN partners_company c ON c.id = t.company_id
                JOIN partners_tier tr ON tr.id = c.tier_id
                LEFT JOIN partners_user u ON u.id = c.business_owner_id
                LEFT JOIN billing_statement s ON s.id = t.statement_id
                CROSS JOIN LATERAL (
                    SELECT coalesce(c.revenue_share_rate, tr.revenue_share_rate) AS rate
                ) r
            ), created AS (
                INSERT INTO billing_statement (number, company_id, currency, period_start,
                    period_end, status, order_count, product_count, sales_amount, share_rate,
                    share_amount, adjustment_total, total_payable, company_name, tier_name,
                    business_owner_name, address, voucher, voucher_name, voucher_content_type,
                    voucher_sha256, voucher_reference, dispute_reason, generated_at, created_at)
                SELECT %(day)s || CASE WHEN length(n::text) < %(digits)s
                                       THEN lpad(n::text, %(digits)s, '0') ELSE n::text END,
                       p.company_id, p.currency, %(period_start)s, %(period_end)s, %(draft)s,
                       p.orders, p.products, p.sales, p.rate, p.share, 0, p.share,
                       p.company_name, p.tier_name, p.owner_name, p.address,
                       '', '', '', '', '', '', %(now)s, %(now)s
                FROM (SELECT *, %(first)s + seq - 1 AS n FROM plan WHERE is_new) p
                ORDER BY p.seq
                RETURNING *
            ), rebuilt AS (
                UPDATE billing_statement s
                SET order_count = p.orders, product_count = p.products, sales_amount = p.sales,
                    share_rate = p.rate, share_amount = p.share,
                    total_payable = p.share + s.adjustment_total,
                    company_name = p.company_name, tier_name = p.tier_name,
                    business_owner_name = p.owner_name, address = p.address,
                    generated_at = %(now)s
                FROM plan p
                WHERE NOT p.is_new AND s.id = p.statement_id AND p.share + p.adjustment >= 0
                RETURNING s.*
            ), written AS (
                SELECT *, true AS is_new FROM created
                UNION ALL
                SELECT *, false AS is_new FROM rebuilt
            ), history AS (
                INSERT INTO {history_table} ({", ".join(columns)}, history_date,
                    history_change_reason, history_type, history_user_id)
                SELECT {", ".join(columns)}, %(now)s, NULL,
                       CASE WHEN is_new THEN '+' ELSE '~' END, %(actor)s
                FROM written ORDER BY id
                RETURNING 1
            ), events AS (
                INSERT INTO billing_statementevent (statement_id, from_status, to_status,
                    actor_id, note, created_at)
                SELECT id, CASE WHEN is_new THEN '' ELSE %(draft)s END, %(draft)s, %(actor)s,
                       CASE WHEN is_new THEN %(generated)s ELSE %(regenerated)s END, %(now)s
                FROM written ORDER BY id
                RETURNING 1
            ), rollup AS (
                {rollup}
                RETURNING 1
            ), inserted AS (
                INSERT INTO billing_statementline (statement_id, order_id, order_number,
                    order_total, products, order_status, payment_status, quantity,
                    transacted_at, in_sales)
                SELECT w.id, l.order_id, l.number, l.payable_total, l.products,
                       l.status, l.payment_status, l.qty, l.created_at, l.in_sales
                FROM lines l
                JOIN written w ON w.company_id = l.company_id AND w.currency = l.currency
                ORDER BY w.id, l.created_at, l.order_id
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM rebuilt),
                   (SELECT count(*) FROM inserted)
            """,  # noqa: S608 - column and table names come from the models
            params,
        )
        created, rebuilt, lines = cursor.fetchone()

    if rebuilt != len(regenerate):
        raise GenerationRaced(
            f"{len(regenerate) - rebuilt} draft(s) of {period} changed during generation"
        )
    result["created"] += int(created)
    result["regenerated"] += int(rebuilt)
    result["statements"] += int(created + rebuilt)
    result["lines"] += int(lines)
    return failed
