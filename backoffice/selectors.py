"""Read queries about the running system (task queue), for the dashboard."""

from datetime import timedelta

from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success


def task_queue_stats() -> dict[str, int]:
    since = timezone.now() - timedelta(days=7)
    return {
        "queued": OrmQ.objects.count(),
        "failed_7d": Failure.objects.filter(stopped__gte=since).count(),
        "succeeded_7d": Success.objects.filter(stopped__gte=since).count(),
        "schedules": Schedule.objects.count(),
    }


# --------------------------------------------------------------------------
# Dashboard figures (staff-console issue). One query each, whatever the data size.
# --------------------------------------------------------------------------

NEAR_LIMIT_RATIO = "0.70"  # credit accounts at or above 70 % used


def month_start(now=None):
    """The first instant of the current Asia/Shanghai (TIME_ZONE) month."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _paid_orders_since(start):
    from billing.models import Order, OrderStatus, PaymentStatus

    return Order.objects.filter(created_at__gte=start, payment_status=PaymentStatus.PAID).exclude(
        status=OrderStatus.CANCELLED
    )


def monthly_sales_by_currency(now=None) -> list[dict]:
    """[{currency, total, orders}] of paid, non-cancelled orders created this month."""
    from django.db.models import Count, Sum

    return list(
        _paid_orders_since(month_start(now))
        .values("currency")
        .annotate(total=Sum("payable_total"), orders=Count("pk"))
        .order_by("currency")
    )


def top_solutions_this_month(limit: int = 5, now=None) -> list[dict]:
    """[{solution_id, name, lines, quantity}] by paid order lines this month, most first."""
    from django.db.models import Count, Sum

    from billing.models import OrderLine

    return list(
        OrderLine.objects.filter(order__in=_paid_orders_since(month_start(now)))
        .values("solution_id", "solution__name")
        .annotate(lines=Count("pk"), quantity=Sum("quantity"))
        .order_by("-lines", "-quantity", "solution_id")[:limit]
    )


def new_partners(days: int = 30, limit: int = 5, now=None) -> dict:
    """Companies created in the last ``days`` days: the count and the latest ``limit``."""
    from django.db.models import Count, F, Window

    from partners.models import Company

    since = (now or timezone.now()) - timedelta(days=days)
    rows = list(
        Company.objects.filter(created_at__gte=since)
        .annotate(total=Window(Count("pk")))
        .order_by("-created_at", "-pk")
        .values("pk", "name", "created_at", total=F("total"))[:limit]
    )
    return {"count": rows[0]["total"] if rows else 0, "latest": rows}


def credit_near_limit(limit: int = 5, ratio: str = NEAR_LIMIT_RATIO) -> list[dict]:
    """Credit accounts whose used/limit ≥ ``ratio``, highest usage first."""
    from decimal import Decimal

    from django.db.models import DecimalField, ExpressionWrapper, F

    from billing.models import CreditAccount

    usage = ExpressionWrapper(
        F("used") * Decimal("1.0000") / F("credit_limit"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    return list(
        CreditAccount.objects.filter(
            credit_limit__gt=0, used__gte=F("credit_limit") * Decimal(ratio)
        )
        .annotate(usage=usage)
        .order_by("-usage", "pk")
        .values("pk", "company_id", "company__name", "currency", "used", "credit_limit", "usage")[
            :limit
        ]
    )


def open_tickets():
    """Consultation tickets not closed (new or in progress)."""
    from catalog.models import ConsultationTicket, LeadStatus

    return ConsultationTicket.objects.exclude(status=LeadStatus.CLOSED)


def open_trial_requests():
    """Trial requests not closed (new or in progress)."""
    from catalog.models import LeadStatus, TrialRequest

    return TrialRequest.objects.exclude(status=LeadStatus.CLOSED)


def pending_postings():
    """Finance postings above the four-eyes threshold waiting for a second user."""
    from billing.models import PendingPosting, PendingPostingStatus

    return PendingPosting.objects.filter(status=PendingPostingStatus.PENDING)


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
