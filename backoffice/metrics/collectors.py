"""Business gauges, computed when Prometheus scrapes: a handful of cheap queries, each on
an indexed status column (or the queue's head), never a count over a whole large table."""

import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from backoffice.core.checkresults import check_results
from backoffice.core.models import OUTBOX_PENDING, OutboundEmail, OutboundEmailStatus
from backoffice.core.selectors import counts_with_sole_ids
from billing.management.commands.check_ledgers import CHECK_NAME as LEDGER_CHECK
from billing.selectors import pending_postings, repayments_awaiting_review
from billing.selectors.bankstatements import unmatched_bank_lines
from billing.selectors.fulfilment import pending_invoice_requests, pending_offline_payments
from billing.selectors.receipts import receipts_awaiting_approval
from billing.statements.selectors import statements_missing
from billing.statements.services import previous_period
from partners.selectors import pending_applications

logger = logging.getLogger(__name__)

#: The console's review queues (the dashboard's selectors), by the ``queue`` label.
WORK_QUEUES: dict[str, Callable[[], QuerySet]] = {
    "offline_payments": pending_offline_payments,
    "offline_repayments": repayments_awaiting_review,
    "invoice_requests": pending_invoice_requests,
    "pending_postings": pending_postings,
    "registration_applications": pending_applications,
    "receipts_awaiting_approval": receipts_awaiting_approval,
    "unmatched_bank_lines": unmatched_bank_lines,
}


def _work_queues() -> Iterator[GaugeMetricFamily]:
    gauge = GaugeMetricFamily(
        "backoffice_work_queue_depth",
        "Items waiting for staff in each console review queue.",
        labels=["queue"],
    )
    counts = counts_with_sole_ids([selector() for selector in WORK_QUEUES.values()])  # 1 query
    for name, (count, _sole) in zip(WORK_QUEUES, counts, strict=True):
        gauge.add_metric([name], count)
    yield gauge


def _outbox() -> Iterator[GaugeMetricFamily]:
    watched = {"failed": [OutboundEmailStatus.FAILED], "pending": list(OUTBOX_PENDING)}
    rows = (
        OutboundEmail.objects.filter(status__in=[s for group in watched.values() for s in group])
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    by_status = {row["status"]: row["n"] for row in rows}
    gauge = GaugeMetricFamily(
        "backoffice_outbox_mails",
        "Outbox mails not sent: pending (queued or sending) and failed.",
        labels=["state"],
    )
    for state, statuses in watched.items():
        gauge.add_metric([state], sum(by_status.get(status, 0) for status in statuses))
    yield gauge


def _queued_tasks() -> tuple[int, float | None]:
    """(queued task count, age in seconds of the oldest) in the django-q2 broker."""
    from django_q.conf import Conf

    now = timezone.now()
    if settings.REDIS_URL:
        import redis
        from django_q.signing import SignedPackage

        connection = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        try:
            # django-q2's Redis broker RPUSHes and BLPOPs this list: its head is the oldest.
            list_key = f"django_q:{Conf.CLUSTER_NAME}:q"
            depth, head = connection.llen(list_key), connection.lindex(list_key, 0)
        finally:
            connection.close()
        started = SignedPackage.loads(head).get("started") if head else None
        return depth, (now - started).total_seconds() if started else None
    from django_q.models import OrmQ

    # Queued = not claimed by a cluster (a claimed task's lock is in the future).
    queued = (
        OrmQ.objects.using(Conf.ORM or "default")
        .filter(key=Conf.CLUSTER_NAME, lock__lte=now)
        .aggregate(n=Count("id"), oldest=Min("lock"))
    )
    oldest = queued["oldest"]
    return queued["n"], (now - oldest).total_seconds() if oldest else None


def _tasks() -> Iterator[GaugeMetricFamily]:
    try:
        depth, age = _queued_tasks()
    except Exception:  # a broker outage must not break the scrape; /healthz reports it
        logger.warning("Metrics: the task broker is unavailable.", exc_info=True)
        return
    yield GaugeMetricFamily(
        "backoffice_task_queue_depth", "Tasks queued and not yet taken by a worker.", value=depth
    )
    yield GaugeMetricFamily(
        "backoffice_task_oldest_queued_age_seconds",
        "Age of the oldest queued task (0 when the queue is empty).",
        value=age or 0,
    )


def _ledger_check() -> Iterator[GaugeMetricFamily]:
    result = check_results().get(LEDGER_CHECK)
    yield GaugeMetricFamily(
        "backoffice_ledger_check_last_run_timestamp_seconds",
        "When check_ledgers last ran (Unix time; 0: never).",
        value=result.ran_at.timestamp() if result else 0,
    )
    if result is not None:
        yield GaugeMetricFamily(
            "backoffice_ledger_mismatches",
            "Ledger mismatches and broken invariants found by the last check_ledgers run.",
            value=result.problems,
        )


def _statements() -> Iterator[GaugeMetricFamily]:
    period = previous_period()
    gauge = GaugeMetricFamily(
        "backoffice_statements_missing",
        "Companies (per currency) with orders last month and no statement for it.",
        labels=["period"],
    )
    gauge.add_metric([period.key], statements_missing(period))
    yield gauge


class BusinessCollector(Collector):
    """Every business gauge, read afresh on each scrape (about five queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from _work_queues()
        yield from _outbox()
        yield from _tasks()
        yield from _ledger_check()
        yield from _statements()
