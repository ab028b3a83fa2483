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
