"""Kernel reads: the task queue's figures, one-query counts of many querysets, and the
search box of a list."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success


def task_queue_stats() -> dict[str, int]:
    """The task queue's counts, in one query (the dashboard's cards)."""
    since = timezone.now() - timedelta(days=7)
    (queued, _), (failed, _), (succeeded, _), (schedules, _) = counts_with_sole_ids(
        [
            OrmQ.objects.all(),
            Failure.objects.filter(stopped__gte=since),
            Success.objects.filter(stopped__gte=since),
            Schedule.objects.all(),
        ]
    )
    return {
        "queued": queued,
        "failed_7d": failed,
        "succeeded_7d": succeeded,
        "schedules": schedules,
    }


def counts_with_sole_ids(querysets) -> list[tuple[int, int | None]]:
    """Each queryset's row count and, when it holds exactly one row, that row's pk.

    One query for all of them (the console's work queues and sidebar badges), however
    many queues there are: ``SELECT c0.n, c0.sole, c1.n, ... FROM (SELECT COUNT(*),
    MIN(pk) FROM (<queryset 0>)) c0 CROSS JOIN ...``.
    """
    from django.db import connections
    from django.db.models import F

    querysets = list(querysets)
    if not querysets:
        return []
    parts, columns, params = [], [], []
    for index, queryset in enumerate(querysets):
        inner = queryset.order_by().annotate(queue_pk=F("pk")).values_list("queue_pk")
        sql, inner_params = inner.query.sql_with_params()
        parts.append(
            f"(SELECT COUNT(*) AS n, MIN(queue_pk) AS sole FROM ({sql}) AS q{index}) AS c{index}"  # noqa: S608 - compiled ORM SQL, values stay parameters
        )
        columns.append(f"c{index}.n, c{index}.sole")
        params.extend(inner_params)
    with connections[querysets[0].db].cursor() as cursor:
        sql = f"SELECT {', '.join(columns)} FROM {' CROSS JOIN '.join(parts)}"  # noqa: S608
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return [
        (int(row[2 * i]), row[2 * i + 1] if int(row[2 * i]) == 1 else None)
        for i in range(len(querysets))
    ]


def search_any(queryset: QuerySet, search: str, *fields: str) -> QuerySet:
    """``queryset`` narrowed to the rows where any of ``fields`` contains ``search``
    (case-insensitive); unchanged when ``search`` is empty."""
    if not search:
        return queryset
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": search})
    return queryset.filter(match)
