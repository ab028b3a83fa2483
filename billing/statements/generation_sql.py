"""Statement generation on PostgreSQL, entirely inside the database.

``services.generate_statements`` calls ``generate_month`` on PostgreSQL after taking
the month's generator lock and locking the month's statements; on other databases it
runs its portable Python path, which is the reference for what this module computes
(the test suite runs both: SQLite and PostgreSQL). Here no order, line or statement
crosses into Python: temporary tables hold the month's lines and the per-statement
totals, then a handful of ``INSERT … SELECT`` / ``UPDATE … FROM`` statements write the
statements, their history rows, their lines and their events. So a month of 20,000
statements and 42,000 lines costs a few statements of SQL, not 150,000 model objects.

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

HISTORY_ONLY = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


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
    }
    company_filter = "AND o.company_id = %(company)s" if company_id is not None else ""
    with connection.cursor() as cursor:

        def run(sql: str) -> None:
            cursor.execute(sql, params)

        for table in ("stmt_lines", "stmt_groups", "stmt_targets"):
            run(f"DROP TABLE IF EXISTS {table}")
        run(
            f"""
            CREATE TEMP TABLE stmt_lines ON COMMIT DROP AS
            WITH month_orders AS (
                SELECT o.* FROM billing_order o
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
            )
            SELECT o.company_id, o.currency, o.id AS order_id, o.number, o.payable_total,
                   o.status, o.payment_status, o.created_at,
                   (o.payment_status = %(paid)s AND o.status = ANY(%(sales_statuses)s))
                       AS in_sales,
                   CASE WHEN length(p.names) > %(max)s
                        THEN left(p.names, %(max)s - 1) || '…'
                        ELSE coalesce(p.names, '') END AS products,
                   coalesce(p.qty, 0) AS qty
            FROM month_orders o LEFT JOIN products p ON p.order_id = o.id
            """  # noqa: S608 - the only interpolation is a fixed filter
        )
        run(
            """
            CREATE TEMP TABLE stmt_groups ON COMMIT DROP AS
            SELECT g.*, round(g.sales * g.rate, 2) AS share
            FROM (
                SELECT l.company_id, l.currency, count(*) AS orders,
                       sum(l.qty) AS products,
                       coalesce(sum(l.payable_total) FILTER (WHERE l.in_sales), 0) AS sales,
                       s.id AS statement_id, s.status, s.adjustment_total AS adjustment,
                       coalesce(c.revenue_share_rate, t.revenue_share_rate) AS rate,
                       left(c.name, 100) AS company_name, left(t.name, 50) AS tier_name,
                       left(coalesce(nullif(u.name, ''), u.email, ''), 100) AS owner_name,
                       left(c.address, 200) AS address
                FROM stmt_lines l
                JOIN partners_company c ON c.id = l.company_id
                JOIN partners_tier t ON t.id = c.tier_id
                LEFT JOIN partners_user u ON u.id = c.business_owner_id
                LEFT JOIN billing_statement s ON s.company_id = l.company_id
                     AND s.currency = l.currency AND s.period_start = %(period_start)s
                GROUP BY l.company_id, l.currency, s.id, c.id, t.id, u.id
            ) g
            """
        )
        run(
            """
            SELECT count(*), coalesce(sum(s.order_count), 0)
            FROM stmt_groups g JOIN billing_statement s ON s.id = g.statement_id
            WHERE g.status <> %(draft)s
            """
        )
        kept, kept_lines = cursor.fetchone()
        run(
            """
            SELECT statement_id, share FROM stmt_groups
            WHERE status = %(draft)s AND share + adjustment < 0 ORDER BY statement_id
            """
        )
        failed = [(row[0], row[1]) for row in cursor.fetchall()]
        run(
            """
            CREATE TEMP TABLE stmt_targets ON COMMIT DROP AS
            SELECT g.*, g.statement_id IS NULL AS is_new,
                   row_number() OVER (PARTITION BY g.statement_id IS NULL
                                      ORDER BY g.company_id, g.currency) AS seq
            FROM stmt_groups g
            WHERE g.statement_id IS NULL OR (g.status = %(draft)s AND g.share + g.adjustment >= 0)
            """
        )
        run(
            "SELECT count(*) FILTER (WHERE is_new), count(*), coalesce(sum(orders), 0) FROM stmt_targets"
        )
        created, touched, lines = cursor.fetchone()

        if created:
            params["day"] = day
            params["first"] = sequence_next(key=f"statement:{params['day']}", count=created)
            run(
                """
                INSERT INTO billing_statement (number, company_id, currency, period_start,
                    period_end, status, order_count, product_count, sales_amount, share_rate,
                    share_amount, adjustment_total, total_payable, company_name, tier_name,
                    business_owner_name, address, voucher, voucher_name, voucher_content_type,
                    voucher_sha256, voucher_reference, dispute_reason, generated_at, created_at)
                SELECT %(day)s || CASE WHEN length(n::text) < %(digits)s
                                       THEN lpad(n::text, %(digits)s, '0') ELSE n::text END,
                       t.company_id, t.currency, %(period_start)s, %(period_end)s, %(draft)s,
                       t.orders, t.products, t.sales, t.rate, t.share, 0, t.share,
                       t.company_name, t.tier_name, t.owner_name, t.address,
                       '', '', '', '', '', '', %(now)s, %(now)s
                FROM (SELECT *, %(first)s + seq - 1 AS n FROM stmt_targets WHERE is_new) t
                ORDER BY t.seq
                """
            )
            run(
                """
                UPDATE stmt_targets t SET statement_id = s.id
                FROM billing_statement s
                WHERE t.is_new AND s.company_id = t.company_id AND s.currency = t.currency
                  AND s.period_start = %(period_start)s
                """
            )
        if touched > created:
            run(
                """
                UPDATE billing_statement s
                SET order_count = t.orders, product_count = t.products, sales_amount = t.sales,
                    share_rate = t.rate, share_amount = t.share,
                    total_payable = t.share + s.adjustment_total, company_name = t.company_name,
                    tier_name = t.tier_name, business_owner_name = t.owner_name,
                    address = t.address, generated_at = %(now)s
                FROM stmt_targets t
                WHERE NOT t.is_new AND s.id = t.statement_id
                """
            )
            run(
                """
                DELETE FROM billing_statementline l USING stmt_targets t
                WHERE NOT t.is_new AND l.statement_id = t.statement_id
                """
            )
        if touched:
            columns = _history_columns()
            history_table = Statement.history.model._meta.db_table
            run(
                f"""
                INSERT INTO {history_table} ({", ".join(columns)}, history_date,
                    history_change_reason, history_type, history_user_id)
                SELECT {", ".join(f"s.{column}" for column in columns)}, %(now)s, NULL,
                       CASE WHEN t.is_new THEN '+' ELSE '~' END, %(actor)s
                FROM billing_statement s JOIN stmt_targets t ON t.statement_id = s.id
                ORDER BY s.id
                """  # noqa: S608 - column names come from the model
            )
            run(
                """
                INSERT INTO billing_statementline (statement_id, order_id, order_number,
                    order_total, products, order_status, payment_status, quantity,
                    transacted_at, in_sales)
                SELECT t.statement_id, l.order_id, l.number, l.payable_total, l.products,
                       l.status, l.payment_status, l.qty, l.created_at, l.in_sales
                FROM stmt_lines l
                JOIN stmt_targets t ON t.company_id = l.company_id AND t.currency = l.currency
                ORDER BY t.statement_id, l.created_at, l.order_id
                """
            )
            run(
                """
                INSERT INTO billing_statementevent (statement_id, from_status, to_status,
                    actor_id, note, created_at)
                SELECT statement_id, CASE WHEN is_new THEN '' ELSE %(draft)s END, %(draft)s,
                       %(actor)s, CASE WHEN is_new THEN %(generated)s ELSE %(regenerated)s END,
                       %(now)s
                FROM stmt_targets ORDER BY statement_id
                """
            )
        for table in ("stmt_lines", "stmt_groups", "stmt_targets"):
            run(f"DROP TABLE IF EXISTS {table}")

    result["kept"] += int(kept)
    result["created"] += int(created)
    result["regenerated"] += int(touched - created)
    result["statements"] += int(kept + touched)
    result["lines"] += int(kept_lines + lines)
    return failed
