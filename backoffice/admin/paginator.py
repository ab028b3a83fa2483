"""Changelist paginator that never counts hundreds of thousands of rows one by one.

A changelist needs a row count for its page links and its "N results" line. On a big
table an exact ``COUNT(*)`` costs more than the page itself, so on PostgreSQL:

- an unfiltered list of a big table uses ``pg_class.reltuples`` (kept fresh by
  autovacuum);
- a filtered or searched list is counted exactly up to ``EXACT_UP_TO`` rows, with a
  count that stops reading there (``SELECT COUNT(*) FROM (... LIMIT n)``); past that,
  the planner's row estimate for the same query (``EXPLAIN``) is used when it is above
  ``ESTIMATE_ABOVE`` rows, and the rows are counted exactly when it is not (a count
  of that size is cheap, and the number then matches "select all").

An estimate is flagged (``count_is_estimate``) and the pagination footer shows it as
approximate ("约 / about"). SQLite and anything that is not a queryset count exactly.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Show an estimate only above this many rows (table rows, or planner rows when filtered).
ESTIMATE_ABOVE = 100_000
# Filtered or searched lists: count exactly up to this many rows without asking the planner.
EXACT_UP_TO = 10_000


def estimated_row_count(queryset: QuerySet) -> int | None:
    """Rows in the queryset's table according to ``pg_class`` (PostgreSQL only)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def planner_row_estimate(queryset: QuerySet) -> int | None:
    """The planner's row estimate for the (unordered) queryset (PostgreSQL only)."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().select_related(None).explain(format="json"))
    rows = plan[0]["Plan"].get("Plan Rows")
    return int(rows) if rows is not None else None


class EstimatedCountPaginator(Paginator):
    # unfold's pagination footer includes the paginator's own template when it has one.
    template_name = "admin/backoffice/pagination.html"

    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if not queryset.query.where and not queryset.query.distinct:
            estimate = estimated_row_count(queryset)
            if estimate is not None and estimate > ESTIMATE_ABOVE:
                self.count_is_estimate = True
                return estimate
            return super().count
        # Count at most EXACT_UP_TO + 1 rows: unordered, so nothing is sorted first.
        bounded = queryset.order_by()[: EXACT_UP_TO + 1].count()
        if bounded <= EXACT_UP_TO:
            return bounded
        estimate = planner_row_estimate(queryset)
        if estimate is None or estimate <= ESTIMATE_ABOVE:  # not PostgreSQL, or not big
            return super().count
        self.count_is_estimate = True
        # Never claim fewer rows than were just seen.
        return max(estimate, bounded)
