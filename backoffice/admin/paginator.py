"""Changelist paginator that avoids a full COUNT(*) on large unfiltered tables.

On PostgreSQL an unfiltered changelist of a big table uses the planner's row
estimate (``pg_class.reltuples``, kept fresh by autovacuum) instead of counting
every row; filtered or searched lists, small tables and SQLite count exactly.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

ESTIMATE_ABOVE = 100_000


def estimated_row_count(queryset: QuerySet) -> int | None:
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


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if (
            isinstance(queryset, QuerySet)
            and not queryset.query.where
            and not queryset.query.distinct
        ):
            estimate = estimated_row_count(queryset)
            if estimate is not None and estimate > ESTIMATE_ABOVE:
                return estimate
        return super().count
