"""The statements' per-month rollup (``StatementRollup``): writes, in the caller's transaction.

One row per (month, currency, status) holds the count, orders, products and sales of the
statements with that key, so the console list's header totals for a month (or every
month) read a few rows instead of summing every statement. The services that write
statements keep it exact by adding *deltas*, never by recounting:

- generation adds each created statement and, for a regenerated draft, its new totals
  minus its old ones (the PostgreSQL path does it inside its one writing statement);
- every status move (``statement_set_status``) takes the statement out of its old
  status and into its new one; a dispute's regeneration (``_rebuild``) adds the change of
  its totals. Adjustments change no rollup figure (they touch the statement amount, which
  the header does not show).

Each write is one ``INSERT … ON CONFLICT DO UPDATE`` of the summed deltas, keys in sorted
order, so two services that touch the same keys lock the rows in the same order. The
rows are counters, the last level of the lock order (``billing.locks``): taken after the
statement's own row lock and held to commit. ``rollup_mismatches`` (``check_ledgers``)
proves the rollup equals the statements; ``rollup_rebuild`` recomputes it (the data
migration and the benchmark load use the same SQL).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection

from billing.models import Statement, StatementRollup

Key = tuple[date, str, str]
FIGURES = ("statement_count", "order_count", "product_count", "sales_amount")


def rollup_values(statement: Statement) -> tuple[Key, tuple[int, int, int, Decimal]]:
    """The rollup key of a statement and what it adds there."""
    return (
        (statement.period_start, statement.currency, statement.status),
        (1, statement.order_count, statement.product_count, statement.sales_amount),
    )


class RollupDelta:
    """Deltas summed per key; ``apply`` writes them in one statement."""

    def __init__(self) -> None:
        self.rows: dict[Key, list] = {}

    def add(self, key: Key, values: Iterable, sign: int = 1) -> None:
        row = self.rows.setdefault(key, [0, 0, 0, Decimal("0.00")])
        for index, value in enumerate(values):
            row[index] += sign * value

    def add_statement(self, statement: Statement, sign: int = 1) -> None:
        key, values = rollup_values(statement)
        self.add(key, values, sign)

    def apply(self) -> None:
        rows = [(key, row) for key, row in sorted(self.rows.items()) if any(row)]
        if rows:
            rollup_add(rows)


def _table() -> str:
    return connection.ops.quote_name(StatementRollup._meta.db_table)


UPSERT_SET = ", ".join(f"{name} = {{table}}.{name} + excluded.{name}" for name in FIGURES)


def upsert_sql(select_or_values: str) -> str:
    """``INSERT INTO rollup (key, figures) <select_or_values> ON CONFLICT … add``: the one
    way rows are added to (the generation SQL embeds it in its writing statement)."""
    table = _table()
    return (
        f"INSERT INTO {table} (period_start, currency, status, {', '.join(FIGURES)}) "
        f"{select_or_values} "
        "ON CONFLICT (period_start, currency, status) DO UPDATE SET "
        f"{UPSERT_SET.format(table=table)}"
    )


def rollup_add(rows: list[tuple[Key, list]]) -> None:
    """Add summed deltas (distinct keys, sorted) to the rollup in one statement."""
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list = []
    for (period_start, currency, status), (count, orders, products, sales) in rows:
        params += [period_start, currency, status, count, orders, products, sales]
    with connection.cursor() as cursor:
        cursor.execute(upsert_sql(f"VALUES {values}"), params)


def rollup_move(statement: Statement, before: tuple[Key, tuple]) -> None:
    """After a write to one statement: take out what it added before, add what it adds now."""
    delta = RollupDelta()
    delta.add(*before, sign=-1)
    delta.add_statement(statement)
    delta.apply()


REBUILD_SELECT = """
    SELECT period_start, currency, status, count(*), sum(order_count), sum(product_count),
           sum(sales_amount)
    FROM billing_statement GROUP BY period_start, currency, status
"""


def rollup_rebuild() -> None:
    """Recompute the whole rollup from the statements (data migration, repairs)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()}")  # noqa: S608 - model metadata only
        cursor.execute(
            f"INSERT INTO {_table()} (period_start, currency, status, {', '.join(FIGURES)}) "
            + REBUILD_SELECT
        )
